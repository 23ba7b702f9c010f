"""Invoice export as JSON or CSV (spreadsheet-safe: no formula injection), up to MAX_ROWS invoices.

CSV rows say who sold (``created_by``: the person's name, empty for the system), at which ``terminal``
(its name) and the fiat ``tip`` included in the price (docs/staff.md).

Buyer e-mails only when asked (``include_buyer_email=true``): otherwise the CSV has no ``buyer_email``
column at all and the JSON items carry ``buyer_email: null`` (with ``buyer_emails_included: false``)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import web

from app.checkout_server.api.invoices import invoice_filter
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.invoices import ExportQuery, InvoiceExport, InvoiceOut
from app.core.records import Invoice
from app.core.spreadsheet import csv_cell, safe_cell
from app.services.admin.apikeys import Scope
from app.services.delivery.webhook_payloads import invoice_snapshot

MAX_ROWS = 100_000
PAGE = 1000
COLUMNS = ("id", "store_id", "created_at", "status", "exception_status", "order_id", "price", "currency", "rate",
           "amount_due_sat", "amount_paid_sat", "amount_confirmed_sat", "address", "paid_at", "confirmed_at",
           "completed_at", "buyer_email", "description", "created_by", "terminal", "tip")


def columns(*, include_buyer_email: bool) -> tuple[str, ...]:
    return COLUMNS if include_buyer_email else tuple(c for c in COLUMNS if c != "buyer_email")


async def _all(call: Call, query: ExportQuery) -> list[Invoice]:
    if query.store_id:
        call.check_store(query.store_id)
    flt = invoice_filter(query, store_id=query.store_id, store_ids=call.store_ids)
    invoices: list[Invoice] = []
    while len(invoices) < MAX_ROWS:
        page = await call.services.invoices.list(flt, offset=len(invoices), limit=PAGE)
        invoices.extend(page.items)
        if len(page.items) < PAGE:
            break
    return invoices[:MAX_ROWS]


def _json(invoices: list[Invoice], *, include_buyer_email: bool) -> bytes:
    items = [InvoiceOut.of(i) for i in invoices]
    if not include_buyer_email:
        items = [item.model_copy(update={"buyer_email": None}) for item in items]
    return InvoiceExport(items=items, total=len(invoices),
                         buyer_emails_included=include_buyer_email).model_dump_json().encode()


def _csv(invoices: list[Invoice], *, include_buyer_email: bool, names: Mapping[str, str] | None = None) -> bytes:
    """``names``: person and terminal ids -> their names (the staff columns)."""
    names = names or {}
    out = io.StringIO()
    writer = csv.writer(out)
    wanted = columns(include_buyer_email=include_buyer_email)
    writer.writerow(wanted)
    for invoice in invoices:
        snap = dict(invoice_snapshot(invoice))
        snap["created_by"] = safe_cell(names.get(invoice.created_by, invoice.created_by)) if invoice.created_by else ""
        snap["terminal"] = safe_cell(names.get(invoice.terminal_id, invoice.terminal_id)) if invoice.terminal_id else ""
        snap["tip"] = "" if invoice.tip is None else str(invoice.tip)
        writer.writerow([csv_cell(c, snap[c]) for c in wanted])
    return out.getvalue().encode("utf-8")


async def staff_names(call: Call) -> dict[str, str]:
    """People's and terminals' names by id, for the CSV's staff columns."""
    names = {p.id: p.name for p in await call.services.staff.list()}
    names |= {t.id: t.name for t in await call.services.terminals.list()}
    return names


async def export_invoices(call: Call) -> web.Response:
    query = call.query_as(ExportQuery)
    invoices = await _all(call, query)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    disposition = f'attachment; filename="invoices-{stamp}.{query.format}"'
    # Serialising up to MAX_ROWS invoices takes seconds: off the loop, so /health and checkouts keep answering.
    if query.format == "json":
        body = await asyncio.to_thread(_json, invoices, include_buyer_email=query.include_buyer_email)
        return web.Response(body=body, content_type="application/json", headers={"Content-Disposition": disposition})
    body = await asyncio.to_thread(_csv, invoices, include_buyer_email=query.include_buyer_email,
                                   names=await staff_names(call))
    return web.Response(body=body, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": disposition})


def operations() -> list[Operation]:
    return [
        Operation("GET", "/invoices/export", export_invoices, "Export invoices as JSON or CSV", "invoices",
                  Scope.INVOICES_READ, InvoiceExport, query=ExportQuery,
                  extra_content={"text/csv": {"schema": {"type": "string"}}},
                  description=f"Same filters as listing; at most {MAX_ROWS} invoices, newest first. CSV cells "
                              "that a spreadsheet would run as a formula are prefixed with a quote. Buyer e-mails "
                              "are personal data: they are exported only with `include_buyer_email=true`; without "
                              "it the CSV has no `buyer_email` column and JSON items have `buyer_email: null`."),
    ]
