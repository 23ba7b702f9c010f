"""Ready store: catalog, cart as a plain form, checkout -> 303 to the invoice, errors, rate limit, images."""

import re

from app.checkout_server.app import create_app
from app.checkout_server.shopper.keys import INVOICE_LIMITER
from app.checkout_server.shopper.ratelimit import TokenBuckets
from tests.checkout.conftest import add_product

HTML = {"Accept": "text/html"}


async def test_catalog_lists_products_with_prices_and_a_form(client, shop):
    response = await client.get(f"/s/{shop.store.id}")
    html = await response.text()
    assert response.status == 200
    assert "Espresso" in html and "$2.50" in html and "Short and strong" in html
    assert f'action="/s/{shop.store.id}/checkout"' in html
    for product in shop.products:
        assert f'name="qty_{product.id}"' in html
        assert f"/s/{shop.store.id}/p/{product.id}/image" in html


async def test_checkout_creates_invoice_and_redirects(client, services, shop):
    espresso, croissant = shop.products
    response = await client.post(f"/s/{shop.store.id}/checkout?lang=de", allow_redirects=False,
                                 data={f"qty_{espresso.id}": "2", f"qty_{croissant.id}": "1",
                                       "buyer_email": "buyer@example.com"})
    assert response.status == 303
    match = re.fullmatch(r"/i/([A-Za-z0-9_-]{22})\?lang=de", response.headers["Location"])
    assert match
    invoice = await services.invoices.get(match.group(1))
    assert str(invoice.price) == "8.00" and invoice.currency == "USD"
    assert invoice.buyer_email == "buyer@example.com"
    assert [(i["name"], i["quantity"]) for i in invoice.items] == [("Espresso", 2), ("Croissant", 1)]
    page = await client.get(response.headers["Location"])
    assert "Espresso" in await page.text()


async def _post(client, shop, data):
    return await client.post(f"/s/{shop.store.id}/checkout", data=data, headers=HTML, allow_redirects=False)


async def test_cart_errors_are_friendly_pages(client, shop):
    espresso, croissant = shop.products
    cases = [
        ({}, "Your cart is empty"),
        ({f"qty_{espresso.id}": "0"}, "Your cart is empty"),
        ({f"qty_{espresso.id}": "-1"}, "whole numbers from 0 to 999"),
        ({f"qty_{espresso.id}": "1.5"}, "whole numbers from 0 to 999"),
        ({f"qty_{espresso.id}": "1000"}, "whole numbers from 0 to 999"),
        ({f"qty_{espresso.id}": "abc"}, "whole numbers from 0 to 999"),
        ({"qty_prd_doesnotexist": "1"}, "not sold here any more"),
        ({f"qty_{croissant.id}": "3"}, "Only 2 of"),
        ({f"qty_{espresso.id}": "1", "buyer_email": "not-an-email"}, "email address does not look right"),
    ]
    for data, expected in cases:
        response = await _post(client, shop, data)
        html = await response.text()
        assert response.status == 422, (data, response.status)
        assert expected in html, (data, html[:500])
        assert 'role="alert"' in html and "Traceback" not in html
    kept = await _post(client, shop, {f"qty_{espresso.id}": "4", "buyer_email": "x@"})
    assert 'value="4"' in await kept.text()  # the shopper's quantities survive the error


async def test_cart_errors_are_translated(client, shop):
    response = await client.post(f"/s/{shop.store.id}/checkout?lang=es", data={}, headers=HTML)
    assert response.status == 422
    assert "Tu carrito está vacío" in await response.text()


async def test_unknown_or_archived_store_is_404(client, services, shop):
    assert (await client.get("/s/sto_nothere", headers=HTML)).status == 404
    assert (await client.post("/s/sto_nothere/checkout", data={"qty_x": "1"}, headers=HTML)).status == 404
    await services.stores.update(shop.store.id, {"archived": True})
    assert (await client.get(f"/s/{shop.store.id}", headers=HTML)).status == 404


async def test_store_without_wallet_or_rate_gives_503_page(client, services, shop):
    await services.stores.update(shop.store.id, {"default_currency": "EUR"})  # no EUR rate set
    response = await _post(client, shop, {f"qty_{shop.products[0].id}": "1"})
    assert response.status == 503
    assert "cannot take bitcoin payments right now" in await response.text()


async def test_invoice_creation_is_rate_limited_per_client(aiohttp_client, services, shop):
    app = create_app(services, public=True)
    app[INVOICE_LIMITER] = TokenBuckets(capacity=3, rate_per_s=0.001)
    client = await aiohttp_client(app)
    data = {f"qty_{shop.products[0].id}": "1"}
    statuses = [(await _post(client, shop, data)).status for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    limited = await _post(client, shop, data)
    assert "Retry-After" in limited.headers and int(limited.headers["Retry-After"]) > 0
    assert "Too many requests" in await limited.text()


def test_token_bucket_refills_and_forgets_old_clients():
    now = [0.0]
    buckets = TokenBuckets(capacity=2, rate_per_s=1.0, max_clients=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 1.0]
    now[0] = 1.0
    assert buckets.take("a") == 0
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: it starts again with a full bucket
    assert buckets.take("a") == 0 and buckets.take("a") == 0


async def test_product_images_are_served_safely(client, services, shop):
    images = services.settings.network_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    (images / "cup.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (services.settings.network_dir / "secret.png").write_bytes(b"secret")
    good = await add_product(services, shop.store.id, name="Cup", price="1.00", image="cup.png")
    response = await client.get(f"/s/{shop.store.id}/p/{good.id}/image")
    assert response.status == 200 and response.content_type == "image/png"
    assert await response.read() == b"\x89PNG\r\n\x1a\nfake"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("../secret.png", "/etc/passwd", "cup.svg", "cup.html", "missing.png", None):
        product = await add_product(services, shop.store.id, name=f"P {name}", price="1.00", image=name)
        other = await client.get(f"/s/{shop.store.id}/p/{product.id}/image")
        assert other.status == 200 and other.content_type == "image/svg+xml", name  # the placeholder
        assert b"secret" not in await other.read()
    wrong_store = await client.get(f"/s/sto_other/p/{good.id}/image")
    assert wrong_store.status == 404
    logo = await client.get(f"/s/{shop.store.id}/logo")
    assert logo.status == 200 and logo.content_type == "image/svg+xml"
    await services.stores.update(shop.store.id, {"checkout": {"logo": "cup.png"}})
    logo = await client.get(f"/s/{shop.store.id}/logo")
    assert logo.content_type == "image/png"
    page = await client.get(f"/i/{shop.invoice.id}")
    assert f'src="/s/{shop.store.id}/logo"' in await page.text()
