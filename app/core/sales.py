"""Sales per local calendar day (dashboard figures), in satoshis and in each fiat currency."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.core.records import Invoice
from app.core.statuses import InvoiceStatus

SOLD = (str(InvoiceStatus.PAID), str(InvoiceStatus.CONFIRMED), str(InvoiceStatus.COMPLETE))


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


