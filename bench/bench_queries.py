"""Invoice-list and dashboard queries at 1,000,000 invoices (issue 24 item 5). One command, figures printed.

    .venv/bin/python bench/bench_queries.py [--lifetime 1000000] [--runs 30] [--data-dir DIR]

Fills ``--lifetime`` invoices (1,000 open) with bench/history_data.py (or reuses ``--data-dir`` when it
already holds a filled shop, to save the fill), starts the real services on that database (migrations
to head first, as the app does) and times, through the services the window and the APIs call, every
query the invoice list, the REST/Greenfield lists and the dashboard make: p50 and p99 over ``--runs``
runs after one warm-up (goal p99 < 100 ms), "cold" with the list's cached totals dropped before each
run (the first list of a filter after a start: the total is counted) and "warm" (totals kept,
app/services/invoicing/listing.py). Each query's SQL is captured as it runs and its ``EXPLAIN QUERY
PLAN`` printed; a full ``SCAN invoices`` is flagged (tests/db/test_query_plans.py asserts there is
none; the text search looks its terms up in the FTS5 trigram index ``invoices_search``, migration 0008).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.history_data import fill_history  # noqa: E402

GOAL_MS = 100.0


def query_cases(services: Any, store_id: str, open_id: str, lifetime: int) -> dict[str, Callable[[], Awaitable[object]]]:
    """Name -> one call of a service query, as the window (invoice list, dashboard) and the APIs make it
    (the services are reached only when a call runs: the names can be listed without them)."""
    from app.core.queries import InvoiceFilter
    from app.core.sales import SOLD
    from app.core.statuses import OPEN_STATUSES

    open_statuses = [str(s) for s in OPEN_STATUSES]
    month_ago = datetime.now(UTC) - timedelta(days=30)
    middle = lifetime // 2
    return {
        "list: first page (window, GET /api/v1/invoices)": lambda: services.invoices.list(InvoiceFilter(), limit=50),
        "list: next page (offset 50)": lambda: services.invoices.list(InvoiceFilter(), offset=50, limit=50),
        "list: deep page (offset 100,000)": lambda: services.invoices.list(InvoiceFilter(), offset=100_000, limit=50),
        "list: store's first page (GET /stores/{id}/invoices)": lambda: services.invoices.list(InvoiceFilter(store_id=store_id)),
        "list: status pending": lambda: services.invoices.list(InvoiceFilter(status=["pending"])),
        "list: status complete": lambda: services.invoices.list(InvoiceFilter(status=["complete"])),
        "list: status expired, store": lambda: services.invoices.list(InvoiceFilter(store_id=store_id, status=["expired"])),
        "list: created in the last 30 days": lambda: services.invoices.list(InvoiceFilter(created_from=month_ago)),
        "list: order_id (Greenfield orderId)": lambda: services.invoices.list(InvoiceFilter(order_id=f"order-{middle}")),
        "search: invoice id": lambda: services.invoices.list(InvoiceFilter(text=open_id)),
        "search: order id": lambda: services.invoices.list(InvoiceFilter(text=f"order-{middle}")),
        "search: e-mail": lambda: services.invoices.list(InvoiceFilter(text=f"buyer{middle - middle % 5}@example.com")),
        "search: description, store + status": lambda: services.invoices.list(
            InvoiceFilter(store_id=store_id, status=["complete", "expired"], text=f"order {middle // 10}")),
        "search: short term (whole order id)": lambda: services.invoices.list(InvoiceFilter(text="42")),
        "search: common term (every 5th invoice)": lambda: services.invoices.list(InvoiceFilter(text="example.com")),
        "search: in every invoice ('order')": lambda: services.invoices.list(InvoiceFilter(text="order")),
        "dashboard: open count": lambda: services.invoices.list(InvoiceFilter(status=open_statuses), limit=1),
        "dashboard: recent sales": lambda: services.invoices.list(InvoiceFilter(status=list(SOLD)), limit=8),
        "dashboard: sales 30 days (today/week/month)": lambda: services.invoices.sales_summary(days=30),
        "dashboard: sales today+yesterday (live)": lambda: services.invoices.sales_summary(days=2),
        "recent payments (GET /api/v1/payments)": lambda: services.payment_history.recent(limit=50),
    }


class SqlRecorder:
    """The statements a call ran (SQLAlchemy's before_cursor_execute), to EXPLAIN them afterwards."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _many: bool) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))


def explain(db_path: Path, statements: list[tuple[str, Any]]) -> list[list[str]]:
    """EXPLAIN QUERY PLAN of each statement: its plan lines."""
    from app.db.engine import open_sync_connection

    conn = open_sync_connection(db_path)
    try:
        return [[row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params or ())]
                for sql, params in statements]
    finally:
        conn.close()


