"""Sales figures for the dashboard: per day for the last 30 days, in BTC and in each fiat currency.

``services.invoices.sales_summary(days=, store_id=)`` computes them (one SQL aggregate, bench P5).
"""

from __future__ import annotations

from app.core.sales import SOLD, DaySales, SalesSummary, Totals, summarize
from app.ui.ports import InvoicesPort

__all__ = ["SOLD", "DaySales", "SalesSummary", "Totals", "load_sales", "merge_recent", "summarize"]


async def load_sales(invoices: InvoicesPort, *, days: int = 30, store_id: str | None = None) -> SalesSummary:
    return await invoices.sales_summary(days=days, store_id=store_id)


def merge_recent(history: SalesSummary, recent: SalesSummary) -> SalesSummary:
    """Replace the last days of ``history`` by a fresh ``recent`` summary (same calendar)."""
    fresh = {d.day: d for d in recent.days}
    days = tuple(fresh.get(d.day, d) for d in history.days)
    return SalesSummary(days, history.truncated)
