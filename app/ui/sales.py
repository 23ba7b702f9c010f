"""Sales figures for the dashboard: per day for the last 30 days, in BTC and in each fiat currency.

Uses ``services.invoices.sales_summary(days=, store_id=)`` when the invoice service offers one (an
SQL aggregate); otherwise pages through the paid invoices of the period (bounded by MAX_PAGES).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any

from app.core.records import Invoice
from app.core.sales import SOLD, DaySales, SalesSummary, Totals, summarize
from app.ui.queries import InvoiceQuery

__all__ = ["SOLD", "DaySales", "SalesSummary", "Totals", "load_sales", "merge_recent", "summarize"]
PAGE = 100  # ORM rows are built on the GUI loop: small pages keep each step short
MAX_PAGES = 200


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
