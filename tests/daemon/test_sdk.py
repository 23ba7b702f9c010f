"""The real Bitcart SDK against RedWaves' daemon: requests, typed errors, websocket and polling events."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from bitcart.errors import RequestError, UnknownError, errors

from app.core.statuses import InvoiceStatus
from tests.conftest import TEST_VPUB
from tests.integration.helpers import wait_for, wait_status, wait_synced

pytestmark = [
    pytest.mark.slow,
    # bitcart 1.18's RPCProxy builds its session with aiohttp.BasicAuth, deprecated in aiohttp 3.14.
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


async def test_add_and_get_request_is_a_redwaves_invoice(daemon_env, sdk):
    btc = sdk()
    created = await btc.add_request(Decimal("0.001"), "Order 42", expire=15)
    assert created["amount_BTC"] == Decimal("0.001") and created["amount_sat"] == 100_000
    assert created["status"] == 0 and created["status_str"] == "Unpaid"
    assert created["expiry"] == 900 and created["message"] == "Order 42"
    assert created["URI"].startswith(f"bitcoin:{created['address']}?amount=0.001")
    assert set(created) >= {"request_id", "address", "amount_BTC", "amount_sat", "URI", "status", "status_str",
                            "expiry", "timestamp", "tx_hashes", "confirmations"}
    services = daemon_env.runtime.services
    invoice = await services.invoices.get(created["request_id"])
    assert invoice.address == created["address"] and invoice.amount_due_sat == 100_000
    store = await services.stores.get(invoice.store_id)
    assert store.checkout["daemon"] is True and store.default_currency == "BTC"
    wallet = (await services.wallets.list())[0]
    assert wallet.fingerprint == services.wallets.validate_keys(TEST_VPUB).fingerprint

    by_id = await btc.get_request(created["request_id"])
    by_address = await btc.get_request(created["address"])
    assert by_id == by_address and by_id["sent_amount"] == "0.00000000"
    listed = await btc.server.list_requests()
    assert [r["request_id"] for r in listed] == [created["request_id"]]
    second = await btc.add_request(Decimal("0.002"))
    assert second["address"] != created["address"]  # RedWaves' allocator: a fresh address each time


async def test_same_wallet_reuses_redwaves_wallet_and_store(daemon_env, sdk):
    services = daemon_env.runtime.services
    existing = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    first = await sdk().add_request(Decimal("0.0001"))
    second = await sdk().add_request(Decimal("0.0002"))
    a, b = [await services.invoices.get(r["request_id"]) for r in (first, second)]
    assert a.wallet_id == b.wallet_id == existing.id and a.store_id == b.store_id
    assert len(await services.wallets.list()) == 1
    assert all(not s.checkout.get("daemon") for s in await services.stores.list())  # hidden from store lists


async def test_general_methods(daemon_env, sdk):
    await wait_synced(daemon_env.runtime)
    btc = sdk()
    info = await btc.server.getinfo()
    assert info["synchronized"] is True and info["connected"] is True
    assert info["blockchain_height"] == daemon_env.runtime.chain.state().tip_height
    assert {"add_request", "get_request", "get_updates", "getinfo"} <= set(await btc.help())
    assert await btc.validate_key(TEST_VPUB) is True
    assert await btc.validate_key("test") is False
    balance = await btc.balance()
    assert balance["confirmed"] == 0 and balance["unconfirmed"] == 0
    assert Decimal(await btc.server.get_default_fee(200)) > 0
    assert await btc.server.close_wallet() is True  # the call (re)loads the xpub, then forgets it
    assert await sdk(xpub=None).server.close_wallet("never-loaded") is False


async def test_typed_errors_from_the_sdk(daemon_env, sdk):
    btc = sdk()
    with pytest.raises(errors.RequestNotFoundError):
        await btc.get_request("no-such-request")
    with pytest.raises(errors.ProcedureNotFoundError):
        await btc.server.no_such_method()
    with pytest.raises(errors.InvalidParamsError):
        await btc.server.add_request(Decimal("0.001"), "memo", 900, False, False, "one too many")
    with pytest.raises(errors.InvalidParamsError):
        await btc.add_request(Decimal("-1"))
    with pytest.raises(errors.InvalidTxHashError):
        await btc.server.get_transaction("nope")
    with pytest.raises(errors.TxNotFoundError):
        await btc.server.get_transaction("00" * 32)
    with pytest.raises(errors.NotSupportedError):
        await btc.pay_to("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Decimal("0.001"))
    with pytest.raises(errors.LightningUnsupportedError):
        await btc.server.add_request(Decimal("0.001"), lightning=True)
    no_wallet = sdk(xpub=None)
    with pytest.raises(errors.WalletNotLoadedError):
        await no_wallet.add_request(Decimal("0.001"))
    bad_key = sdk(xpub="not a key")
    with pytest.raises(errors.LoadingWalletError):
        await bad_key.add_request(Decimal("0.001"))
    bad_auth = sdk(rpc_pass="wrong")
    with pytest.raises(errors.UnauthorizedError) as raised:
        await bad_auth.add_request(Decimal("0.001"))
    assert isinstance(raised.value, RequestError) and not isinstance(raised.value, UnknownError)


async def test_payment_events_over_websocket_and_polling(daemon_env, sdk):
    runtime = daemon_env.runtime
    await wait_synced(runtime)
    btc = sdk()
    ws_events: list[tuple[str, dict]] = []

    def on_event(event, address=None, status=None, status_str=None, tx_hashes=None, sent_amount=None, tx=None,
                 height=None):
        data = {"address": address, "status": status, "status_str": status_str, "tx_hashes": tx_hashes,
                "sent_amount": sent_amount, "tx": tx, "height": height}
        ws_events.append((event, data))

    btc.add_event_handler(["new_payment", "new_transaction", "verified_tx", "new_block"], on_event)
    request = await btc.add_request(Decimal("0.0005"), "websocket order")
    listener = asyncio.create_task(btc.start_websocket(auto_reconnect=False))
    try:
        await wait_for(lambda: any(s.wallet_key == TEST_VPUB for s in daemon_env.daemon.events._subscriptions),
                       what="websocket registered")
        await btc.server.get_updates()  # start polling from here
        txid = await runtime.devnet.pay(request["address"], 50_000)
        await wait_status(runtime.services, request["request_id"], InvoiceStatus.PAID)

        def payments(status):
            return [d for e, d in ws_events if e == "new_payment" and d["status"] == status]

        await wait_for(lambda: payments(7), what="new_payment Unconfirmed over the websocket")
        unconfirmed = payments(7)[0]
        assert unconfirmed["address"] == request["request_id"] and unconfirmed["status_str"] == "Unconfirmed"
        assert unconfirmed["sent_amount"] == "0.00050000" and len(unconfirmed["tx_hashes"]) == 1
        if isinstance(txid, str):
            assert unconfirmed["tx_hashes"] == [txid]
        assert any(e == "new_transaction" and d["tx"] == unconfirmed["tx_hashes"][0] for e, d in ws_events)

        await runtime.devnet.mine(1)
        await wait_for(lambda: payments(3), what="new_payment Paid over the websocket")
        assert payments(3)[0]["status_str"] == "Paid"
        await wait_for(lambda: any(e == "verified_tx" for e, _ in ws_events), what="verified_tx")
        await wait_for(lambda: any(e == "new_block" for e, _ in ws_events), what="new_block")

        polled = await btc.server.get_updates()
        kinds = [u["event"] for u in polled]
        assert {"new_transaction", "new_payment", "verified_tx", "new_block"} <= set(kinds)
        statuses = [u["status"] for u in polled if u["event"] == "new_payment"]
        assert statuses == [7, 3]
        assert await btc.server.get_updates() == []
        final = await btc.get_request(request["request_id"])
        assert final["status"] == 3 and final["confirmations"] == 1 and final["sent_amount"] == "0.00050000"
        tx = await btc.server.get_transaction(final["tx_hashes"][0])
        assert tx["confirmations"] == 1 and tx["outputs"][0]["address"] == request["address"]
        assert await btc.server.get_tx_status(final["tx_hashes"][0]) == {"confirmations": 1}
        history = await btc.history()
        assert [t["txid"] for t in history["transactions"]] == final["tx_hashes"]
        assert await btc.server.getaddresshistory(request["address"]) == [
            {"tx_hash": final["tx_hashes"][0], "height": tx["height"]}]
        with pytest.raises(errors.NotSupportedError):
            await btc.server.getaddresshistory("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080")
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
