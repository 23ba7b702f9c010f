"""Sales figures for the dashboard: per day for the last 30 days, in BTC and in each fiat currency.

Uses ``services.invoices.sales_summary(days=, store_id=)`` when the invoice service offers one (an
SQL aggregate); otherwise pages through the paid invoices of the period (bounded by MAX_PAGES).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from app.core.records import Invoice
from app.core.statuses import InvoiceStatus
from app.ui.queries import InvoiceQuery

SOLD = (str(InvoiceStatus.PAID), str(InvoiceStatus.CONFIRMED), str(InvoiceStatus.COMPLETE))
PAGE = 100  # ORM rows are built on the GUI loop: small pages keep each step short
MAX_PAGES = 200


@dataclass(frozen=True)
class DaySales:
    day: date
    count: int = 0
    sat: int = 0
    fiat: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    count: int
    sat: int
    fiat: dict[str, Decimal]


@dataclass(frozen=True)
class SalesSummary:
    days: tuple[DaySales, ...]  # oldest first, one per local calendar day
    truncated: bool = False  # the fallback hit MAX_PAGES: older days may be missing sales

    def totals(self, last_days: int) -> Totals:
        count = sat = 0
        fiat: dict[str, Decimal] = defaultdict(Decimal)
        for day in self.days[-last_days:]:
            count += day.count
            sat += day.sat
            for code, amount in day.fiat.items():
                fiat[code] += amount
        return Totals(count, sat, dict(fiat))


def _local_day(when: datetime) -> date:
    return when.astimezone().date()


def summarize(invoices: list[Invoice], days: int, today: date) -> SalesSummary:
    buckets: dict[date, list[Invoice]] = defaultdict(list)
    for inv in invoices:
        buckets[_local_day(inv.paid_at or inv.created_at)].append(inv)
    out = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        fiat: dict[str, Decimal] = defaultdict(Decimal)
        for inv in buckets.get(day, []):
            if inv.currency not in ("BTC", "SAT"):
                fiat[inv.currency] += inv.price
        items = buckets.get(day, [])
        out.append(DaySales(day, len(items), sum(i.amount_paid_sat for i in items), dict(fiat)))
    return SalesSummary(tuple(out))


async def load_sales(invoices: Any, *, days: int = 30, store_id: str | None = None) -> SalesSummary:
    aggregate = getattr(invoices, "sales_summary", None)
    if aggregate is not None:
        return await aggregate(days=days, store_id=store_id)
    today = datetime.now().astimezone().date()
    start = datetime.combine(today - timedelta(days=days - 1), time.min).astimezone().astimezone(UTC)
    query = InvoiceQuery(store_id=store_id, status=SOLD, created_from=start - timedelta(days=1))
    found: list[Invoice] = []
    offset, truncated = 0, False
    for _ in range(MAX_PAGES):
        page = await invoices.list(query, offset=offset, limit=PAGE)
        found.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
        await asyncio.sleep(0.005)  # let the GUI breathe between pages
    else:
        truncated = True
    return SalesSummary(summarize(found, days, today).days, truncated)


def merge_recent(history: SalesSummary, recent: SalesSummary) -> SalesSummary:
    """Replace the last days of ``history`` by a fresh ``recent`` summary (same calendar)."""
    fresh = {d.day: d for d in recent.days}
    days = tuple(fresh.get(d.day, d) for d in history.days)
    return SalesSummary(days, history.truncated)
