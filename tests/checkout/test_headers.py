"""Security headers on every response; only the modal checkout view may be framed."""

PAGE_PATHS = ("/i/{invoice}", "/i/{invoice}/receipt", "/s/{store}", "/i/{invoice}/status", "/static/checkout.css",
              "/nope", "/i/unknownid0000000000000")


def _strict(headers) -> None:
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                      "connect-src 'self'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_strict_headers_everywhere(client, shop):
    for template in PAGE_PATHS:
        path = template.format(invoice=shop.invoice.id, store=shop.store.id)
        response = await client.get(path, headers={"Accept": "text/html"})
        _strict(response.headers)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


async def test_only_the_modal_view_may_be_framed(client, shop):
    response = await client.get(f"/i/{shop.invoice.id}?view=modal")
    assert response.status == 200
    _strict(response.headers)
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    for path in (f"/i/{shop.invoice.id}/receipt?view=modal", f"/s/{shop.store.id}?view=modal"):
        other = await client.get(path)
        assert other.headers["X-Frame-Options"] == "DENY"


async def test_pages_have_no_inline_script_or_style(client, shop):
    for path in (f"/i/{shop.invoice.id}", f"/i/{shop.invoice.id}/receipt", f"/s/{shop.store.id}", "/nope"):
        html = await (await client.get(path, headers={"Accept": "text/html"})).text()
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
        for script in html.split("<script")[1:]:
            assert script.lstrip().startswith("src=\"/static/"), script[:80]


async def test_invoice_pages_are_not_cached(client, shop):
    response = await client.get(f"/i/{shop.invoice.id}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Language"] == "en"


async def test_oversized_bodies_are_refused(client, shop):
    big = "x" * (64 * 1024)
    response = await client.post(f"/s/{shop.store.id}/checkout", data={"qty_x": big})
    assert response.status == 413
    assert "text/html" in response.content_type
