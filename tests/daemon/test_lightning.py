"""The Bitcart daemon's Lightning commands, driven by the real Bitcart SDK over TCP (127.0.0.1): the project
venv's SDK in-process and the current SDK (.venv-sdk-current) as a separate process. Services, engine and
daemon are RedWaves' own; only the Lightning node is fake (tests/fake_lightning.py)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from app.chain.keys import parse_wallet_keys
from app.chain.models import LightningPayResult
from app.checkout_server.daemon.app import daemon_listener
from app.secrets import SecretStore
from app.services.compat.bitcart.lightning import channel_id_of_point, channel_index
from app.services.compat.bitcart.service import (
    DaemonCredentials,
    DaemonParts,
    DaemonService,
    build_daemon_service,
    daemon_credentials,
)
from tests.api.conftest import Stack, wait_for
from tests.conftest import TEST_VPUB
from tests.daemon.conftest import bitcart_clients
from tests.fake_lightning import NODE_ID, OPEN_CHANNEL_ID, PEER_ID, electrum_channel_id, open_channel_view

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]
HOT_SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk-current" / "bin" / "python"


@dataclass
class LnDaemon:
    stack: Stack
    url: str
    credentials: DaemonCredentials
    xpub: str  # the node's (hot) wallet, as a Bitcart client names it
    daemon: DaemonService


@pytest.fixture
async def ln_daemon(tmp_path):
    """Services with the (fake) node on the hot wallet, the daemon listener on 127.0.0.1:0."""
    stack = Stack(tmp_path, lightning=True)
    services = await stack.start()
    hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
    await services.lightning.enable(hot.id)
    stack.lightning.open(open_channel_view())
    credentials = daemon_credentials(SecretStore(services.settings.network))
    parts = DaemonParts(writer=services.writer, events=services.events, wallets=services.wallets,
                        stores=services.stores, invoices=services.invoices, chain=services.chain,
                        network=services.settings.network, payouts=services.payouts, lightning=services.lightning)
    daemon = build_daemon_service(parts, credentials, tip_poll_s=0.1)
    await daemon.start()
    listener = daemon_listener(daemon, "127.0.0.1", 0)
    await listener.start()
    xpub = parse_wallet_keys(HOT_SEED, "regtest", allow_seed=True).watch_keys[0]
    try:
        yield LnDaemon(stack, listener.url, credentials, xpub, daemon)
    finally:
        await listener.stop()
        await daemon.stop()
        await stack.stop()


@pytest.fixture
async def coin(ln_daemon):
    credentials = ln_daemon.credentials
    async with bitcart_clients(ln_daemon.url, credentials.login, credentials.password.reveal()) as make:
        yield make


def test_channel_point_and_channel_id_are_electrums_xor():
    txid = "a1" * 31 + "0b"
    channel_id = channel_id_of_point(f"{txid}:3")
    assert channel_index(channel_id, txid) == 3
    # Electrum: channel_id = reversed(txid bytes) XOR index (lnutil.channel_id_from_funding_tx)
    assert channel_id == (int.from_bytes(bytes.fromhex(txid)[::-1], "big") ^ 3).to_bytes(32, "big").hex()


async def test_sdk_lightning_invoice_payment_events_and_channels(ln_daemon, coin):
    xpub, services, node = ln_daemon.xpub, ln_daemon.stack.services, ln_daemon.stack.lightning
    btc = coin(xpub)
    assert (await btc.spec)["capabilities"] == {"lightning": True}
    assert await btc.node_id == f"{NODE_ID}@127.0.0.1:9735"  # Electrum's nodeid: pubkey@lightning_listen

    events: list[tuple[str, dict]] = []

    def on_event(event, address=None, status=None, status_str=None, tx_hashes=None, sent_amount=None, tx=None):
        events.append((event, {"address": address, "status": status, "status_str": status_str,
                               "tx_hashes": tx_hashes, "sent_amount": sent_amount, "tx": tx}))

    btc.add_event_handler(["new_payment", "new_transaction"], on_event)
    listener = asyncio.create_task(btc.start_websocket(auto_reconnect=False))
    try:
        created = await btc.add_invoice(Decimal("0.0002"), "coffee", expire=15)
        assert created["is_lightning"] is True and created["lightning_invoice"].startswith("lnbcrt")
        assert created["amount_msat"] == 20_000_000 and created["can_receive"] is True
        assert created["amount_BTC"] == Decimal("0.0002") and created["status_str"] == "Unpaid"
        invoice = await services.invoices.get(created["request_id"])
        assert created["rhash"] == invoice.payment_hash and created["lightning_invoice"] == invoice.bolt11
        store = await services.stores.get(invoice.store_id)
        assert store.checkout["lightning"] is True  # the daemon store takes Lightning from now on
        by_hash = await btc.get_invoice(created["rhash"])
        assert by_hash["request_id"] == created["request_id"] and by_hash["sent_amount"] == "0.00000000"
        assert (await btc.get_request(created["rhash"]))["request_id"] == created["request_id"]
        await wait_for(lambda: any(s.wallet_key == xpub for s in ln_daemon.daemon.events._subscriptions),
                       what="websocket registered")

        paid = node.settle(created["rhash"])
        await wait_for(lambda: any(e == "new_payment" and d["status"] == 3 for e, d in events), what="new_payment")
        [(_, payment)] = [(e, d) for e, d in events if e == "new_payment"]
        assert payment["address"] == created["request_id"] and payment["status_str"] == "Paid"
        assert payment["tx_hashes"] == [created["rhash"]] and payment["sent_amount"] == "0.00020000"
        assert not any(e == "new_transaction" for e, _ in events)  # no transaction: Bitcart sends none either
        final = await btc.get_invoice(created["rhash"])
        assert final["status"] == 3 and final["tx_hashes"] == [created["rhash"]] and "can_receive" not in final
        assert hashlib.sha256(bytes.fromhex(paid.preimage)).hexdigest() == created["rhash"]
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)

    [listed] = await btc.list_channels()
    assert listed["channel_id"] == OPEN_CHANNEL_ID and listed["state"] == "OPEN" and listed["remote_pubkey"] == PEER_ID
    assert listed["channel_point"] == f"{'22' * 32}:1" and listed["short_channel_id"] == "201x1x0"
    assert listed["local_balance"] == 0 and listed["remote_balance"] == 1_000_000
    point = await btc.open_channel(f"{PEER_ID}@127.0.0.1:9735", Decimal("0.002"))
    opened = node.channels[-1]
    assert point == f"{opened.funding_txid}:0"  # Electrum's funding_outpoint.to_str()
    assert opened.capacity_sat == 200_000
    closing = await btc.close_channel(point)
    assert node.channels[-1].state == "CLOSING" and node.channels[-1].closing_txid == closing
    assert await btc.close_channel(opened.channel_id, force=True)  # by channel id too


async def test_lnpay_refusals_and_wallets_without_lightning(ln_daemon, coin):
    from bitcart.errors import errors

    node = ln_daemon.stack.lightning
    btc = coin(ln_daemon.xpub)
    bolt11 = "lnbcrt10u1p" + "q" * 100
    node.pay_results[bolt11] = LightningPayResult(payment_hash="ab" * 32, preimage="cd" * 32, success=True, error=None)
    assert await btc.lnpay(bolt11) == {"payment_hash": "ab" * 32, "success": True, "preimage": "cd" * 32, "log": []}
    failed = await btc.lnpay("lnbcrt10u1p" + "z" * 100)  # the fake node finds no route
    assert failed["success"] is False and failed["preimage"] is None
    with pytest.raises(errors.InvalidLightningInvoiceError):
        await btc.lnpay("not an invoice")
    with pytest.raises(errors.InvalidNodeIDError):
        await btc.open_channel("nonsense", Decimal("0.002"))
    with pytest.raises(errors.InvoiceNotFoundError):
        await btc.get_invoice("00" * 32)
    node.can_receive_sat = 1000
    with pytest.raises(errors.NotEnoughFundsError):
        await btc.add_invoice(Decimal("0.0002"))
    cold = coin(TEST_VPUB)  # not the node's wallet: Electrum's answer for a wallet without Lightning
    with pytest.raises(errors.LightningUnsupportedError):
        await cold.add_invoice(Decimal("0.0001"))
    with pytest.raises(errors.LightningUnsupportedError):
        await cold.server.nodeid()
    plain = await cold.add_request(Decimal("0.0001"))
    assert plain["is_lightning"] is False and "lightning_invoice" not in plain
    assert "lightning" not in await btc.server.getbalance()  # our side of the one channel is 0 sat
    node.open(open_channel_view(channel_id=electrum_channel_id("33" * 32, 0), funding_txid="33" * 32, local_sat=150_000))
    assert (await btc.server.getbalance())["lightning"] == "0.0015"  # Electrum: str(Decimal(sat) / COIN)


CLIENT = textwrap.dedent("""
    import asyncio, json, sys
    from importlib.metadata import version
    from bitcart import BTC

    async def main(url, user, password, xpub):
        btc = BTC(rpc_url=url, rpc_user=user, rpc_pass=password, xpub=xpub)
        out = {"sdk": version("bitcart")}
        try:
            out["node_id"] = await btc.node_id
            created = await btc.add_invoice(0.0001, "tea", expire=15)
            out["created"] = {k: str(created[k]) for k in ("request_id", "rhash", "lightning_invoice", "is_lightning")}
            out["read"] = (await btc.get_invoice(created["rhash"]))["request_id"]
            out["channels"] = [c["channel_id"] for c in await btc.list_channels()]
        finally:
            await btc.server.close()
        print(json.dumps(out))

    asyncio.run(main(*sys.argv[1:]))
""")


@pytest.mark.slow
@pytest.mark.skipif(not SDK_PYTHON.exists(), reason="no .venv-sdk-current: packaging/bootstrap.sh dev makes it")
async def test_the_current_sdk_uses_lightning(ln_daemon):
    proc = await asyncio.create_subprocess_exec(
        str(SDK_PYTHON), "-c", CLIENT, ln_daemon.url, ln_daemon.credentials.login,
        ln_daemon.credentials.password.reveal(), ln_daemon.xpub,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    out = json.loads(stdout.decode().strip().splitlines()[-1])
    assert out["sdk"].startswith("1.19") and out["node_id"].startswith(NODE_ID)
    invoice = await ln_daemon.stack.services.invoices.get(out["created"]["request_id"])
    assert out["created"]["rhash"] == invoice.payment_hash and out["created"]["lightning_invoice"] == invoice.bolt11
    assert out["created"]["is_lightning"] == "True" and out["read"] == invoice.id
    assert out["channels"] == [OPEN_CHANNEL_ID]
