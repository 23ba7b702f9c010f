"""payto / paytomany through the real Bitcart SDK against the daemon on the real runtime (Electrum in-process,
devnet over TCP): a hot wallet pays one and three outputs, each as recorded RedWaves payouts in one
transaction; watch-only wallets and what would let a client pay twice are refused with clear errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.chain.keys import derive_address, derive_addresses, parse_wallet_keys
from app.checkout_server.daemon import spec
from app.checkout_server.daemon.app import daemon_listener
from app.core.payouts import PayoutStatus
from app.secrets import SecretStore
from app.services.compat.bitcart.payouts import LABEL
from app.services.compat.bitcart.service import DaemonParts, build_daemon_service, daemon_credentials
from tests.conftest import TEST_VPUB
from tests.daemon.conftest import bitcart_clients
from tests.integration.helpers import wait_for, wait_synced

pytestmark = [
    pytest.mark.slow,
    # bitcart 1.18's RPCProxy builds its session with aiohttp.BasicAuth, deprecated in aiohttp 3.14.
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]
HOT_SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def strangers(n: int) -> list[str]:
    from tests.chain.conftest import xpub_for

    vpub = xpub_for(bytes([7]) * 32, "m/84'/1'/0'", "p2wpkh")
    return derive_addresses(parse_wallet_keys(vpub, "regtest"), 0, n)


@pytest.fixture
async def payto_daemon(app_runtime):
    """The daemon as the composition root builds it: with the payout engine behind payto."""
    services = app_runtime.services
    credentials = daemon_credentials(SecretStore(services.settings.network))
    parts = DaemonParts(writer=services.writer, events=services.events, wallets=services.wallets,
                        stores=services.stores, invoices=services.invoices, chain=services.chain,
                        network=services.settings.network, payouts=services.payouts)
    daemon = build_daemon_service(parts, credentials, tip_poll_s=0.1)
    await daemon.start()
    listener = daemon_listener(daemon, "127.0.0.1", 0)
    await listener.start()
    try:
        yield app_runtime, listener.url, credentials
    finally:
        await listener.stop()
        await daemon.stop()


@pytest.fixture
async def coin(payto_daemon):
    _, url, credentials = payto_daemon
    async with bitcart_clients(url, credentials.login, credentials.password.reveal()) as make:
        yield make


async def _funded_hot_wallet(runtime) -> tuple[object, str]:
    services, devnet = runtime.services, runtime.devnet
    await wait_synced(runtime)
    hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
    desc = parse_wallet_keys(HOT_SEED, "regtest", allow_seed=True)
    await services.wallets.watch_range(hot.id, 0, 3)
    for i in range(2):
        await devnet.pay(derive_address(desc, i), 200_000)
    await devnet.mine(1)
    await wait_for(lambda: all(o.height > 0 for i in range(2)
                               for o in runtime.chain.address_view(hot.id, derive_address(desc, i)).outputs)
                   and runtime.chain.state().synced, what="hot wallet funded")
    return hot, desc.watch_keys[0]


async def test_payto_and_paytomany_pay_through_recorded_payouts(payto_daemon, coin):
    runtime = payto_daemon[0]
    services, devnet = runtime.services, runtime.devnet
    hot, xpub = await _funded_hot_wallet(runtime)
    btc = coin(xpub)  # a Bitcart client names the hot wallet by its account xpub
    one, three = strangers(1)[0], strangers(4)[1:]

    txid = await btc.pay_to(one, Decimal("0.0002"), feerate=2)
    on_chain = devnet.transaction(txid)
    assert any(o.value == 20_000 for o in on_chain.tx.vout)
    page = await services.payouts.list(status=PayoutStatus.BROADCAST)
    paid = [p for p in page.items if p.wallet_id == hot.id]
    assert [(p.destination, p.amount_sat, p.label) for p in paid] == [(one, 20_000, LABEL)]
    tx = await services.payouts.get_tx(paid[0].payout_tx_id)
    assert tx.txid == txid and tx.raw_tx  # recorded before it was broadcast

    txid_many = await btc.pay_to_many([{"address": a, "amount": Decimal("0.0001")} for a in three], feerate=2)
    vout = devnet.transaction(txid_many).tx.vout
    assert len(vout) == 4 and sum(1 for o in vout if o.value == 10_000) == 3  # one transaction, plus change
    page = await services.payouts.list(status=PayoutStatus.BROADCAST)
    assert len([p for p in page.items if p.wallet_id == hot.id]) == 4


async def _rpc(url: str, credentials, method: str, params: dict) -> dict:
    import aiohttp

    auth = aiohttp.BasicAuth(credentials.login, credentials.password.reveal())
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    async with aiohttp.ClientSession(auth=auth) as session, session.post(url + "/", data=body) as resp:
        return (await resp.json())["error"]


async def test_refusals_leave_nothing_behind(payto_daemon, coin):
    from bitcart.errors import errors  # the SDK's exceptions by spec name

    runtime, url, credentials = payto_daemon
    services = runtime.services
    await wait_synced(runtime)
    hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
    xpub = parse_wallet_keys(HOT_SEED, "regtest", allow_seed=True).watch_keys[0]
    btc, watch_only, to = coin(xpub), coin(TEST_VPUB), strangers(1)[0]

    with pytest.raises(errors.NotSupportedError):
        await watch_only.pay_to(to, Decimal("0.0001"), feerate=2)
    with pytest.raises(errors.NotSupportedError):
        await btc.pay_to(to, Decimal("0.0001"), broadcast=False)  # a signed payment nobody records
    with pytest.raises(errors.NotSupportedError):
        await btc.pay_to(to, Decimal("0.0001"), fee=Decimal("0.00001"))
    with pytest.raises(errors.InvalidAddressError):
        await btc.pay_to("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", Decimal("0.0001"), feerate=2)
    with pytest.raises(errors.NotEnoughFundsError):
        await btc.pay_to(to, Decimal("1"), feerate=2)  # the wallet is empty

    clear = {
        TEST_VPUB: "This wallet is watch-only: RedWaves holds no key to sign with.",
        xpub: "RedWaves records and broadcasts every payment it signs: call payto with addtransaction=true",
    }
    for key, sentence in clear.items():
        error = await _rpc(url, credentials, "payto", {"xpub": key, "destination": to, "amount": "0.0001"})
        assert error["code"] == spec.NOT_SUPPORTED and error["message"].startswith(sentence), error
    error = await _rpc(url, credentials, "paytomany", {"xpub": xpub, "outputs": [[to, "0.0001"], ["x", "1"]],
                                                       "addtransaction": True})
    assert error["code"] == spec.INVALID_ADDRESS and error["data"]["field"] == "address", error
    page = await services.payouts.list()
    assert {p.status for p in page.items if p.wallet_id == hot.id} <= {PayoutStatus.CANCELLED}  # nothing pending
