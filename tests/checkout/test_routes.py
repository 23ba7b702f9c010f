"""The public listener serves only public routes; shopper routes, static files and the modal script."""

import re

from app.checkout_server.app import create_app
from app.checkout_server.routes import route_table

_CANDIDATES = ("x1", "1", "abc.js", "a", "x")
_VARIABLE = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})+))?\}")


def _concrete(path: str) -> str:
    def fill(match: re.Match) -> str:
        pattern = match.group(2)
        if not pattern:
            return "x1"
        return next((c for c in _CANDIDATES if re.fullmatch(pattern, c)), "x1")

    return _VARIABLE.sub(fill, path)


def _canonical(path: str) -> str:
    return _VARIABLE.sub(lambda m: "{" + m.group(1) + "}", path)


def test_concrete_paths():
    assert _concrete("/i/{invoice_id:[A-Za-z0-9_-]{1,64}}/status") == "/i/x1/status"
    assert _concrete("/api/v1/stores/{store_id}") == "/api/v1/stores/x1"


async def test_every_private_route_is_404_on_the_public_listener(aiohttp_client, services):
    client = await aiohttp_client(create_app(services, public=True))
    table = route_table()
    private = [r for r in table if not r.public]
    assert any(r.path == "/health" for r in private)
    for route in private:
        response = await client.request(route.method, _concrete(route.path), allow_redirects=False)
        assert response.status == 404, f"{route.method} {route.path} answered {response.status} on the public listener"
    public_paths = {resource.canonical for resource in client.app.router.resources()}
    for route in (r for r in table if r.public):
        assert _canonical(route.path) in public_paths, f"public route {route.path} missing on the public listener"


async def test_private_listener_has_shopper_pages_too(aiohttp_client, services, shop):
    client = await aiohttp_client(create_app(services, public=False))
    assert (await client.get(f"/i/{shop.invoice.id}")).status == 200
    assert (await client.get("/health")).status == 200


async def test_unknown_paths_and_ids_get_a_friendly_404(client, shop):
    for path in ("/nope", "/i/unknownid0000000000000", "/i/" + "a" * 80, "/s/sto_missing", "/i/bad%20id",
                 f"/i/{shop.invoice.id}x"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.status == 404, path
        text = await response.text()
        assert "Page not found" in text and "Traceback" not in text
    status = await client.get("/i/unknownid0000000000000/status")
    assert status.status == 404 and (await status.json())["error"]["code"] == "invoice_not_found"


async def test_static_assets_and_modal_script(client):
    css = await client.get("/static/checkout.css")
    assert css.status == 200 and css.content_type == "text/css" and "prefers-color-scheme" in await css.text()
    again = await client.get("/static/checkout.css", headers={"If-None-Match": css.headers["ETag"]})
    assert again.status == 304
    assert (await client.get("/static/../app.py")).status == 404
    assert (await client.get("/static/nothere.js")).status == 404
    modal = await client.get("/modal/redwaves.js")
    assert modal.status == 200 and modal.content_type == "text/javascript"
    body = await modal.text()
    for name in ("showInvoice", "onModalWillEnter", "onModalWillLeave"):
        assert name in body
    assert modal.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


async def test_wrong_method_is_a_friendly_405(client, shop):
    response = await client.post(f"/i/{shop.invoice.id}", data={}, headers={"Accept": "text/html"})
    assert response.status == 405
    assert "text/html" in response.content_type
