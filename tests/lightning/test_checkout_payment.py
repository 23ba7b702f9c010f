"""A shopper pays the BOLT11 it reads on the checkout page; the invoice completes at once, with the
preimage as proof, and a signed webhook says so. An expired BOLT11 and a second payment are refused.

The whole app (tests/lightning/conftest.py ``shop``), the shopper = Debian's Electrum, over the devnet.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime
from typing import Any

import pytest
import pytest_asyncio

from tests.lightning.conftest import Shop, funded_shopper, in_thread, mine_until_usable, wait_async
from tests.lightning_shopper import ElectrumCallFailed, ShopperNode

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
SHORT_EXPIRY_S = 60  # the shortest expiry an invoice may have (InvoiceService.create)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def short_lived(shop: Shop) -> dict[str, Any]:
    """An invoice with the shortest expiry, made first so that its minute runs out while the other tests run."""
    return await shop.new_invoice(7_000, expiry_s=SHORT_EXPIRY_S)


async def lightning_payments(shop: Shop, invoice_id: str) -> list[dict[str, Any]]:
    return [p for p in (await shop.invoice(invoice_id))["payments"] if p["method"] == "lightning"]


async def test_shopper_pays_the_bolt11_from_the_checkout_page(shop: Shop, short_lived: dict[str, Any]) -> None:
    assert short_lived["bolt11"]  # (used by the expiry test below)
    invoice = await shop.new_invoice(25_000, order_id="coffee-1")
    assert invoice["bolt11"].startswith("lnbcrt") and invoice["lightning_offered"] is True
    assert len(invoice["payment_hash"]) == 64 and "lightning=" in invoice["payment_uri"].lower()
    bolt11 = await shop.scrape_bolt11(invoice["id"])  # what the shopper's page shows, JavaScript off
    assert bolt11 == invoice["bolt11"]
    status = await shop.checkout_status(invoice["id"])
    assert status["lightningUri"].lower() == f"lightning:{bolt11}".lower()

    started = time.monotonic()
    paid = await in_thread(shop.shopper.lnpay, bolt11)  # the CLI, as a shopper's wallet would
    assert paid["success"] is True, paid.get("log")
    done = await wait_async(lambda: _status_is(shop, invoice["id"], "complete"), timeout_s=20, what="invoice complete")
    print(f"\nlnpay (CLI) -> invoice complete over REST: {time.monotonic() - started:.2f} s")
    assert done["amount_paid_sat"] == 25_000 and done["remaining_sat"] == 0
    [payment] = done["payments"]
    assert (payment["method"], payment["state"], payment["amount_sat"]) == ("lightning", "settled", 25_000)
    assert payment["payment_hash"] == invoice["payment_hash"] == paid["payment_hash"]
    assert payment["preimage"] == paid["preimage"]
    assert hashlib.sha256(bytes.fromhex(payment["preimage"])).hexdigest() == payment["payment_hash"]
    assert done["lightning_offered"] is False

    def complete_hooks() -> list[dict[str, Any]]:
        return [h for h in shop.webhooks() if (h.get("invoice") or {}).get("id") == invoice["id"]
                and h["invoice"]["status"] == "complete"]

    await wait_async(complete_hooks, timeout_s=20, what="a webhook with the invoice complete")
    mine = [h for h in shop.webhooks() if (h.get("invoice") or {}).get("id") == invoice["id"]]
    assert all(h["_valid"] for h in mine), "a webhook whose signature does not verify"
    received = [h for h in mine if h["type"] == "payment.received"]
    assert len(received) == 1 and received[0]["payment"]["method"] == "lightning"
    assert received[0]["payment"]["preimage"] == paid["preimage"]
    page = await shop.checkout_status(invoice["id"])
    assert page["lightningUri"] is None and page["paidOverLightning"] is True


async def test_the_same_bolt11_paid_twice_is_refused(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> None:
    invoice = await shop.new_invoice(12_000)
    first = await in_thread(shop.shopper.lnpay_rpc, invoice["bolt11"])
    assert first["success"] is True
    await wait_async(lambda: _status_is(shop, invoice["id"], "complete"), timeout_s=20, what="invoice complete")
    # the payer that paid refuses by itself ...
    with pytest.raises(ElectrumCallFailed, match="paid already"):
        await in_thread(shop.shopper.lnpay_rpc, invoice["bolt11"])
    # ... and a payer that never saw it paid is refused by the shop (RedWaves' gate: Electrum 4.3.4 alone
    # would fulfil the HTLC again, lnpeer.py maybe_fulfill_htlc "TODO don't accept payments twice")
    other = ShopperNode(tmp_path_factory.mktemp("second"), shop.devnet.server_string, rpc=True)
    try:
        await funded_shopper(other, shop.devnet, 5_000_000)
        await in_thread(other.open_channel, await shop.connect_string(), 3_000_000)
        await mine_until_usable(shop, other, 2)
        await wait_async(lambda: _can_receive(shop, 12_000), timeout_s=20, what="inbound on the second channel")
        again = await in_thread(other.lnpay_rpc, invoice["bolt11"])
        assert again["success"] is False
        await asyncio.sleep(1.0)  # a second payment would be recorded within ~0.1 s
        payments = (await shop.invoice(invoice["id"]))["payments"]
        assert len(payments) == 1 and payments[0]["preimage"] == first["preimage"]
        assert (await shop.invoice(invoice["id"]))["amount_paid_sat"] == 12_000
        hooks = [h for h in shop.webhooks() if h["type"] == "payment.received"
                 and h["invoice"]["id"] == invoice["id"]]
        assert len(hooks) == 1
    finally:
        await in_thread(other.stop)


async def test_an_expired_bolt11_is_refused_by_the_payer(shop: Shop, short_lived: dict[str, Any]) -> None:
    expires_at = datetime.fromisoformat(short_lived["expires_at"])
    left = (expires_at - datetime.now(expires_at.tzinfo)).total_seconds()
    print(f"\nwaiting {max(left, 0):.1f} s for the short invoice to expire")
    await asyncio.sleep(max(left, 0) + 1.5)
    with pytest.raises(ElectrumCallFailed, match="expired"):
        await in_thread(shop.shopper.lnpay_rpc, short_lived["bolt11"])
    try:
        done = await wait_async(lambda: _status_is(shop, short_lived["id"], "expired"), timeout_s=20,
                                what="invoice expired")
    except AssertionError:
        now = await shop.invoice(short_lived["id"])
        raise AssertionError(f"invoice {now['status']}/{now['exception_status']}, payments {now['payments']}") from None
    assert done["payments"] == [] and done["amount_paid_sat"] == 0 and done["lightning_offered"] is False
    page = await shop.checkout_status(short_lived["id"])
    assert page["lightningUri"] is None
    assert not [h for h in shop.webhooks() if h["type"].startswith("payment.")
                and h["invoice"]["id"] == short_lived["id"]]


async def _status_is(shop: Shop, invoice_id: str, status: str) -> dict[str, Any] | None:
    invoice = await shop.invoice(invoice_id)
    return invoice if invoice["status"] == status else None


async def _can_receive(shop: Shop, sat: int) -> bool:
    return bool((await shop.node_info()).can_receive_sat >= sat)
