"""Unknown invoice ids: a static 404 page and no database read (known_invoices.py), and a new invoice
is served at once, even right after a 404 for its very id."""

from __future__ import annotations

import secrets

from sqlalchemy import event

from app.checkout_server.app import create_app
from app.checkout_server.shopper import known_invoices
from app.checkout_server.shopper.keys import KNOWN_INVOICES
from app.checkout_server.shopper.known_invoices import BloomFilter
from app.checkout_server.shopper.security import CSP, CSP_FRAMEABLE
from tests.checkout.conftest import make_shop

HTML = {"Accept": "text/html"}
UNKNOWN = "unknownUnknownUnknown0"


async def _client(aiohttp_client, services):
    app = create_app(services, public=True)
    client = await aiohttp_client(app)
    await app[KNOWN_INVOICES].loaded()
    assert app[KNOWN_INVOICES].ready
    return client, app[KNOWN_INVOICES]


class Statements:
    """SELECTs the services send to SQLite while the block runs."""

    def __init__(self, services) -> None:
        self.count = 0
        self._engine = services.db.engine.sync_engine

    def _seen(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self._engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self._engine, "before_cursor_execute", self._seen)


async def test_the_404_page_is_static_translated_and_keeps_every_header(aiohttp_client, services):
    await make_shop(services)
    client, _known = await _client(aiohttp_client, services)
    first = await client.get(f"/i/{UNKNOWN}", headers=HTML)
    body = await first.read()
    assert first.status == 404 and first.content_type == "text/html"
    assert first.headers["Content-Security-Policy"] == CSP
    assert first.headers["X-Frame-Options"] == "DENY"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert first.headers["Cache-Control"] == "no-store"
    text = body.decode()
    assert "Page not found" in text and "Error 404" in text
    assert UNKNOWN not in text  # nothing of the path on it: the language links are query-only
    assert 'href="?lang=de"' in text and "<script" not in text
    other = await client.get("/i/anotherUnknownId000000", headers=HTML)
    assert other.status == 404 and await other.read() == body  # the same bytes for every unknown id
    german = await client.get(f"/i/{UNKNOWN}?lang=de", headers=HTML)
    assert german.status == 404 and "Seite nicht gefunden" in await german.text()
    assert german.headers["Content-Language"] == "de"
    modal = await client.get(f"/i/{UNKNOWN}?view=modal", headers=HTML)
    assert modal.status == 404 and modal.headers["Content-Security-Policy"] == CSP_FRAMEABLE
    assert 'href="?view=modal&amp;lang=de"' in await modal.text()


async def test_an_unknown_id_costs_no_database_read(aiohttp_client, services):
    shop = await make_shop(services)
    client, known = await _client(aiohttp_client, services)
    sprayed = [secrets.token_urlsafe(16) for _ in range(50)]
    with Statements(services) as statements:
        for invoice_id in sprayed:
            if known.might_exist(invoice_id):
                continue  # a rare false positive (1%) goes to the database: not what this test counts
            response = await client.get(f"/i/{invoice_id}", headers=HTML)
            assert response.status == 404
            assert (await client.get(f"/i/{invoice_id}/status")).status == 404  # JSON routes too
    assert statements.count == 0
    assert (await client.get(f"/i/{shop.invoice.id}", headers=HTML)).status == 200  # loaded at start


async def test_a_new_invoice_is_served_right_after_a_404_for_its_id(aiohttp_client, services, monkeypatch):
    shop = await make_shop(services)
    client, known = await _client(aiohttp_client, services)
    chosen = secrets.token_urlsafe(16)
    assert (await client.get(f"/i/{chosen}", headers=HTML)).status == 404
    monkeypatch.setattr("app.services.invoicing.invoices.new_invoice_id", lambda: chosen)
    invoice = await services.invoices.create(shop.store.id, price="5.00")
    assert invoice.id == chosen and known.might_exist(chosen)
    page = await client.get(f"/i/{chosen}", headers=HTML)  # no wait, no event dispatch needed
    assert page.status == 200 and "Waiting for payment" in await page.text()
    assert (await client.get(f"/i/{chosen}/status")).status == 200


async def test_ids_created_while_the_filter_loads_are_not_lost(aiohttp_client, services, monkeypatch):
    shop = await make_shop(services)
    monkeypatch.setattr(known_invoices, "SCAN_BATCH", 1)  # a load of several short reads
    app = create_app(services, public=True)
    client = await aiohttp_client(app)
    known = app[KNOWN_INVOICES]
    created = [await services.invoices.create(shop.store.id, price="1.00") for _ in range(5)]
    await known.loaded()
    assert known.ready
    for invoice in created:
        assert known.might_exist(invoice.id)
        assert (await client.get(f"/i/{invoice.id}", headers=HTML)).status == 200


async def test_the_filter_grows_past_its_capacity(aiohttp_client, services, monkeypatch):
    shop = await make_shop(services)
    monkeypatch.setattr(known_invoices, "MIN_CAPACITY", 4)
    client, known = await _client(aiohttp_client, services)
    created = [await services.invoices.create(shop.store.id, price="1.00") for _ in range(12)]
    await known.loaded()  # creations beyond the capacity started a larger rebuild
    for invoice in [shop.invoice, *created]:
        assert known.might_exist(invoice.id)
        assert (await client.get(f"/i/{invoice.id}", headers=HTML)).status == 200


def test_bloom_filter_has_no_false_negatives_and_about_one_percent_false_positives():
    bloom = BloomFilter(20_000)
    ids = [secrets.token_urlsafe(16) for _ in range(20_000)]
    for invoice_id in ids:
        bloom.add(invoice_id)
    assert all(invoice_id in bloom for invoice_id in ids)
    false_positives = sum(secrets.token_urlsafe(16) in bloom for _ in range(20_000))
    assert false_positives < 20_000 * 0.02
    assert bloom.size_bytes <= 20_000 * 1.5  # 12 bits per id
