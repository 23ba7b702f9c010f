"""End to end on the real runtime over TCP (Electrum in-process, devnet): an invoice paid to a hot wallet is
refunded through the REST API, claimed on the public refund page with a plain form (no JavaScript), approved
and paid through the REST API, then confirmed; a watch-only wallet's payouts export as a PSBT (JSON and
file) and a PSBT that is not the signed one is refused with nothing changed."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import aiohttp
import pytest

from app.chain.keys import parse_wallet_keys
from app.core.payouts import SETTLED_CONFIRMATIONS
from app.core.statuses import InvoiceStatus
from tests.integration.helpers import wait_for, wait_status, wait_synced

pytestmark = pytest.mark.slow
HOT_SEED = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"
TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')
FEE = {"target": "custom", "sat_per_vb": "2"}


def stranger(n: int) -> str:
    from app.chain.keys import derive_address
    from tests.chain.conftest import xpub_for

    return derive_address(parse_wallet_keys(xpub_for(bytes([5]) * 32, "m/84'/1'/0'", "p2wpkh"), "regtest"), n)


async def _json(resp: aiohttp.ClientResponse, status: int = 200) -> dict:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def _paid_invoice(runtime, wallet_id: str) -> tuple[object, object]:
    services = runtime.services
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Till shop", default_currency="USD", wallet_ids=[wallet_id], speed_policy=1)
    invoice = await services.invoices.create(store.id, price="40.00")
    await runtime.devnet.pay(invoice.address, invoice.amount_due_sat)
    await runtime.devnet.mine(1)
    return store, await wait_status(services, invoice.id, InvoiceStatus.COMPLETE, timeout_s=30)


async def test_refund_claimed_on_the_page_then_paid_hot_over_rest(app_runtime):
    runtime, services = app_runtime, app_runtime.services
    await wait_synced(runtime)
    hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
    store, invoice = await _paid_invoice(runtime, hot.id)
    key = (await services.apikeys.create("ops", ["refunds:write", "payouts:write"])).key.reveal()
    api, public = runtime.urls["private"] + "/api/v1", runtime.urls["public"]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as rest, \
            aiohttp.ClientSession() as shopper:
        refund = await _json(await rest.post(f"{api}/invoices/{invoice.id}/refunds",
                                             json={"variant": "custom_btc", "custom_amount": "0.0004",
                                                   "fee_fixed_sat": 500}), 201)
        assert refund["calculation"]["amount_sat"] == 40_000 - 500  # a partial refund: change to bump from
        page = await shopper.get(f"{public}/refund/{refund['id']}")
        form = TOKEN.search(await page.text())
        assert page.status == 200 and form
        claim = await shopper.post(f"{public}/refund/{refund['id']}", allow_redirects=False,
                                   data={"address": stranger(0), "token": form.group(1)})
        assert claim.status == 303
        claimed = await _json(await rest.get(f"{api}/refunds/{refund['id']}"))
        assert claimed["status"] == "claimed" and claimed["destination"] == stranger(0)

        fees = await _json(await rest.get(f"{api}/payouts/fees/{hot.id}"))
        assert set(fees) == {"next_block", "hour", "day"}
        approved = await _json(await rest.post(f"{api}/payouts/approve", json={"payout_ids": [claimed["payout_id"]]}))
        assert approved["items"][0]["status"] == "approved"
        tx = await _json(await rest.post(f"{api}/payouts/pay", json={"payout_ids": [claimed["payout_id"]], "fee": FEE},
                                         headers={"Idempotency-Key": "pay-1"}))
        assert tx["status"] == "broadcast" and tx["kind"] == "hot" and tx["txid"]
        again = await rest.post(f"{api}/payouts/pay", json={"payout_ids": [claimed["payout_id"]], "fee": FEE},
                                headers={"Idempotency-Key": "pay-1"})
        assert again.headers.get("Idempotent-Replayed") == "true" and (await again.json())["txid"] == tx["txid"]
        twice = await rest.post(f"{api}/payouts/pay", json={"payout_ids": [claimed["payout_id"]], "fee": FEE})
        assert twice.status == 409 and (await twice.json())["error"]["code"] == "payout_not_approved"
        vout = runtime.devnet.transaction(tx["txid"]).tx.vout
        assert any(o.value == refund["calculation"]["amount_sat"] for o in vout)

        bumped = await _json(await rest.post(f"{api}/payouts/bump", json={"payout_tx_id": tx["id"],
                                                                          "fee": {"target": "custom",
                                                                                  "sat_per_vb": "6"}}))
        assert bumped["replaces_id"] == tx["id"] and bumped["fee_sat"] > tx["fee_sat"]
        await runtime.devnet.mine(SETTLED_CONFIRMATIONS)  # final at the settled depth (docs/refunds.md)

        async def paid() -> bool:
            return (await _json(await rest.get(f"{api}/refunds/{refund['id']}")))["status"] == "paid"

        try:
            await wait_for(paid, timeout_s=30, what="refund paid")
        except AssertionError:
            payout = await _json(await rest.get(f"{api}/payouts/{claimed['payout_id']}"))
            txs = [await services.payouts.get_tx(t) for t in (tx["id"], bumped["id"])]
            raise AssertionError(f"not paid: payout {payout}, txs {txs}") from None
        shown = await (await shopper.get(f"{public}/refund/{refund['id']}")).text()
        assert "Refund sent" in shown and bumped["txid"] in shown


async def test_watch_only_payouts_export_a_psbt(app_runtime):
    runtime, services = app_runtime, app_runtime.services
    await wait_synced(runtime)
    from tests.conftest import TEST_VPUB

    wallet = await services.wallets.add_wallet("Cold", TEST_VPUB)
    store, _ = await _paid_invoice(runtime, wallet.id)
    second = await services.invoices.create(store.id, price="40.00")  # a second coin: two exports at once
    await runtime.devnet.pay(second.address, second.amount_due_sat)
    await runtime.devnet.mine(1)
    await wait_status(services, second.id, InvoiceStatus.COMPLETE, timeout_s=30)
    key = (await services.apikeys.create("ops", ["payouts:write"])).key.reveal()
    api = runtime.urls["private"] + "/api/v1"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as rest:
        made = [await _json(await rest.post(f"{api}/payouts", json={"store_id": store.id, "destination": stranger(i),
                                                                    "amount_sat": 5_000 + i}), 201) for i in (1, 2)]
        ids = [p["id"] for p in made]
        await _json(await rest.post(f"{api}/payouts/approve", json={"payout_ids": ids}))
        hot_only = await rest.post(f"{api}/payouts/pay", json={"payout_ids": ids, "fee": FEE})
        assert hot_only.status == 409 and (await hot_only.json())["error"]["code"] == "watch_only_wallet"

        exported = await _json(await rest.post(f"{api}/payouts/psbt", json={"payout_ids": ids[:1], "fee": FEE}))
        assert base64.b64decode(exported["psbt_base64"]).startswith(b"psbt\xff")
        assert exported["outputs"] == [{"address": stranger(1), "amount_sat": 5_001}]
        assert exported["filename"].endswith(".psbt")
        download = await rest.post(f"{api}/payouts/psbt?download=true", json={"payout_ids": ids[1:], "fee": FEE})
        assert download.status == 200 and download.content_type == "application/octet-stream"
        assert (await download.read()).startswith(b"psbt\xff")
        assert "attachment" in download.headers["Content-Disposition"]
        tx_id = download.headers["X-Payout-Tx-Id"]

        unsigned = await rest.post(f"{api}/payouts/psbt/import",
                                   json={"payout_tx_id": exported["payout_tx_id"], "psbt": exported["psbt_base64"]})
        error = (await unsigned.json())["error"]
        assert unsigned.status in (409, 422) and error["field"] == "psbt", error
        statuses = {(await _json(await rest.get(f"{api}/payouts/{i}")))["status"] for i in ids}
        assert statuses == {"in_progress"} and tx_id  # waiting for their signed PSBTs, nothing broadcast
