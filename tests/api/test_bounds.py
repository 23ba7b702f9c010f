"""Issue 17 items 1 and 8 on the REST API (real HTTP on 127.0.0.1): oversized inputs are refused fast with a
specific error while /health keeps answering; redirect URLs are http(s) only; 405 says what is allowed;
the OpenAPI document publishes the same bounds."""

from __future__ import annotations

import io
import json

import pytest

from app.core.limits import MAX_JSON_DEPTH
from app.core.urls import URL_PATTERN
from tests.api.conftest import auth, shop
from tests.api.timing import json_sender


@pytest.fixture
def timed(client):
    return json_sender(client)


def _nested(objects: int) -> object:
    value: object = 1
    for _ in range(objects):
        value = {"a": value}
    return value


async def test_numbers_and_nesting_in_json_bodies_are_bounded(timed, services, admin_key):
    store = await shop(services)
    h = {**auth(admin_key), "Content-Type": "application/json"}
    path = f"/api/v1/stores/{store.id}/invoices"
    status, body = await timed("POST", path, "1e999999", headers=h,
                               data=b'{"price": "1.00", "metadata": {"n": 1e999999}}')
    assert status == 422 and body["error"]["code"] == "number_too_large"
    status, body = await timed("POST", path, "5000 digits", headers=h,
                               data=b'{"price": "1.00", "metadata": {"n": ' + b"9" * 5000 + b"}}")
    assert status == 422 and body["error"]["code"] == "number_too_large"
    status, body = await timed("POST", path, "33 levels", headers=h,  # the body itself is the first level
                               data=json.dumps({"price": "1.00", "metadata": _nested(MAX_JSON_DEPTH)}).encode())
    assert status == 422 and body["error"]["code"] == "too_deep"
    status, body = await timed("POST", path, "100,000 levels", headers=h,
                               data=b'{"metadata": ' + b"[" * 30_000 + b"]" * 30_000 + b"}")
    assert status in (413, 422) and body["error"]["code"] in ("payload_too_large", "too_deep")
    status, body = await timed("POST", path, "1 MB body", headers=h, data=io.BytesIO(b" " * 1_000_000))
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    status, body = await timed("POST", path, "NaN", headers=h, data=b'{"price": "1.00", "metadata": {"n": NaN}}')
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = await timed("POST", path, "32 levels", headers=h,
                               data=json.dumps({"price": "1.00", "metadata": _nested(MAX_JSON_DEPTH - 1)}).encode())
    assert status == 201, body


async def test_long_keys_and_numbers_in_queries_are_refused_fast(timed, admin_key):
    h = auth(admin_key)
    status, body = await timed("POST", "/api/v1/wallets", "40 KB key", headers=h,
                               json={"name": "w", "keys": "vpub" + "1" * 40_000})
    assert status == 422 and body["error"]["field"] == "keys"
    status, body = await timed("POST", "/api/v1/wallets/preview", "3000-char key", headers=h,
                               json={"keys": "vpub" + "1" * 3000})
    assert status == 422 and body["error"]["code"] == "not_a_key"
    status, body = await timed("GET", "/api/v1/invoices?offset=" + "9" * 5000, "5000-digit offset", headers=h)
    assert status == 422 and body["error"]["field"] == "offset"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://shop.example/\x00x", "https://shop.example/a b",
                                 "data:text/html,<script>", "//shop.example/", "http://user@evil.example/"])
async def test_redirect_urls_are_http_only(client, services, admin_key, url):
    store = await shop(services)
    h = auth(admin_key)
    resp = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"redirect_url": url}}, headers=h)
    body = await resp.json()
    assert resp.status == 422 and body["error"]["field"] == "checkout.redirect_url", body
    assert (await services.stores.get(store.id)).checkout.get("redirect_url") is None  # nothing written
    resp = await client.post(f"/api/v1/stores/{store.id}/invoices", json={"price": "1.00", "redirect_url": url},
                             headers=h)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "redirect_url"
    with pytest.raises(Exception, match="redirect_url"):  # the service refuses it too (the window, Greenfield)
        await services.stores.update(store.id, {"checkout": {"redirect_url": url}})
    with pytest.raises(Exception, match="redirect_url"):
        await services.invoices.create(store.id, price="1.00", redirect_url=url)


async def test_a_good_redirect_url_is_kept_and_can_be_cleared(client, services, admin_key):
    store = await shop(services)
    h = auth(admin_key)
    url = "https://shop.example/thanks?order=1#top"
    resp = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"redirect_url": url, "x": 1}},
                              headers=h)
    assert resp.status == 200 and (await resp.json())["checkout"] == {"redirect_url": url, "x": 1}
    resp = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"redirect_url": ""}}, headers=h)
    assert resp.status == 200 and (await resp.json())["checkout"]["redirect_url"] == ""


async def test_405_answers_carry_allow(client, admin_key):
    resp = await client.delete("/api/v1/stores", headers=auth(admin_key))
    assert resp.status == 405 and (await resp.json())["error"]["code"] == "method_not_allowed"
    assert set(resp.headers["Allow"].split(",")) == {"GET", "POST"}


async def test_openapi_publishes_the_bounds(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    redirect = schemas["CheckoutOptions"]["properties"]["redirect_url"]
    assert redirect["pattern"] == f"^$|{URL_PATTERN}" and redirect["maxLength"] == 2000
    invoice_redirect = schemas["InvoiceIn"]["properties"]["redirect_url"]["anyOf"][0]
    assert invoice_redirect["pattern"] == URL_PATTERN
    assert schemas["WalletIn"]["properties"]["keys"]["maxLength"] == 4000
    assert "32 levels" in schemas["InvoiceIn"]["properties"]["metadata"]["anyOf"][0]["description"]
