"""Export the invoices matching a filter to CSV, page by page, writing off the GUI thread.

Buyer e-mails are personal data: the ``buyer_email`` column is written only when the merchant asks
(``include_buyer_email``, the window's "Include buyer e-mails" box); otherwise it is absent, not empty.
Typed text a spreadsheet would run as a formula (order ids, descriptions, e-mails) gets a leading quote,
as in the API's export (app/core/spreadsheet.py)."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path

from app.core.money import format_btc
from app.core.records import Invoice, Page
from app.core.spreadsheet import csv_cell
from app.ui.queries import InvoiceQuery

HEADER = ("id", "store_id", "created_at", "status", "exception_status", "price", "currency", "rate",
          "amount_due_btc", "amount_paid_btc", "amount_confirmed_btc", "address", "order_id", "description",
          "buyer_email", "paid_at", "completed_at", "created_by", "terminal", "tip")
EXPORT_PAGE = 1000
EMAIL_COLUMN = HEADER.index("buyer_email")


def header(*, include_buyer_email: bool) -> tuple[str, ...]:
    return HEADER if include_buyer_email else HEADER[:EMAIL_COLUMN] + HEADER[EMAIL_COLUMN + 1:]


def _row(inv: Invoice, *, include_buyer_email: bool, names: Mapping[str, str]) -> tuple[str, ...]:
    def iso(value: datetime | None) -> str:
        return value.isoformat() if value is not None else ""

    row = (inv.id, inv.store_id, iso(inv.created_at), str(inv.status), str(inv.exception_status), str(inv.price),
           inv.currency, str(inv.rate or ""), format_btc(inv.amount_due_sat), format_btc(inv.amount_paid_sat),
           format_btc(inv.amount_confirmed_sat), inv.address, inv.order_id or "", inv.description,
           inv.buyer_email or "", iso(inv.paid_at), iso(inv.completed_at),
           names.get(inv.created_by, inv.created_by) if inv.created_by else "",
           names.get(inv.terminal_id, inv.terminal_id) if inv.terminal_id else "",
           "" if inv.tip is None else str(inv.tip))
    safe = tuple(csv_cell(column, cell) for column, cell in zip(HEADER, row, strict=True))
    return safe if include_buyer_email else safe[:EMAIL_COLUMN] + safe[EMAIL_COLUMN + 1:]


def _write(path: Path, rows: list[tuple[str, ...]], *, first: bool, include_buyer_email: bool) -> None:
    with path.open("w" if first else "a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if first:
            writer.writerow(header(include_buyer_email=include_buyer_email))
        writer.writerows(rows)


async def export_csv(fetch: Callable[[InvoiceQuery, int, int], Awaitable[Page]], query: InvoiceQuery,
                     path: Path, *, include_buyer_email: bool = False, names: Mapping[str, str] | None = None) -> int:
    """Returns the number of invoices written. ``names``: person and terminal ids -> names (who sold, where:
    the ``created_by`` and ``terminal`` columns, as in the API's export; the ``tip`` column is the fiat tip)."""
    names = names or {}
    offset = written = 0
    while True:
        page = await fetch(query, offset, EXPORT_PAGE)
        rows = [_row(inv, include_buyer_email=include_buyer_email, names=names) for inv in page.items]
        await asyncio.to_thread(_write, path, rows, first=offset == 0, include_buyer_email=include_buyer_email)
        written += len(rows)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return written
