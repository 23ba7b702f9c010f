"""The invoice list's text search through the FTS5 trigram index (migration 0008,
app/services/invoicing/listing.py): exactly the invoices the substring rules select
(app/core/queries.py ``text_matches``, the same rules as the old LIKE scan), for tricky input; the
index follows inserts, updates and deletes, and an upgraded database gets its existing rows indexed."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from alembic import command

from app.checkout_server.app import create_app
from app.core.queries import InvoiceFilter
from app.db.migrate import alembic_config
from app.services.invoicing import listing
from tests.conftest import TEST_VPUB
from tests.services.conftest import running_services

ORDERS = ["50%_off", 'A"B*C', "x_y", "O'Brien", "Café-1", "CAFÉ-2", "日本語テスト", "7", "ab", "AB", None, "NEAR(a b)",
          "back\\slash", "order-1", "Order-10"]
DESCRIPTIONS = ['Table 2 "window"', "100% cotton", "pizza 🍕 slice", "AND OR NOT", "col:umn ^start", "", "x-y-z",
                "multi word  spaces", "Ünïcode ü", "TABLE 20", "50% off", "tab\tle", "a*b", "under_score", "ab"]
EMAILS = ["john+shop@example.com", "Mary.Smith@Example.COM", None, "o'neil@x.org", None, "büro@münchen.de", None,
          "a_b@c.io", None, None, "x%y@z.com", None, None, None, "john@example.com"]

TERMS = ['"', '""', "'", "%", "_", "%_", "50%", "50%_", "x_y", "x%y", "*", "a*b", "*b", '"*"', "NEAR(", "NEAR(a b)",
         "AND", "and or", "NOT", "col:", "^start", ":umn", "-", "x-y", "\\", "back\\", "\\slash", "Café", "café",
         "CAFÉ", "café-1", "é", "日本語", "本", "🍕", "pizza 🍕", "john+shop", "+shop@", "john+shop@example.com",
         "EXAMPLE.COM", "example.com", "o'neil", "O'B", "table 2", "TABLE", "  table 2  ", "   ", "7", "ab", "AB",
         "aB", "A", "b", "a b", "order-1", "ORDER-1", "der-", "Ünï", "ünï", "ü", "münchen", "tab\tle", "multi word",
         "word  sp", "Order-10", "ab@", "_b@", "0%", "100% c", "a\"b", 'A"B', 'B*C"', "x", "7 "]


async def _shop(services):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])


async def _fill(services):
    store = await _shop(services)
    return [await services.invoices.create(store.id, price="1.00", order_id=o, description=d, buyer_email=e)
            for o, d, e in zip(ORDERS, DESCRIPTIONS, EMAILS, strict=True)]


async def _found(services, text: str) -> list[str]:
    services.invoices.listing.totals.changed()
    page = await services.invoices.list(InvoiceFilter(text=text), limit=1000)
    assert page.total == len(page.items), text
    return [i.id for i in page.items]


def _like_scan(db_path, term: str) -> set[str]:
    """The old query, with its LIKE wildcards escaped: a scan of the whole table (the reference)."""
    like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT id FROM invoices WHERE id = ? OR address = ? OR order_id LIKE ? ESCAPE '\\' "
                            "OR description LIKE ? ESCAPE '\\' OR buyer_email LIKE ? ESCAPE '\\'",
                            (term, term, like, like, like)).fetchall()
    return {r[0] for r in rows}


def _integrity(db_path) -> None:
    with sqlite3.connect(db_path) as conn:  # raises SQLITE_CORRUPT_VTAB if the index and the rows disagree
        conn.execute("INSERT INTO invoices_search(invoices_search, rank) VALUES ('integrity-check', 1)")


async def _same_as_the_rules(services, invoices) -> None:
    by_id = {i.id: i for i in invoices}
    newest_first = [i.id for i in sorted(invoices, key=lambda i: i.created_at, reverse=True)]
    for term in TERMS:
        found = await _found(services, term)
        expected = [i for i in newest_first if InvoiceFilter(text=term).matches(by_id[i])]
        assert found == expected, term  # same rows, same order (newest first)
        stripped = term.strip()
        if len(stripped) >= 3:  # the substring rules are the old LIKE scan's, wildcards literal
            assert set(found) == _like_scan(services.db.path, stripped), term


async def test_search_selects_exactly_the_substring_matches_for_tricky_input(services):
    invoices = await _fill(services)
    by_id = {i.id: i for i in invoices}
    newest_first = [i.id for i in sorted(invoices, key=lambda i: i.created_at, reverse=True)]
    await _same_as_the_rules(services, invoices)
    assert len(await _found(services, "   ")) == len(invoices)  # blank: no filter, as before
    assert await _found(services, "café") == [by_id[i].id for i in newest_first if by_id[i].order_id == "Café-1"]
    assert await _found(services, "CAFÉ") == [i.id for i in invoices if i.order_id == "CAFÉ-2"]  # LIKE: ASCII case only
    assert await _found(services, "EXAMPLE.COM") == [i for i in newest_first
                                                     if "example.com" in (by_id[i].buyer_email or "").lower()]
    assert await _found(services, "%") == []  # literal, not a wildcard
    some = invoices[3]
    assert await _found(services, some.id) == [some.id]  # the id exactly
    assert await _found(services, some.address) == [some.id]
    assert await _found(services, some.id[:8]) == []  # ids are matched whole, as before
    assert await _found(services, "ab") == [i for i in newest_first if by_id[i].order_id in {"ab", "AB"}]  # short: whole order id
    assert await _found(services, "7") == [i.id for i in invoices if i.order_id == "7"]


async def test_common_terms_walk_the_list_with_the_same_results(services, monkeypatch):
    monkeypatch.setattr(listing, "COMMON_TERM", 2)  # every term found twice is "common" here
    invoices = await _fill(services)
    await _same_as_the_rules(services, invoices)
    assert services.invoices.listing._common["example.com"] is True
    assert services.invoices.listing._common["pizza 🍕"] is False
    page = await services.invoices.list(InvoiceFilter(text="example", store_id=invoices[0].store_id), offset=1, limit=1)
    assert page.total == 3 and [i.id for i in page.items] == [invoices[1].id]


async def test_search_keeps_the_other_filters_and_counts(services):
    invoices = await _fill(services)
    await services.invoices.mark(invoices[0].id, "invalid")  # order 50%_off
    store_id = invoices[0].store_id
    for flt, expected in ((InvoiceFilter(text="50%", status=["pending"]), [invoices[10].id]),
                          (InvoiceFilter(text="50%", status=["invalid"], store_id=store_id), [invoices[0].id]),
                          (InvoiceFilter(text="50%", store_ids=["sto_other"]), []),
                          (InvoiceFilter(text="ab", created_from=invoices[8].created_at), [invoices[9].id, invoices[8].id]),
                          (InvoiceFilter(text="ab", created_to=invoices[9].created_at), [invoices[8].id])):
        services.invoices.listing.totals.changed()
        page = await services.invoices.list(flt, limit=1)
        assert page.total == len(expected) and [i.id for i in page.items] == expected[:1], flt
    page = await services.invoices.list(InvoiceFilter(text="example"), offset=1, limit=1)
    assert page.total == 3 and [i.id for i in page.items] == [invoices[1].id]  # 14, 1, 0: newest first


async def test_new_invoices_update_cached_search_totals_exactly(services):
    store = await _shop(services)
    filters = [InvoiceFilter(text=t) for t in ("john+", "JOHN+SHOP", "x_y", "50%", "ab", "zz")]
    before = [(await services.invoices.list(f, limit=1)).total for f in filters]
    for o, d, e in zip(ORDERS, DESCRIPTIONS, EMAILS, strict=True):
        await services.invoices.create(store.id, price="1.00", order_id=o, description=d, buyer_email=e)
    cached = [(await services.invoices.list(f, limit=1)).total for f in filters]  # kept by InvoiceFilter.matches
    fresh = []
    for f in filters:
        services.invoices.listing.totals.changed()
        fresh.append((await services.invoices.list(f, limit=1)).total)
    assert before == [0] * len(filters) and cached == fresh == [1, 1, 1, 2, 2, 0]


async def test_index_follows_updates_and_deletes(services):
    invoices = await _fill(services)
    path = services.db.path
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE invoices SET description = 'renamed banana' WHERE id = ?", (invoices[2].id,))
        conn.execute("UPDATE invoices SET status = 'expired' WHERE id = ?", (invoices[4].id,))  # not searched
        conn.execute("DELETE FROM addresses WHERE invoice_id = ?", (invoices[5].id,))
        conn.execute("DELETE FROM outbox_events WHERE invoice_id = ?", (invoices[5].id,))
        conn.execute("DELETE FROM invoices WHERE id = ?", (invoices[5].id,))
    _integrity(path)
    assert await _found(services, "banana") == [invoices[2].id]
    assert await _found(services, "pizza") == []
    assert await _found(services, "col:umn") == [invoices[4].id]
    assert await _found(services, "münchen") == []


async def test_upgrade_indexes_the_existing_rows(tmp_path):
    async with running_services(tmp_path) as services:
        invoices = await _fill(services)
        path = services.db.path
    command.downgrade(alembic_config(path), "0007")  # as a database made before migration 0008
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'invoices_search%'").fetchone() == (0,)
    async with running_services(tmp_path) as services:  # start: migrations to head build the index
        _integrity(path)
        assert await _found(services, "john+shop") == [invoices[0].id]
        assert await _found(services, "pizza 🍕") == [invoices[2].id]
        created = await services.invoices.create(invoices[0].store_id, price="1.00", description="after upgrade")
        assert await _found(services, "AFTER UP") == [created.id]


async def test_rest_list_searches_the_same(aiohttp_client, services):
    invoices = await _fill(services)
    created = await services.apikeys.bootstrap()
    client = await aiohttp_client(create_app(services, public=False))
    headers = {"Authorization": f"Bearer {created.key.reveal()}"}
    for term in ("john+shop@example.com", '"', "%", "50%_", "日本語", "ab"):
        resp = await client.get("/api/v1/invoices", params={"text": term, "limit": "100"}, headers=headers)
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        expected = [i.id for i in sorted(invoices, key=lambda i: i.created_at, reverse=True)
                    if InvoiceFilter(text=term).matches(i)]
        assert [i["id"] for i in body["items"]] == expected and body["total"] == len(expected), term
