"""Issue 17 item 4: the public listener cannot drain addresses.

Real listeners on 127.0.0.1 (``serve``), real services on SQLite: the ready store obeys the store's
``anyone_can_create_invoice`` (off by default without a catalogue), is rate-limited per store across
client addresses, and stops at the store's budget of open unpaid public invoices with a clear page and
one notification to the merchant per crossing; the budget refills as invoices expire.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import select, update

from app.checkout_server.app import create_app
from app.checkout_server.shopper.keys import INVOICE_LIMITER, STORE_INVOICE_LIMITER
from app.checkout_server.shopper.ratelimit import TokenBuckets
from app.core.statuses import InvoiceStatus
from app.db.models import InvoiceRow, OutboxEventRow
from tests.checkout.conftest import make_shop
from tests.hardening.conftest import raw_request


def _unlimited(services):
    app = create_app(services, public=True)
    app[INVOICE_LIMITER] = TokenBuckets(capacity=1000, rate_per_s=100)
    app[STORE_INVOICE_LIMITER] = TokenBuckets(capacity=1000, rate_per_s=100)
    return app


async def _order(port: int, store_id: str, product_id: str, *, source: str = "127.0.0.1") -> tuple[int, dict, str]:
    body = urlencode({f"qty_{product_id}": "1"}).encode()
    status, headers, payload = await raw_request(
        port, f"POST /s/{store_id}/checkout HTTP/1.1\nHost: 127.0.0.1\nAccept: text/html\n"
              f"Content-Type: application/x-www-form-urlencoded\nContent-Length: {len(body)}", body, source=source)
    return status, headers, payload.decode("utf-8", "replace")


async def _get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def test_public_creation_obeys_the_store_setting(serve, services, shop):
    listener = await serve(public=True, app=_unlimited(services))
    product = shop.products[0]
    status, _, _ = await _order(listener.port, shop.store.id, product.id)
    assert status == 303  # a store with a catalogue and no setting: the ready store takes orders

    await services.stores.update(shop.store.id, {"checkout": {"anyone_can_create_invoice": False}})
    status, headers, html = await _order(listener.port, shop.store.id, product.id)
    assert status == 403 and "does not take orders on this page" in html
    assert "default-src" in headers["content-security-policy"]
    status, page = await _get(listener.port, f"/s/{shop.store.id}")
    assert status == 200 and "Espresso" in page  # the catalogue still shows ...
    assert 'name="qty_' not in page and "Check out with bitcoin" not in page  # ... without the order form
    assert 'id="not-ordering"' in page

    bare = await services.stores.create("No catalogue", wallet_ids=list(shop.store.wallet_ids))
    status, _, html = await _order(listener.port, bare.id, product.id)
    assert status == 403 and "does not take orders" in html  # no setting, no catalogue: off

    await services.stores.update(shop.store.id, {"checkout": {"anyone_can_create_invoice": True}})
    assert (await _order(listener.port, shop.store.id, product.id))[0] == 303
    async with services.writer.read() as session:
        flags = (await session.scalars(select(InvoiceRow.public).where(InvoiceRow.store_id == shop.store.id)
                                       .order_by(InvoiceRow.created_at))).all()
    assert flags == [False, True, True]  # the merchant's own invoice is not public


async def _expire(services, invoice_id: str) -> None:
    async with services.writer.transaction() as session:
        await session.execute(update(InvoiceRow).where(InvoiceRow.id == invoice_id)
                              .values(created_at=datetime.now(UTC) - timedelta(minutes=16),
                                      expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    await services.engine.reconcile_where(InvoiceRow.id == invoice_id)
    assert (await services.invoices.get(invoice_id)).status == InvoiceStatus.EXPIRED


async def _alerts(services, store_id: str) -> list[int]:
    async with services.writer.read() as session:
        return list((await session.scalars(select(OutboxEventRow.seq).where(
            OutboxEventRow.store_id == store_id, OutboxEventRow.type == "store.public_budget_reached"))).all())


async def _tray_rows(services, store_id: str, seqs: list[int], expected: int):
    async with asyncio.timeout(10):
        while True:
            rows = [r for r in await services.notifications.deliveries(store_id) if r.event_seq in seqs]
            if len(rows) >= expected and all(r.status == "delivered" for r in rows):
                return rows
            await asyncio.sleep(0.05)


async def test_budget_refuses_with_a_page_notifies_once_and_refills(serve, services, shop):
    shown: list[tuple[str, str]] = []
    services.notifications.channels.tray.register(lambda subject, body, url: shown.append((subject, body)))
    await services.notifications.start()
    try:
        await services.stores.update(shop.store.id, {"checkout": {"public_invoice_budget": 3}})
        listener = await serve(public=True, app=_unlimited(services))
        product = shop.products[0]
        created = []
        for _ in range(3):
            status, headers, _ = await _order(listener.port, shop.store.id, product.id)
            assert status == 303
            created.append(headers["location"].split("/i/")[1])
        for _ in range(2):  # the 4th and 5th: refused, the same clear page
            status, headers, html = await _order(listener.port, shop.store.id, product.id)
            assert status == 429, html[:300]
            assert "This shop is busy" in html and "many unpaid orders open" in html
            assert 800 <= int(headers["retry-after"]) <= 901  # until the oldest one expires (15 min)
            assert "default-src" in headers["content-security-policy"]
        seqs = await _alerts(services, shop.store.id)
        assert len(seqs) == 1  # told once, not once per refused shopper
        [row] = await _tray_rows(services, shop.store.id, seqs, 1)
        assert row.channel == "tray" and row.kind == "merchant"
        [(subject, body)] = shown
        assert "turning shoppers away" in subject and "3 invoices" in body and "Open public invoices at most" in body
        assert await services.public_invoices.open_count(shop.store.id) == 3

        await _expire(services, created[0])  # the budget refills as invoices expire ...
        status, headers, _ = await _order(listener.port, shop.store.id, product.id)
        assert status == 303
        created.append(headers["location"].split("/i/")[1])
        assert (await _order(listener.port, shop.store.id, product.id))[0] == 429  # ... the next crossing
        seqs = await _alerts(services, shop.store.id)
        assert len(seqs) == 2  # re-armed once the count fell below the budget: told again, once
        await _tray_rows(services, shop.store.id, seqs, 2)
        assert len(shown) == 2
        addresses = [(await services.invoices.get(i)).address for i in created]
        assert len(set(addresses)) == 4  # never reused
    finally:
        await services.notifications.stop()


async def test_per_store_rate_limit_across_client_addresses(serve, services, shop):
    app = create_app(services, public=True)
    app[INVOICE_LIMITER] = TokenBuckets(capacity=2, rate_per_s=0.001)
    app[STORE_INVOICE_LIMITER] = TokenBuckets(capacity=3, rate_per_s=0.001)
    listener = await serve(public=True, app=app)
    product = shop.products[0]
    first = [(await _order(listener.port, shop.store.id, product.id, source="127.0.0.2"))[0] for _ in range(3)]
    assert first == [303, 303, 429]  # the client's own limit
    status, _, _ = await _order(listener.port, shop.store.id, product.id, source="127.0.0.3")
    assert status == 303  # another client: the store's third
    status, headers, html = await _order(listener.port, shop.store.id, product.id, source="127.0.0.4")
    assert status == 429 and int(headers["retry-after"]) > 0
    assert "receiving many orders right now" in html  # the store's limit, whoever asks
    other = await services.stores.create("Other", wallet_ids=list(shop.store.wallet_ids),
                                         checkout={"anyone_can_create_invoice": True})
    other_product = await services.products.create(other.id, name="Tea", price="2.00")
    assert (await _order(listener.port, other.id, other_product.id, source="127.0.0.5"))[0] == 303


async def test_keyless_api_calls_count_against_the_budget(serve, services):
    shop = await make_shop(services)
    await services.stores.update(shop.store.id, {"checkout": {"anyone_can_create_invoice": True,
                                                              "public_invoice_budget": 1}})
    listener = await serve(public=False)
    url = f"http://127.0.0.1:{listener.port}/api/v1/stores/{shop.store.id}/invoices"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=json.dumps({"price": "1.00"}),
                                headers={"Content-Type": "application/json"}) as response:
            assert response.status == 201
        async with session.post(url, data=json.dumps({"price": "1.00"}),
                                headers={"Content-Type": "application/json"}) as response:
            assert response.status == 429
            assert (await response.json())["error"]["code"] == "public_invoice_budget"
