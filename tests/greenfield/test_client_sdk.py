"""A real Greenfield client from PyPI (btcpay-python-sdk 0.1.0) against RedWaves over real HTTP, plus
BTCPay's routing and error shapes: trailing slashes, 404/405 and guard refusals, case-insensitive enums,
and validation messages that name the field the client sent."""

from __future__ import annotations

import asyncio

import btcpay
import pytest
import requests
from btcpay.resources import Invoices

from tests.api.conftest import make_key, shop
from tests.greenfield.conftest import token
from tests.greenfield.schema import validate

GF = "/greenfield/api/v1"


def _sdk(client, key: str, store_id: str) -> None:
    """The SDK's documented configuration: module globals, host URL ending in '/' (it appends 'api/v1')."""
    btcpay.api_key, btcpay.store_id = key, store_id
    btcpay.host_url = str(client.make_url("/greenfield/"))


async def test_btcpay_python_sdk_creates_gets_lists_and_marks(client, services):
    store = await shop(services)
    _sdk(client, await make_key(services, "invoices:write"), store.id)
    created = await asyncio.to_thread(Invoices.create_invoice, amount="12.50", currency="USD",
                                      metadata={"orderId": "SDK-1"})  # POST .../invoices/ (trailing slash)
    validate(created, "InvoiceData")
    assert created["amount"] == "12.50" and created["metadata"]["orderId"] == "SDK-1"
    listed = await asyncio.to_thread(Invoices.get_invoices)  # GET .../invoices/
    assert [i["id"] for i in listed] == [created["id"]]
    got = await asyncio.to_thread(Invoices.get_invoice, created["id"])
    assert got["id"] == created["id"] and got["status"] == "New"
    marked = await asyncio.to_thread(Invoices.mark_invoice_status, created["id"], "settled")  # lower case
    assert (marked["status"], marked["additionalStatus"]) == ("Settled", "Marked")


async def test_sdk_error_carries_a_greenfield_validation_array(client, services):
    store = await shop(services)
    _sdk(client, await make_key(services, "invoices:write"), store.id)
    with pytest.raises(requests.HTTPError) as caught:
        await asyncio.to_thread(Invoices.create_invoice, amount="-10", currency="USD")
    response = caught.value.response
    assert response.status_code == 422
    assert response.json() == [{"path": "amount", "message": "Amount must not be negative."}]
    assert "| body: " in str(caught.value) and "Amount must not be negative." in str(caught.value)


@pytest.mark.parametrize("path", ["/server/info/", "/stores/", "/stores/{store}/", "/stores/{store}/invoices/",
                                  "/stores/{store}/payment-methods/", "/stores/{store}/webhooks/"])
async def test_every_route_takes_a_trailing_slash(client, services, path):
    store = await shop(services)
    h = token(await make_key(services, "full"))
    resp = await client.get(GF + path.format(store=store.id), headers=h)
    assert resp.status == 200, await resp.text()


async def test_404_405_and_guard_refusals_are_problems(client, services):
    store = await shop(services)
    h = token(await make_key(services, "full"))
    missing = await client.get(f"{GF}/no-such-thing", headers=h)
    assert missing.status == 404
    body = await missing.json()
    validate(body, "ProblemDetails")
    assert body == {"code": "not-found", "message": "There is no Greenfield operation at this path."}
    wrong = await client.delete(f"{GF}/stores/{store.id}/invoices", headers=h)
    assert wrong.status == 405 and "GET" in wrong.headers["Allow"]
    body = await wrong.json()
    assert set(body) == {"code", "message"} and body["code"] == "method-not-allowed"
    not_json = await client.post(f"{GF}/stores/{store.id}/invoices", data=b"amount=1",
                                 headers={**h, "Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status == 415
    assert (await not_json.json())["code"] == "unsupported-media-type"
    unknown = await client.get(f"{GF}/stores/{store.id}/invoices/inv_nope", headers=h)
    assert unknown.status == 404 and (await unknown.json())["code"] == "invoice-not-found"
    api = await client.get("/api/v1/no-such-thing", headers=h)  # the REST API keeps its own shape
    assert (await api.json())["error"]["code"] == "not_found"


async def test_enums_are_case_insensitive(client, services):
    store = await shop(services)
    h = token(await make_key(services, "full"))
    created = await (await client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": "1", "currency": "usd"},
                                       headers=h)).json()
    assert created["currency"] == "USD"
    marked = await client.post(f"{GF}/stores/{store.id}/invoices/{created['id']}/status/",
                               json={"status": "INVALID"}, headers=h)
    assert (await marked.json())["status"] == "Invalid"
    listed = await (await client.get(f"{GF}/stores/{store.id}/invoices?status=invalid", headers=h)).json()
    assert [i["id"] for i in listed] == [created["id"]]
    hook = await client.post(f"{GF}/stores/{store.id}/webhooks", headers=h, json={
        "url": "https://shop.example/hook", "authorizedEvents": {"everything": False,
                                                                 "specificEvents": ["invoicesettled"]}})
    assert (await hook.json())["authorizedEvents"]["specificEvents"] == ["InvoiceSettled"]


@pytest.mark.parametrize(("body", "path", "words"), [
    ({"amount": "-10", "currency": "USD"}, "amount", "Amount must not be negative."),
    ({"amount": "1.234", "currency": "USD"}, "amount", "USD amounts have at most 2 decimal places."),
    ({"amount": "10", "currency": "USD", "metadata": {"buyerEmail": "nope"}}, "metadata.buyerEmail",
     "That email address does not look valid."),
    ({"amount": "10", "currency": "USD", "checkout": {"expirationMinutes": 0}}, "checkout.expirationMinutes",
     "'expirationMinutes' must be 1 to 10080."),
])
async def test_validation_names_the_field_sent(client, services, body, path, words):
    store = await shop(services)
    h = token(await make_key(services, "invoices:write"))
    resp = await client.post(f"{GF}/stores/{store.id}/invoices", json=body, headers=h)
    assert resp.status == 422
    assert await resp.json() == [{"path": path, "message": words}]


def _declared(name: str) -> set[str]:
    from tests.greenfield.schema import components

    return set(components()[name]["properties"])


async def test_responses_carry_every_field_btcpay_declares(client, services):
    """BTCPay's OpenAPI marks no response field `required`; RedWaves sends every declared one anyway."""
    store = await shop(services)
    h = token(await make_key(services, "full"))
    created = await (await client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": "1", "currency": "USD"},
                                       headers=h)).json()
    assert set(created) == _declared("InvoiceData")
    methods = await (await client.get(f"{GF}/stores/{store.id}/invoices/{created['id']}/payment-methods",
                                      headers=h)).json()
    assert set(methods[0]) == _declared("InvoicePaymentMethodDataModel")
    assert set(await (await client.get(f"{GF}/api-keys/current", headers=h)).json()) == _declared("ApiKeyData")
    info = await (await client.get(f"{GF}/server/info", headers=h)).json()
    assert set(info) == _declared("ApplicationServerInfoData") - {"onion"}  # "onion" while Tor serves one
