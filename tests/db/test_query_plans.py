"""Every invoice-list and dashboard query uses an index: EXPLAIN QUERY PLAN of the SQL the services
really send (captured as it runs, on a shop filled by bench/history_data.py, no ANALYZE statistics,
as in a real shop's database) never reads the whole invoices or payments table; the text search
looks its terms up in the FTS5 trigram index (migration 0008, docs/invoices.md). bench/bench_queries.py
times the same queries at 1,000,000 invoices."""

from __future__ import annotations

import pytest
import pytest_asyncio

from bench.bench_queries import (
    SqlRecorder,
    explain,
    full_scans,
    open_services,
    query_cases,
    search_index_lookups,
)
from bench.history_data import fill_history

LIFETIME = 3_000
SHORT_SEARCH = "search: short term (whole order id)"  # under 3 characters: the order id index, no trigram


pytestmark = pytest.mark.asyncio(loop_scope="module")  # one filled shop for every test here


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def filled(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("history")
    result = await fill_history(data_dir, lifetime=LIFETIME, open_count=100)
    services, db = await open_services(data_dir)
    try:
        yield services, db, result
    finally:
        await services.writer.close()
        await db.stop()


def _no_stats(db_path) -> None:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0] == 0


@pytest.mark.parametrize("name", list(query_cases(None, "", "", LIFETIME)))
async def test_list_and_dashboard_queries_use_an_index(filled, name):
    services, db, result = filled
    _no_stats(db.path)
    recorder = SqlRecorder(db.engine)
    call = query_cases(services, result.store_id, result.open_invoice_ids[0], LIFETIME)[name]
    recorder.on = True
    page = await call()
    recorder.on = False
    assert recorder.statements, "the call sent no SELECT"
    plans = explain(db.path, recorder.statements)
    assert not full_scans(plans), f"{name}: {plans}"
    assert not full_scans(plans, "payments"), f"{name}: {plans}"
    if name.startswith("search:") and name != SHORT_SEARCH:  # the page and its total: both through the index
        on_invoices = [plan for plan in plans if any(" invoices " in f"{line} " for line in plan)]
        assert len(search_index_lookups(on_invoices)) == len(on_invoices) == 2, f"{name}: {plans}"
    if name == SHORT_SEARCH:
        assert any("ix_invoices_order_id" in line for plan in plans for line in plan), plans
    assert page is not None


async def test_search_finds_the_filled_rows(filled):
    """The fast-path inserts of the fill (app/db/fastpath.py, as invoice creation) went through the
    triggers: the index agrees with the rows and finds them."""
    import sqlite3

    from app.core.queries import InvoiceFilter

    services, db, result = filled
    with sqlite3.connect(db.path) as conn:
        conn.execute("INSERT INTO invoices_search(invoices_search, rank) VALUES ('integrity-check', 1)")
        indexed = conn.execute("SELECT count(*) FROM invoices_search_docsize").fetchone()[0]
    assert indexed == LIFETIME
    found = await services.invoices.list(InvoiceFilter(text=f"ORDER-{LIFETIME // 2}"))
    assert [i.order_id for i in found.items] == [f"order-{LIFETIME // 2}"] and found.total == 1
    mail = await services.invoices.list(InvoiceFilter(text="buyer1000@EXAMPLE.com"))
    assert [i.buyer_email for i in mail.items] == ["buyer1000@example.com"]
    common = await services.invoices.list(InvoiceFilter(text="@example.com"), limit=10)
    assert common.total == LIFETIME // 5 and len(common.items) == 10
    assert [i.created_at for i in common.items] == sorted((i.created_at for i in common.items), reverse=True)
    opened = await services.invoices.list(InvoiceFilter(text=result.open_invoice_ids[0]))
    assert [i.id for i in opened.items] == [result.open_invoice_ids[0]]


async def test_pages_come_newest_first_and_deep_offsets_agree(filled):
    from app.core.queries import InvoiceFilter

    services, _db, _result = filled
    first = await services.invoices.list(InvoiceFilter(), offset=0, limit=100)
    second = await services.invoices.list(InvoiceFilter(), offset=100, limit=100)
    assert first.total == second.total == LIFETIME
    stamps = [i.created_at for i in first.items + second.items]
    assert stamps == sorted(stamps, reverse=True)
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    last = await services.invoices.list(InvoiceFilter(), offset=LIFETIME - 10, limit=50)
    assert len(last.items) == 10 and last.items[-1].derivation_index == 0  # the oldest invoice


async def test_filled_history_is_what_the_app_reads(filled):
    from app.core.queries import InvoiceFilter

    services, _db, result = filled
    assert len(result.open_invoice_ids) == 100 == len(result.open_addresses)
    opened = await services.invoices.get(result.open_invoice_ids[-1])
    assert opened.status == "pending" and opened.address == result.open_addresses[-1]
    assert opened.derivation_index == LIFETIME - 1
    complete = await services.invoices.list(InvoiceFilter(status=["complete"]), limit=5)
    assert complete.total > LIFETIME // 2
    paid = complete.items[0]
    assert paid.amount_paid_sat == paid.amount_due_sat and len(paid.payments) == 1
    wallet = await services.wallets.get(result.wallet_id)
    assert wallet.next_index == LIFETIME
