"""RefundService on real SQLite: create (one transaction with its event), partial refunds, claim once,
own addresses, expiry, cancel. The chain is the FakeChain of tests/services/conftest.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app.chain.keys import derive_address
from app.core.errors import UserFacingError
from app.core.payouts import PayoutStatus
from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from app.db.models import RefundRow
from app.services.ports import StaticUrls
from tests.services.refund_helpers import events_of, foreign_address, paid_invoice, shop

V = RefundVariant


async def _count(services, model=RefundRow) -> int:
    async with services.writer.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _code(awaitable) -> str:
    with pytest.raises(UserFacingError) as err:
        await awaitable
    return err.value.code


async def test_create_keeps_the_calculation_and_writes_its_event(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    req = RefundRequest(V.RATE_THEN, fee_pct=Decimal("1.5"), note="damaged in transit")
    preview = await services.refunds.preview(invoice.id, req)
    refund = await services.refunds.create(invoice.id, req, actor="window")
    assert refund.calculation == preview
    assert (refund.gross_sat, refund.fee_sat, refund.amount_sat) == (100_000, 1_500, 98_500)
    assert refund.fiat_amount == Decimal("50.00") and refund.rate == Decimal(50000)
    assert refund.status is RefundStatus.OPEN and refund.created_by == "window" and len(refund.id) == 22
    assert refund.expires_at - refund.created_at == timedelta(days=30)
    assert await services.refunds.get(refund.id) == refund
    assert await services.refunds.for_invoice(invoice.id) == [refund]
    [event] = await events_of(services, "refund.")
    assert event.type == "refund.created" and event.invoice_id == invoice.id
    assert event.payload["refund_id"] == refund.id and event.payload["amount_sat"] == 98_500
    assert services.refunds.link(refund) == f"/refund/{refund.id}"  # nothing serving in these tests


async def test_link_uses_the_public_base(services, tmp_path):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    services.refunds._urls = StaticUrls({"public": "http://192.0.2.7:8080"})
    assert services.refunds.link(refund) == f"http://192.0.2.7:8080/refund/{refund.id}"


async def test_partial_refunds_add_up_and_never_exceed_what_was_paid(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    first = await services.refunds.create(invoice.id, RefundRequest(V.CUSTOM_BTC, Decimal("0.0006")))
    assert first.refundable_sat == 100_000
    assert await _code(services.refunds.create(invoice.id, RefundRequest(V.CUSTOM_BTC, Decimal("0.00040001")))) \
        == "refund_exceeds_paid"
    second = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    assert (second.gross_sat, second.already_refunded_sat, second.refundable_sat) == (40_000, 60_000, 40_000)
    assert await _code(services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))) == "refund_exceeds_paid"
    await services.refunds.cancel(first.id)  # a cancelled refund gives its amount back
    third = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    assert third.gross_sat == 60_000


async def test_concurrent_creates_never_exceed_what_was_paid(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    req = RefundRequest(V.CUSTOM_BTC, Decimal("0.0006"))
    results = await asyncio.gather(*(services.refunds.create(invoice.id, req) for _ in range(4)),
                                   return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert {r.code for r in results if isinstance(r, UserFacingError)} == {"refund_exceeds_paid"}
    assert await _count(services) == 1


async def test_unpaid_invoices_are_not_refundable_and_nothing_is_written(services):
    store = await shop(services)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await services.invoices.create(store.id, price="10.00")
    assert await _code(services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))) == "not_refundable"
    assert await _code(services.refunds.create("nope", RefundRequest(V.RATE_THEN))) == "invoice_not_found"
    assert await _count(services) == 0 and await events_of(services, "refund.") == []


async def test_btc_invoice_refuses_fiat_variants(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store, price="0.001", currency="BTC")
    assert await _code(services.refunds.preview(invoice.id, RefundRequest(V.CURRENT_RATE))) == "rate_required"
    assert (await services.refunds.preview(invoice.id, RefundRequest(V.RATE_THEN))).fiat_amount is None


async def test_current_rate_uses_todays_rate(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    await services.rates.set_manual_rate("USD", Decimal("62500"))
    calc = await services.refunds.preview(invoice.id, RefundRequest(V.CURRENT_RATE))
    assert calc.gross_sat == 80_000 and calc.rate == Decimal(62500)


async def test_claim_creates_the_payout_once(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    address = foreign_address(1)
    claimed = await services.refunds.claim(refund.id, f" {address.upper()} ")
    assert claimed.status is RefundStatus.CLAIMED and claimed.destination == address
    payout = await services.payouts.get(claimed.payout_id)
    assert (payout.amount_sat, payout.destination, payout.refund_id, payout.wallet_id) == \
        (100_000, address, refund.id, invoice.wallet_id)
    assert payout.status is PayoutStatus.AWAITING_APPROVAL
    assert await _code(services.refunds.claim(refund.id, foreign_address(2))) == "refund_already_claimed"
    types = [e.type for e in await events_of(services) if e.type.startswith(("refund.", "payout."))]
    assert types == ["refund.created", "refund.claimed", "payout.created"]
    public = await services.refunds.public(refund.id)
    assert public.status is RefundStatus.CLAIMED and public.destination == address and public.store_name == "Shop"
    assert public.payout_status == "awaiting_approval" and public.network == "regtest"


async def test_concurrent_claims_exactly_one_wins(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    results = await asyncio.gather(*(services.refunds.claim(refund.id, foreign_address(n)) for n in range(6)),
                                   return_exceptions=True)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert {r.code for r in results if isinstance(r, UserFacingError)} == {"refund_already_claimed"}
    page = await services.payouts.list()
    assert page.total == 1 and page.items[0].destination == winners[0].destination


@pytest.mark.parametrize(("address", "code"), [
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "wrong_network"),
    ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "invalid_address"),
    ("", "invalid_address"),
    ("x" * 5000, "invalid_address"),
])
async def test_claim_refuses_bad_addresses_and_writes_nothing(services, address, code):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    assert await _code(services.refunds.claim(refund.id, address)) == code
    assert (await services.refunds.get(refund.id)).status is RefundStatus.OPEN
    assert (await services.payouts.list()).total == 0


async def test_claim_refuses_the_shops_own_addresses(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    desc = await services.wallets.descriptor(invoice.wallet_id)
    wallet = await services.wallets.get(invoice.wallet_id)
    own = [invoice.address,  # handed out (addresses / invoices tables)
           derive_address(desc, wallet.next_index + 5),  # the receive look-ahead, not handed out yet
           derive_address(desc, 3, change=True)]  # the change chain
    for address in own:
        assert await _code(services.refunds.claim(refund.id, address)) == "own_address"
    assert (await services.refunds.get(refund.id)).status is RefundStatus.OPEN


async def test_an_expired_link_cannot_be_claimed_and_gives_its_amount_back(services):
    store = await shop(services, refund_link_days=2)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    assert refund.expires_at - refund.created_at == timedelta(days=2)
    async with services.writer.transaction() as session:
        await session.execute(update(RefundRow).where(RefundRow.id == refund.id)
                              .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert (await services.refunds.public(refund.id)).status is RefundStatus.EXPIRED
    # its amount is refundable again at once, before any sweep
    assert (await services.refunds.preview(invoice.id, RefundRequest(V.RATE_THEN))).gross_sat == 100_000
    assert await _code(services.refunds.claim(refund.id, foreign_address(1))) == "refund_link_expired"
    assert (await services.refunds.get(refund.id)).status is RefundStatus.EXPIRED
    assert [e.type for e in await events_of(services, "refund.")] == ["refund.created", "refund.expired"]
    assert await _code(services.refunds.claim(refund.id, foreign_address(1))) == "refund_link_expired"
    assert (await services.payouts.list()).total == 0


async def test_expire_due_sweeps(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.CUSTOM_BTC, Decimal("0.0001")))
    await services.refunds.create(invoice.id, RefundRequest(V.CUSTOM_BTC, Decimal("0.0001")))
    assert await services.refunds.expire_due() == 0
    async with services.writer.transaction() as session:
        await session.execute(update(RefundRow).where(RefundRow.id == refund.id)
                              .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert await services.refunds.expire_due() == 1
    page = await services.refunds.list(store_id=store.id, status=RefundStatus.EXPIRED)
    assert [r.id for r in page.items] == [refund.id] and page.total == 1


async def test_auto_approve_under_the_stores_limit(services):
    store = await shop(services, payouts_auto_approve_sat=100_000)
    invoice = await paid_invoice(services, store)
    refund = await services.refunds.create(invoice.id, RefundRequest(V.RATE_THEN))
    claimed = await services.refunds.claim(refund.id, foreign_address(1))
    payout = await services.payouts.get(claimed.payout_id)
    assert payout.status is PayoutStatus.APPROVED and payout.approved_at is not None
    approved = [e for e in await events_of(services, "payout.approved")]
    assert len(approved) == 1 and approved[0].payload["auto"] is True


async def test_cancel_open_and_claimed_refunds(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    open_refund = await services.refunds.create(invoice.id, RefundRequest(V.CUSTOM_BTC, Decimal("0.0001")))
    cancelled = await services.refunds.cancel(open_refund.id)
    assert cancelled.status is RefundStatus.CANCELLED
    assert await _code(services.refunds.claim(open_refund.id, foreign_address(1))) == "refund_cancelled"
    claimed = await services.refunds.create(invoice.id, RefundRequest(V.CUSTOM_BTC, Decimal("0.0001")))
    claimed = await services.refunds.claim(claimed.id, foreign_address(1))
    after = await services.refunds.cancel(claimed.id)
    assert after.status is RefundStatus.CANCELLED
    assert (await services.payouts.get(claimed.payout_id)).status is PayoutStatus.CANCELLED
    assert "refund.cancelled" in [e.type for e in await events_of(services, "refund.")]


async def test_unknown_refunds_are_not_found(services):
    assert await _code(services.refunds.get("x" * 22)) == "refund_not_found"
    assert await _code(services.refunds.public("x" * 5000)) == "refund_not_found"


async def test_store_refund_settings_are_checked(services):
    store = await shop(services)
    assert await _code(services.stores.update(store.id, {"checkout": {"refund_link_days": 0}})) \
        == "invalid_refund_link_days"
    updated = await services.stores.update(store.id, {"checkout": {"payouts_auto_approve_sat": 5000}})
    assert updated.checkout["payouts_auto_approve_sat"] == 5000
