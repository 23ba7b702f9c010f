"""Invoice export as JSON or CSV (spreadsheet-safe: no formula injection), up to MAX_ROWS invoices."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from app.checkout_server.api.invoices import invoice_filter
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.invoices import ExportQuery, InvoiceExport, InvoiceOut
from app.core.records import Invoice
from app.services.admin.apikeys import Scope
from app.services.delivery.webhook_payloads import invoice_snapshot

MAX_ROWS = 100_000
PAGE = 1000
COLUMNS = ("id", "store_id", "created_at", "status", "exception_status", "order_id", "price", "currency", "rate",
           "amount_due_sat", "amount_paid_sat", "amount_confirmed_sat", "address", "paid_at", "confirmed_at",
           "completed_at", "buyer_email", "description")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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


def _json(invoices: list[Invoice]) -> bytes:
    return InvoiceExport(items=[InvoiceOut.of(i) for i in invoices], total=len(invoices)).model_dump_json().encode()


def _csv(invoices: list[Invoice]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for invoice in invoices:
        snap = invoice_snapshot(invoice)
        writer.writerow([_cell(snap[c]) for c in COLUMNS])
    return out.getvalue().encode("utf-8")


async def export_invoices(call: Call) -> web.Response:
    query = call.query_as(ExportQuery)
    invoices = await _all(call, query)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    disposition = f'attachment; filename="invoices-{stamp}.{query.format}"'
    # Serialising up to MAX_ROWS invoices takes seconds: off the loop, so /health and checkouts keep answering.
    if query.format == "json":
        body = await asyncio.to_thread(_json, invoices)
        return web.Response(body=body, content_type="application/json", headers={"Content-Disposition": disposition})
    body = await asyncio.to_thread(_csv, invoices)
    return web.Response(body=body, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": disposition})


def operations() -> list[Operation]:
    return [
        Operation("GET", "/invoices/export", export_invoices, "Export invoices as JSON or CSV", "invoices",
                  Scope.INVOICES_READ, InvoiceExport, query=ExportQuery,
                  extra_content={"text/csv": {"schema": {"type": "string"}}},
                  description=f"Same filters as listing; at most {MAX_ROWS} invoices, newest first. CSV cells "
                              "that a spreadsheet would run as a formula are prefixed with a quote."),
    ]
