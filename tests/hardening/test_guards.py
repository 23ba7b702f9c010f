"""Item 2: the private listener answers only its own Host names, refuses cross-origin browser
requests (except the cors_origins allow-list) and JSON bodies that are not application/json;
shopper forms refuse cross-site posts on both listeners while same-origin posts keep working."""

from __future__ import annotations

import dataclasses
import json

import pytest

from app.checkout_server.app import create_app
from app.checkout_server.guards import host_allowed
from tests.hardening.conftest import raw_request


async def _key(services) -> str:
    return (await services.apikeys.bootstrap()).key.reveal()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8470", "127.0.0.1.nip.io", "localhost.evil.example",
                                  ""])
async def test_private_listener_refuses_foreign_host_names(serve, host):
    listener = await serve(public=False)
    for path in ("/health", "/api/v1/health", "/api/v1/stores"):
        status, _h, body = await raw_request(listener.port, f"GET {path} HTTP/1.1\nHost: {host}")
        assert status == 421 and json.loads(body)["error"]["code"] == "unknown_host", (path, host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8470", "localhost", "LOCALHOST:1", "[::1]:8470", "::1",
                                  "localhost."])
async def test_private_listener_answers_loopback_names(serve, host):
    listener = await serve(public=False)
    status, _h, _body = await raw_request(listener.port, f"GET /health HTTP/1.1\nHost: {host}")
    assert status == 200


def test_configured_private_host_and_wildcards():
    assert host_allowed("shop-admin.lan:8470", "shop-admin.lan")
    assert not host_allowed("evil.example", "shop-admin.lan")
    assert host_allowed("192.168.1.20:8470", "0.0.0.0") and not host_allowed("evil.example", "0.0.0.0")
    assert not host_allowed("192.168.1.20", "127.0.0.1")


