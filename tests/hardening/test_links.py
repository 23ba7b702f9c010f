"""Item 5: the language links of an HTML page are built from its route, never from the raw path."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.hardening.conftest import raw_request

LANG_LINK = re.compile(r'<a href="([^"]*)" hreflang="(\w+)"')


def _language_links(html: str) -> dict[str, str]:
    return {code: href.replace("&amp;", "&") for href, code in LANG_LINK.findall(html)}


@pytest.mark.parametrize("path", ["//evil.example/x", "/%5Cevil.example/x", "/%2F%2Fevil.example/x",
                                  "/\\evil.example/x", "///evil.example/x?lang=de"])
async def test_404_language_links_stay_on_this_site(serve, path):
    listener = await serve(public=True)
    status, headers, body = await raw_request(listener.port, f"GET {path} HTTP/1.1\nHost: shop.lan\n"
                                                             "Accept: text/html")
    assert status == 404 and headers["content-type"].startswith("text/html")
    links = _language_links(body.decode())
    assert set(links) == {"en", "de", "es", "ru"}
    base = f"http://shop.lan{path}"
    for code, href in links.items():
        assert href == f"?lang={code}"  # a query-only link: the current page, whatever its path
        target = urlsplit(urljoin(base, href))
        assert (target.scheme, target.netloc) == ("http", "shop.lan")
        assert "evil" not in href


async def test_page_language_links_are_rebuilt_from_the_route(serve, shop):
    listener = await serve(public=True)
    status, _headers, body = await raw_request(
        listener.port, f"GET /i/{shop.invoice.id}?view=modal&next=//evil.example HTTP/1.1\nHost: shop.lan")
    assert status == 200
    links = _language_links(body.decode())
    assert links["de"] == f"/i/{shop.invoice.id}?view=modal&lang=de"
    assert all("evil" not in href for href in links.values())
