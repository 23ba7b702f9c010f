"""The invoice list's totals are counted once per filter, then kept exact by creations and status
changes (app/services/invoicing/listing.py): always what a fresh count(*) says."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import event

from app.core.queries import InvoiceFilter
from tests.conftest import TEST_VPUB

FILTERS = (InvoiceFilter(), InvoiceFilter(status=["pending"]), InvoiceFilter(status=["invalid", "complete"]),
           InvoiceFilter(text="Table"), InvoiceFilter(status=["pending"], text="Table 2"))


async def _fresh(services, flt: InvoiceFilter) -> int:
    services.invoices.listing.totals.changed()
    return (await services.invoices.list(flt, limit=1)).total


async def _counts(services) -> int:
    seen = []

    def on_sql(_conn, _cursor, statement, *_args) -> None:
        if "count(" in statement:
            seen.append(statement)

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_sql)
    try:
        for flt in FILTERS:
            await services.invoices.list(flt, limit=1)
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)
    return len(seen)


async def test_totals_stay_exact_through_creations_and_status_changes(services):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    store = await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    invoices = [await services.invoices.create(store.id, price="1.00", description=f"Table {n}") for n in range(3)]
    assert await _counts(services) == len(FILTERS)  # counted once each...
    assert await _counts(services) == 0  # ...then served from the cache
    changes: list[str] = []
    # subscribed after the listing (built with the services): when we hear an event, it has too
    services.events.subscribe(lambda e: changes.append(e.type) if e.type == "invoice.status_changed" else None)
    invoices.append(await services.invoices.create(store.id, price="2.00", description="Table 2 again"))
    await services.invoices.mark(invoices[0].id, "invalid")
    await services.invoices.mark(invoices[1].id, "complete")
    for _ in range(500):
        if len(changes) >= 2:
            break
        await asyncio.sleep(0.01)
    assert await _counts(services) == 2  # the text filters were dropped by the status changes, the rest moved
    cached = [(await services.invoices.list(flt, limit=1)).total for flt in FILTERS]
    assert cached == [await _fresh(services, flt) for flt in FILTERS] == [4, 2, 2, 4, 2]
