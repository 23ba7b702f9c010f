"""The payout watch's loop on real SQLite (chain: the FakeChain of tests/services/conftest.py): every pass also
sweeps refund links past their time, so an expired link becomes `expired` with ONE refund.expired event
without anybody opening it, and later passes change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update

from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from app.db.models import RefundRow
from tests.services.refund_helpers import events_of, paid_invoice, shop


async def _passes(watch, n: int) -> None:
    """Wake the watch and wait until it has finished ``n`` more passes (bounded)."""
    target = watch.passes + n
    deadline = asyncio.get_running_loop().time() + 10
    while watch.passes < target:
        assert asyncio.get_running_loop().time() < deadline, "the payout watch did not run"
        watch.wake()
        await asyncio.sleep(0.02)


async def test_the_watch_expires_refund_links_once(services):
    store = await shop(services)
    invoice = await paid_invoice(services, store)
    due = await services.refunds.create(invoice.id, RefundRequest(RefundVariant.CUSTOM_BTC, Decimal("0.0001")))
    later = await services.refunds.create(invoice.id, RefundRequest(RefundVariant.CUSTOM_BTC, Decimal("0.0002")))
    watch = services.payout_executor.watch
    assert watch.sweep == services.refunds.expire_due  # wired by build_services
    await services.payout_executor.start()
    try:
        await _passes(watch, 1)
        assert (await services.refunds.get(due.id)).status is RefundStatus.OPEN
        async with services.writer.transaction() as session:
            await session.execute(update(RefundRow).where(RefundRow.id == due.id)
                                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await _passes(watch, 1)
        assert (await services.refunds.get(due.id)).status is RefundStatus.EXPIRED
        assert (await services.refunds.get(later.id)).status is RefundStatus.OPEN
        await _passes(watch, 3)
    finally:
        await services.payout_executor.stop()
    expired = [e for e in await events_of(services, "refund.") if e.type == "refund.expired"]
    assert [e.payload["refund_id"] for e in expired] == [due.id]
    assert expired[0].payload["amount_sat"] == due.amount_sat and expired[0].invoice_id == invoice.id


async def test_without_a_chain_the_watch_still_sweeps(tmp_path):
    from app.services.refunds.payout_watch import PayoutWatch

    swept: list[int] = []

    async def sweep() -> int:
        swept.append(1)
        return 0

    async def never(*_args: object) -> None:
        raise AssertionError("no chain: nothing is confirmed")

    watch = PayoutWatch(None, None, on_confirmed=never, mark_broadcast=never, sweep=sweep)  # type: ignore[arg-type]
    await watch.start()
    try:
        await _passes(watch, 2)
    finally:
        await watch.stop()
    assert len(swept) >= 2
