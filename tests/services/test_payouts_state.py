"""PayoutService state on real SQLite: create, approve (all or none), cancel (never after signing),
and the confirmation hook (refund paid, invoice refunded, RBF versions)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.core.errors import UserFacingError
from app.core.ids import new_id
from app.core.payouts import PayoutStatus, PayoutTxStatus
from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from app.core.statuses import InvoiceStatus
from app.db.models import PayoutRow, PayoutTxRow
from tests.services.refund_helpers import events_of, foreign_address, paid_invoice, shop


async def _code(awaitable) -> str:
    with pytest.raises(UserFacingError) as err:
        await awaitable
    return err.value.code


async def _tx(services, wallet_id: str, payout_ids: list[str], *, status: PayoutTxStatus = PayoutTxStatus.BROADCAST,
              payout_status: PayoutStatus = PayoutStatus.BROADCAST, replaces: str | None = None,
              kind: str = "hot") -> str:
    """What the executor (R2) writes: a payout_txs row and the payouts pointing to it."""
    tx_id = new_id("ptx")
    async with services.writer.transaction() as session:
        session.add(PayoutTxRow(id=tx_id, wallet_id=wallet_id, kind=kind, status=str(status), psbt=None,
                                raw_tx="00", txid=tx_id.encode().hex().ljust(64, "0")[:64], fee_sat=200,
                                fee_rate=Decimal("2"), replaces_id=replaces, change_address=None,
                                created_at=datetime.now(UTC), broadcast_at=None, confirmed_at=None, height=0))
        await session.flush()
        for payout_id in payout_ids:
            row = await session.get(PayoutRow, payout_id)
            assert row is not None
            row.payout_tx_id, row.status = tx_id, str(payout_status)
    return tx_id


async def test_direct_payouts_are_checked(services):
    store = await shop(services)
    wallet_id = store.wallet_ids[0]
    payout = await services.payouts.create(store.id, wallet_id, foreign_address(1), 10_000, label=" rent ",
                                           actor="window")
    assert (payout.status, payout.label, payout.created_by, payout.refund_id) == \
        (PayoutStatus.AWAITING_APPROVAL, "rent", "window", None)
    assert await _code(services.payouts.create(store.id, wallet_id, foreign_address(1), 545)) == "invalid_amount"
    assert await _code(services.payouts.create(store.id, wallet_id, foreign_address(1), True)) == "invalid_amount"
    assert await _code(services.payouts.create(store.id, wallet_id, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
                                               10_000)) in ("wrong_network", "invalid_address")
    other = await services.stores.create("Other", default_currency="USD")
    assert await _code(services.payouts.create(other.id, wallet_id, foreign_address(1), 10_000)) \
        == "wallet_not_in_store"
    [created] = await events_of(services, "payout.")
    assert created.type == "payout.created" and created.invoice_id == "" and created.store_id == store.id


async def test_approve_is_all_or_none_and_idempotent(services):
    store = await shop(services)
    wallet_id = store.wallet_ids[0]
    a = await services.payouts.create(store.id, wallet_id, foreign_address(1), 10_000)
    b = await services.payouts.create(store.id, wallet_id, foreign_address(2), 20_000)
    assert await _code(services.payouts.approve([a.id, "pay_missing"])) == "payout_not_found"
    assert (await services.payouts.get(a.id)).status is PayoutStatus.AWAITING_APPROVAL
    await services.payouts.cancel(b.id)
    assert await _code(services.payouts.approve([a.id, b.id])) == "invalid_transition"
    assert (await services.payouts.get(a.id)).status is PayoutStatus.AWAITING_APPROVAL
    [approved] = await services.payouts.approve([a.id], actor="owner")
    assert approved.status is PayoutStatus.APPROVED and approved.approved_at is not None
    assert (await services.payouts.approve([a.id, a.id]))[0] == approved  # twice: unchanged
    assert len(await events_of(services, "payout.approved")) == 1
    assert await _code(services.payouts.approve([])) == "invalid_count"
    page = await services.payouts.list(store_id=store.id, status=PayoutStatus.APPROVED)
    assert [p.id for p in page.items] == [a.id]
    assert (await services.payouts.list(limit=1, offset=1)).items[0].id == a.id  # newest first
    assert await _code(services.payouts.list(limit=0)) == "invalid_page"


async def test_cancel_never_after_signing_and_an_unsigned_psbt_is_abandoned(services):
    store = await shop(services)
    wallet_id = store.wallet_ids[0]
    a, b = [await services.payouts.create(store.id, wallet_id, foreign_address(n), 10_000) for n in (1, 2)]
    await services.payouts.approve([a.id, b.id])
    signed = await _tx(services, wallet_id, [a.id], status=PayoutTxStatus.SIGNED, payout_status=PayoutStatus.IN_PROGRESS)
    assert await _code(services.payouts.cancel(a.id)) == "invalid_transition"
    assert (await services.payouts.get(a.id)).payout_tx_id == signed
    c = await services.payouts.create(store.id, wallet_id, foreign_address(3), 10_000)
    await services.payouts.approve([c.id])
    psbt = await _tx(services, wallet_id, [b.id, c.id], status=PayoutTxStatus.BUILT,
                     payout_status=PayoutStatus.IN_PROGRESS, kind="psbt")
    cancelled = await services.payouts.cancel(b.id)
    assert cancelled.status is PayoutStatus.CANCELLED and cancelled.payout_tx_id is None
    back = await services.payouts.get(c.id)  # the PSBT is abandoned; the other payout waits for a new one
    assert back.status is PayoutStatus.APPROVED and back.payout_tx_id is None
    assert (await services.payouts.get_tx(psbt)).status is PayoutTxStatus.FAILED


async def test_confirmation_pays_the_refund_and_refunds_the_invoice_when_all_is_paid(services):
    store = await shop(services, payouts_auto_approve_sat=10**8)
    invoice = await paid_invoice(services, store)
    first = await services.refunds.create(invoice.id, RefundRequest(RefundVariant.CUSTOM_BTC, Decimal("0.0004")))
    second = await services.refunds.create(invoice.id, RefundRequest(RefundVariant.RATE_THEN))
    first = await services.refunds.claim(first.id, foreign_address(1))
    second = await services.refunds.claim(second.id, foreign_address(2))
    tx1 = await _tx(services, invoice.wallet_id, [first.payout_id])
    await services.payouts.on_tx_confirmed(tx1, 250)
    assert (await services.refunds.get(first.id)).status is RefundStatus.PAID
    assert (await services.invoices.get(invoice.id)).status is InvoiceStatus.COMPLETE  # partly refunded
    tx2 = await _tx(services, invoice.wallet_id, [second.payout_id])
    await services.payouts.on_tx_confirmed(tx2, 251)
    await services.payouts.on_tx_confirmed(tx2, 251)  # idempotent
    assert (await services.refunds.get(second.id)).status is RefundStatus.PAID
    assert (await services.invoices.get(invoice.id)).status is InvoiceStatus.REFUNDED
    payout = await services.payouts.get(second.payout_id)
    assert payout.status is PayoutStatus.CONFIRMED
    confirmed_tx = await services.payouts.get_tx(tx2)
    assert (confirmed_tx.status, confirmed_tx.height) == (PayoutTxStatus.CONFIRMED, 251)
    types = [e.type for e in await events_of(services) if e.invoice_id == invoice.id]
    assert types.count("payout.confirmed") == 2 and types.count("refund.paid") == 2
    assert types[-1] == "invoice.status_changed"
    assert await _code(services.refunds.create(invoice.id, RefundRequest(RefundVariant.RATE_THEN))) == "not_refundable"


async def test_the_confirmed_version_of_a_replaced_transaction_wins(services):
    store = await shop(services)
    wallet_id = store.wallet_ids[0]
    a, b = [await services.payouts.create(store.id, wallet_id, foreign_address(n), 10_000) for n in (1, 2)]
    await services.payouts.approve([a.id, b.id])
    original = await _tx(services, wallet_id, [a.id, b.id])
    bumped = await _tx(services, wallet_id, [a.id, b.id], replaces=original)  # RBF: the payouts moved
    async with services.writer.transaction() as session:
        row = await session.get(PayoutTxRow, original)
        assert row is not None
        row.status = str(PayoutTxStatus.REPLACED)
    await services.payouts.on_tx_confirmed(original, 300)  # the old version got mined after all
    assert (await services.payouts.get_tx(original)).status is PayoutTxStatus.CONFIRMED
    assert (await services.payouts.get_tx(bumped)).status is PayoutTxStatus.REPLACED
    for payout_id in (a.id, b.id):
        payout = await services.payouts.get(payout_id)
        assert payout.status is PayoutStatus.CONFIRMED and payout.payout_tx_id == original
    assert [p.id for p in await services.payouts.for_tx(original)] == [a.id, b.id]
    assert await _code(services.payouts.cancel(a.id)) == "invalid_transition"
    assert await _code(services.payouts.on_tx_confirmed("ptx_missing", 1)) == "payout_tx_not_found"


async def test_listing_an_unknown_status_is_a_clear_error(services):
    assert await _code(services.payouts.list(status="teleported")) == "invalid_status"
    assert await _code(services.refunds.list(status="teleported")) == "invalid_status"