def full_scans(plans: list[list[str]], table: str = "invoices") -> list[str]:
    """Plan lines that read the whole table (``SCAN invoices`` without an index)."""
    return [line for plan in plans for line in plan
            if (line == f"SCAN {table}" or line.startswith(f"SCAN {table} ")) and "USING" not in line]


def search_index_lookups(plans: list[list[str]]) -> list[str]:
    """Plan lines that look terms up in the FTS5 trigram index (``MATCH``: ``INDEX 0:M..``)."""
    from app.db.search_index import SEARCH_TABLE

    return [line for plan in plans for line in plan
            if line.startswith(f"SCAN {SEARCH_TABLE} VIRTUAL TABLE INDEX") and ":M" in line]


async def time_case(call: Callable[[], Awaitable[object]], runs: int,
                    before: Callable[[], None] = lambda: None) -> tuple[float, float]:
    await call()  # warm-up: the page cache of SQLite, compiled statements
    samples = []
    for _ in range(runs):
        before()
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]


async def open_services(data_dir: Path) -> tuple[Any, Any]:
    from app.chain.keys import set_network
    from app.config import load_settings
    from app.db.engine import Database
    from app.services.container import build_services

    set_network("regtest")
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    db = Database(settings.db_path)
    began = time.perf_counter()
    await db.start()  # migrations to head: new indexes are built here on an old database
    print(f"database start (migrations to head): {time.perf_counter() - began:.1f} s")
    services = build_services(settings, db, None)
    return services, db


async def _filled(data_dir: Path, lifetime: int) -> tuple[str, str]:
    """(store id, an open invoice id): reused when the directory already holds a filled shop."""
    import sqlite3

    from app.config import load_settings

    db_path = load_settings({}, {"data_dir": data_dir, "network": "regtest"}).db_path
    if db_path.exists():
        conn = sqlite3.connect(db_path)
        try:
            count = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
            if count >= lifetime:
                store_id, open_id = conn.execute("SELECT store_id, id FROM invoices WHERE status = 'pending' "
                                                 "LIMIT 1").fetchone()
                print(f"reusing {count:,} invoices in {data_dir}")
                return store_id, open_id
        finally:
            conn.close()
    result = await fill_history(data_dir, lifetime=lifetime, open_count=1000)
    print(f"filled {lifetime:,} invoices in {result.seconds['total_s']} s ({result.seconds})")
    return result.store_id, result.open_invoice_ids[0]


async def main(lifetime: int, runs: int, data_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="rw-queries-") as tmp:
        where = data_dir or Path(tmp)
        store_id, open_id = await _filled(where, lifetime)
        services, db = await open_services(where)
        recorder = SqlRecorder(db.engine)
        worst = worst_warm = 0.0
        scans: list[str] = []
        try:
            print(f"{'query (ms)':<50} {'cold50':>7} {'cold99':>7} {'warm50':>7} {'warm99':>7}  plan")
            for name, call in query_cases(services, store_id, open_id, lifetime).items():
                recorder.statements.clear()
                recorder.on = True
                await call()
                recorder.on = False
                plans = explain(db.path, recorder.statements)
                # cold: the list's cached totals dropped before each run (the first list of a filter after
                # a start); warm: as the window pages and refreshes (totals kept exact, listing.py)
                p50, p99 = await time_case(call, runs, services.invoices.listing.totals.changed)
                w50, w99 = await time_case(call, runs)
                worst, worst_warm = max(worst, p99), max(worst_warm, w99)
                found = full_scans(plans)
                scans += [f"{name}: {line}" for line in found]
                summary = " | ".join(line for plan in plans for line in plan
                                     if line.startswith(("SCAN invoices", "SEARCH invoices USING COVERING")))
                print(f"{name:<50} {p50:7.1f} {p99:7.1f} {w50:7.1f} {w99:7.1f}  {'FULL SCAN ' if found else ''}"
                      f"{summary[:110]}")
        finally:
            await services.writer.close()
            await db.stop()
    print(f"worst p99 at {lifetime:,} invoices: cold {worst:.1f} ms, warm {worst_warm:.1f} ms (goal < {GOAL_MS:.0f} ms: "
          f"cold {'PASS' if worst < GOAL_MS else 'FAIL'}, warm {'PASS' if worst_warm < GOAL_MS else 'FAIL'}); "
          f"full scans of invoices: {len(scans)}")
    for line in scans:
        print(f"  {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetime", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=None, help="fill here, or reuse a filled shop here")
    args = parser.parse_args()
    asyncio.run(main(args.lifetime, args.runs, args.data_dir))