async def test_public_listener_serves_any_host(serve, shop):
    listener = await serve(public=True)
    for host in ("192.168.1.20:8471", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion", "shop.example"):
        status, _h, _b = await raw_request(listener.port, f"GET /i/{shop.invoice.id} HTTP/1.1\nHost: {host}")
        assert status == 200, host


async def test_cross_origin_text_plain_post_creates_no_invoice(serve, services, shop):
    listener = await serve(public=False)
    key = await _key(services)
    body = json.dumps({"price": "1.00"}).encode()
    url = f"/api/v1/stores/{shop.store.id}/invoices"
    before = (await services.invoices.list()).total
    attacks = [
        "Origin: http://evil.example\nContent-Type: text/plain",
        "Origin: http://evil.example\nContent-Type: application/json",
        "Sec-Fetch-Site: cross-site\nContent-Type: application/json",
        "Origin: null\nContent-Type: application/json",
    ]
    for extra in attacks:
        status, _h, answer = await raw_request(
            listener.port, f"POST {url} HTTP/1.1\nHost: 127.0.0.1:{listener.port}\nAuthorization: Bearer {key}\n"
                           f"{extra}\nContent-Length: {len(body)}", body)
        assert status == 403 and json.loads(answer)["error"]["code"] == "cross_origin", extra
    # same origin but a CORS-safe content type: still refused (a JSON body must say it is JSON)
    status, _h, answer = await raw_request(
        listener.port, f"POST {url} HTTP/1.1\nHost: 127.0.0.1:{listener.port}\nAuthorization: Bearer {key}\n"
                       f"Content-Type: text/plain\nContent-Length: {len(body)}", body)
    assert status == 415 and json.loads(answer)["error"]["code"] == "unsupported_media_type"
    assert (await services.invoices.list()).total == before
    # a script or SDK (no Origin), and the window's own page (same origin): fine
    for extra in ("", f"Origin: http://127.0.0.1:{listener.port}\nSec-Fetch-Site: same-origin"):
        status, _h, answer = await raw_request(
            listener.port, f"POST {url} HTTP/1.1\nHost: 127.0.0.1:{listener.port}\nAuthorization: Bearer {key}\n"
                           f"{extra}\nContent-Type: application/json\nContent-Length: {len(body)}".replace("\n\n", "\n"),
            body)
        assert status == 201, answer


async def test_cors_allow_list(serve, services):
    allowed = "https://app.example"
    services.settings = dataclasses.replace(services.settings, cors_origins=(allowed,))
    listener = await serve(public=False)
    key = await _key(services)
    head = f"Host: 127.0.0.1:{listener.port}\nOrigin: {allowed}\nSec-Fetch-Site: cross-site"
    status, headers, _b = await raw_request(
        listener.port, f"OPTIONS /api/v1/stores HTTP/1.1\n{head}\nAccess-Control-Request-Method: GET\n"
                       "Access-Control-Request-Headers: authorization")
    assert status == 204 and headers["access-control-allow-origin"] == allowed
    assert "Authorization" in headers["access-control-allow-headers"]
    status, headers, _b = await raw_request(listener.port, f"GET /api/v1/stores HTTP/1.1\n{head}\n"
                                                           f"Authorization: Bearer {key}")
    assert status == 200 and headers["access-control-allow-origin"] == allowed
    status, headers, _b = await raw_request(listener.port, f"GET /api/v1/stores HTTP/1.1\n{head}")
    assert status == 401 and headers["access-control-allow-origin"] == allowed  # errors are readable too
    other = head.replace(allowed, "https://evil.example")
    status, headers, _b = await raw_request(listener.port, f"GET /api/v1/stores HTTP/1.1\n{other}\n"
                                                           f"Authorization: Bearer {key}")
    assert status == 403 and "access-control-allow-origin" not in headers


def _form(shop) -> tuple[str, bytes]:
    body = f"qty_{shop.products[0].id}=1".encode()
    return f"/s/{shop.store.id}/checkout", body


@pytest.mark.parametrize("public", [True, False])
async def test_shopper_form_refuses_cross_site_posts(serve, shop, public):
    listener = await serve(public=public)
    url, body = _form(shop)
    host = f"127.0.0.1:{listener.port}"
    for extra in ("Origin: http://evil.example", "Origin: http://evil.example\nSec-Fetch-Site: cross-site",
                  "Origin: null\nSec-Fetch-Site: cross-site", "Sec-Fetch-Site: cross-site"):
        status, headers, page = await raw_request(
            listener.port, f"POST {url} HTTP/1.1\nHost: {host}\n{extra}\nAccept: text/html\n"
                           f"Content-Type: application/x-www-form-urlencoded\nContent-Length: {len(body)}", body)
        assert status == 403 and headers["content-type"].startswith("text/html"), extra
        assert "another website" in page.decode()


@pytest.mark.parametrize("public", [True, False])
async def test_shopper_form_same_origin_posts_work(serve, shop, public):
    """Tor Browser and Chromium: Sec-Fetch-Site same-origin, Origin null (our no-referrer policy) or the
    page's own origin; an old browser without either; over the onion the Host is the .onion name."""
    listener = await serve(public=public)
    url, body = _form(shop)
    onion = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion"
    host = f"127.0.0.1:{listener.port}"
    cases = [(host, "Origin: null\nSec-Fetch-Site: same-origin"), (host, f"Origin: http://{host}"),
             (host, "Origin: null"), (host, "")]
    if public:
        cases.append((onion, f"Origin: http://{onion}\nSec-Fetch-Site: same-origin"))
        cases.append((onion, f"Origin: http://{onion}"))
    for host_header, extra in cases:
        status, headers, _page = await raw_request(
            listener.port, f"POST {url} HTTP/1.1\nHost: {host_header}\n{extra}\nAccept: text/html\n"
                           f"Content-Type: application/x-www-form-urlencoded\nContent-Length: {len(body)}"
                           .replace("\n\n", "\n"), body)
        assert status == 303 and headers["location"].startswith("/i/"), (host_header, extra)


async def test_shopper_pages_stay_embeddable_cross_site(serve, shop):
    listener = await serve(public=False)
    status, _h, _b = await raw_request(
        listener.port, f"GET /i/{shop.invoice.id}?view=modal HTTP/1.1\nHost: 127.0.0.1\nSec-Fetch-Site: cross-site\n"
                       "Sec-Fetch-Dest: iframe")
    assert status == 200
    status, _h, _b = await raw_request(listener.port, "GET /modal/redwaves.js HTTP/1.1\nHost: 127.0.0.1\n"
                                                      "Sec-Fetch-Site: cross-site")
    assert status == 200


def test_create_app_installs_guards_after_the_forwarded_middleware(services):
    from app.checkout_server.exposure import forwarded_middleware
    from app.checkout_server.guards import private_guard, shopper_form_guard

    private = list(create_app(services, public=False).middlewares)
    assert private.index(private_guard) == private.index(forwarded_middleware) + 1
    public = list(create_app(services, public=True).middlewares)
    assert private_guard not in public and shopper_form_guard in public
