"""Issue 17 items 1 and 8 on Greenfield (real HTTP on 127.0.0.1): oversized numbers, nesting, bodies and query
values are refused fast in BTCPay's error shapes while /health keeps answering; redirect URLs are http(s)."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import make_key, shop
from tests.api.timing import json_sender
from tests.greenfield.conftest import token

GF = "/greenfield/api/v1"


@pytest.fixture
def timed(client):
    return json_sender(client)


@pytest.fixture
async def store_and_headers(services):
    store = await shop(services)
    key = await make_key(services, "invoices:write", "webhooks:write")
    return store, {**token(key), "Content-Type": "application/json"}


async def test_oversized_numbers_and_nesting_are_validation_problems(timed, store_and_headers):
    store, h = store_and_headers
    path = f"{GF}/stores/{store.id}/invoices"
    for what, body in [
        ("amount 1e999999", b'{"amount": 1e999999, "currency": "USD"}'),
        ("expirationMinutes 1e999999", b'{"amount": "1", "currency": "USD", "checkout": {"expirationMinutes": 1e999999}}'),
        ("5000-digit amount", b'{"amount": ' + b"9" * 5000 + b', "currency": "USD"}'),
        ("100,000 levels", b'{"metadata": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"),
        ("33 levels", b'{"metadata": ' + b'{"a": ' * 32 + b"1" + b"}" * 32 + b"}"),
    ]:
        status, problem = await timed("POST", path, what, headers=h, data=body)
        assert status in (413, 422), (what, problem)
        if status == 422:
            assert isinstance(problem, list) and problem[0]["message"], (what, problem)
    status, problem = await timed("POST", path, "expirationMinutes 10^9", headers=h,
                                  data=b'{"amount": "1", "currency": "USD", "checkout": {"expirationMinutes": 1000000000}}')
    assert status == 422 and problem[0]["path"] == "checkout.expirationMinutes"


async def test_bodies_over_the_limit_are_413_in_btcpay_shape(timed, store_and_headers):
    store, h = store_and_headers
    status, problem = await timed("POST", f"{GF}/stores/{store.id}/invoices", "1 MB body", headers=h,
                                  data=io.BytesIO(b" " * 1_000_000))
    assert status == 413 and problem["code"] == "payload-too-large"


async def test_query_numbers_are_bounded(timed, store_and_headers, services):
    store, h = store_and_headers
    base = f"{GF}/stores/{store.id}/invoices"
    for query in ("skip=1e999999", "take=" + "9" * 5000, "startDate=99999999999999", "endDate=-1"):
        status, problem = await timed("GET", f"{base}?{query}", query[:20], headers=h)
        assert status == 422 and problem[0]["path"] == query.split("=")[0], (query, problem)
    status, _ = await timed("GET", f"{base}?skip=0&take=10&startDate=0", "normal", headers=h)
    assert status == 200
    hook = await timed("POST", f"{GF}/stores/{store.id}/webhooks", "webhook", headers=h,
                       json={"url": "https://hooks.example/x"})
    status, deliveries = await timed("GET", f"{GF}/stores/{store.id}/webhooks/{hook[1]['id']}/deliveries?count="
                                     + "9" * 5000, "5000-digit count", headers=h)
    assert status == 200 and deliveries == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://shop.example/\x00", "data:text/html,x"])
async def test_redirect_url_is_http_only(client, store_and_headers, url):
    store, h = store_and_headers
    resp = await client.post(f"{GF}/stores/{store.id}/invoices", headers=h,
                             json={"amount": "1", "currency": "USD", "checkout": {"redirectURL": url}})
    problem = await resp.json()
    assert resp.status == 422 and problem[0]["path"] == "checkout.redirectURL", problem
    assert "'redirectURL'" in problem[0]["message"]
