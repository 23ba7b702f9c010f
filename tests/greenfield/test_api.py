"""Greenfield endpoints answer in BTCPay's published shapes; permissions map to scopes; errors are BTCPay's."""

from __future__ import annotations

import pytest

from tests.api.conftest import make_key, shop
from tests.greenfield.conftest import token
from tests.greenfield.schema import validate, validate_array

GF = "/greenfield/api/v1"


async def _json(resp, status: int = 200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_server_info_current_key_stores_and_payment_methods(client, services):
    store = await shop(services)
    key = await make_key(services, "invoices:write", "stores:read", "webhooks:write")
    h = token(key)
    info = await _json(await client.get(f"{GF}/server/info", headers=h))
    validate(info, "ApplicationServerInfoData")
    assert info["supportedPaymentMethods"] == ["BTC-CHAIN"] and info["fullySynched"] is True

    current = await _json(await client.get(f"{GF}/api-keys/current", headers=h))
    validate(current, "ApiKeyData")
    assert current["apiKey"] == key
    assert set(current["permissions"]) == {
        "btcpay.store.canviewinvoices", "btcpay.store.cancreateinvoice", "btcpay.store.canmodifyinvoices",
        "btcpay.store.canviewstoresettings", "btcpay.store.webhooks.canmodifywebhooks"}

    stores = await _json(await client.get(f"{GF}/stores", headers=h))
    validate(stores, "StoreDataList")
    assert [s["id"] for s in stores] == [store.id] and stores[0]["defaultCurrency"] == "USD"
    validate(await _json(await client.get(f"{GF}/stores/{store.id}", headers=h)), "StoreData")

    methods = await _json(await client.get(f"{GF}/stores/{store.id}/payment-methods", headers=h))
    validate_array(methods, "GenericPaymentMethodData")
    assert methods == [{"paymentMethodId": "BTC-CHAIN", "enabled": True}]


async def test_restricted_and_full_keys_report_store_scoped_permissions(client, services):
    store = await shop(services)
    restricted = await make_key(services, "invoices:read", store_ids=[store.id])
    current = await _json(await client.get(f"{GF}/api-keys/current", headers=token(restricted)))
    assert current["permissions"] == [f"btcpay.store.canviewinvoices:{store.id}"]
    admin = await make_key(services, "full")
    current = await _json(await client.get(f"{GF}/api-keys/current", headers=token(admin)))
    assert current["permissions"] == ["unrestricted"]


async def test_invoice_create_get_list_payment_methods_and_mark(client, services):
    store = await shop(services)
    h = token(await make_key(services, "invoices:write"))
    body = {"amount": "10.00", "currency": "USD",
            "metadata": {"orderId": "WC-42", "buyerEmail": "a@example.com", "orderUrl": "https://shop/o/42",
                         "posData": {"tip": 0.5}},
            "checkout": {"expirationMinutes": 30, "redirectURL": "https://shop.example/thanks", "speedPolicy":
                         "MediumSpeed"}}
    created = await _json(await client.post(f"{GF}/stores/{store.id}/invoices", json=body, headers=h))
    validate(created, "InvoiceData")
    assert created["status"] == "New" and created["additionalStatus"] == "None"
    assert created["amount"] == "10.00" and created["currency"] == "USD" and created["storeId"] == store.id
    assert created["metadata"]["orderId"] == "WC-42" and created["metadata"]["posData"] == {"tip": 0.5}
    assert created["expirationTime"] - created["createdTime"] == 30 * 60
    assert created["checkoutLink"].endswith(f"/i/{created['id']}")
    assert created["availableStatusesForManualMarking"] == ["Settled", "Invalid"]
    invoice_id = created["id"]

    got = await _json(await client.get(f"{GF}/stores/{store.id}/invoices/{invoice_id}", headers=h))
    validate(got, "InvoiceData")
    assert got == created

    await _json(await client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": 5000, "currency": "SATS"},
                                  headers=h))
    listed = await _json(await client.get(f"{GF}/stores/{store.id}/invoices", headers=h))
    validate(listed, "InvoiceDataList")
    assert len(listed) == 2 and listed[0]["currency"] == "SATS" and listed[0]["amount"] == "5000"
    by_order = await _json(await client.get(f"{GF}/stores/{store.id}/invoices?orderId=WC-42", headers=h))
    assert [i["id"] for i in by_order] == [invoice_id]
    both = await _json(await client.get(f"{GF}/stores/{store.id}/invoices?orderId=WC-42&orderId=none",
                                        headers=h))
    assert [i["id"] for i in both] == [invoice_id]
    assert await _json(await client.get(f"{GF}/stores/{store.id}/invoices?status=Settled", headers=h)) == []
    assert len(await _json(await client.get(f"{GF}/stores/{store.id}/invoices?status=New&take=1", headers=h))) == 1
    assert len(await _json(await client.get(f"{GF}/stores/{store.id}/invoices?skip=1", headers=h))) == 1

    methods = await _json(await client.get(f"{GF}/stores/{store.id}/invoices/{invoice_id}/payment-methods",
                                           headers=h))
    assert isinstance(methods, list) and len(methods) == 1
    for method in methods:
        validate(method, "InvoicePaymentMethodDataModel")
    assert methods[0]["amount"] == "0.00020000" and methods[0]["due"] == "0.00020000"
    assert methods[0]["rate"] == "50000" and methods[0]["paymentLink"].startswith("bitcoin:")

    marked = await _json(await client.post(f"{GF}/stores/{store.id}/invoices/{invoice_id}/status",
                                           json={"status": "Settled"}, headers=h))
    validate(marked, "InvoiceData")
    assert (marked["status"], marked["additionalStatus"]) == ("Settled", "Marked")
    assert marked["availableStatusesForManualMarking"] == []
    again = await client.post(f"{GF}/stores/{store.id}/invoices/{invoice_id}/status", json={"status": "Invalid"},
                              headers=h)
    validate(await _json(again, 422), "ValidationProblemDetails")


async def test_validation_errors_are_btcpay_shaped(client, services):
    store = await shop(services)
    h = token(await make_key(services, "invoices:write"))
    for body in ({"currency": "USD"}, {"amount": 1.5, "currency": "USD", "metadata": []},
                 {"amount": "abc"}, {"amount": True}):
        resp = await client.post(f"{GF}/stores/{store.id}/invoices", json=body, headers=h)
        problems = await _json(resp, 422)
        validate(problems, "ValidationProblemDetails")
        assert problems and problems[0]["message"]
    exact = await client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": 0.1, "currency": "BTC"},
                              headers=h)
    assert (await _json(exact))["amount"] == "0.10000000"  # a JSON number is read exactly, never as a float


@pytest.mark.parametrize(("scopes", "method", "path", "permission"), [
    (["invoices:create"], "GET", "/stores/{store}/invoices", "btcpay.store.canviewinvoices"),
    (["invoices:read"], "POST", "/stores/{store}/invoices", "btcpay.store.cancreateinvoice"),
    (["invoices:read", "invoices:create"], "POST", "/stores/{store}/invoices/x/status",
     "btcpay.store.canmodifyinvoices"),
    (["invoices:read"], "GET", "/stores", "btcpay.store.canviewstoresettings"),
    (["invoices:read"], "GET", "/stores/{store}/payment-methods", "btcpay.store.canviewstoresettings"),
    (["invoices:write", "stores:write"], "GET", "/stores/{store}/webhooks",
     "btcpay.store.webhooks.canmodifywebhooks"),
])
async def test_missing_permission_is_403_problem(client, services, scopes, method, path, permission):
    store = await shop(services)
    h = token(await make_key(services, *scopes))
    resp = await client.request(method, GF + path.format(store=store.id), json={}, headers=h)
    problem = await _json(resp, 403)
    validate(problem, "ProblemDetails")
    assert set(problem) == {"code", "message"} and problem["code"] == "missing-permission"
    assert permission in problem["message"]


async def test_auth_failures_and_store_restriction(client, services):
    store = await shop(services)
    other = await services.stores.create("Other", default_currency="USD", wallet_ids=list(store.wallet_ids))
    for headers in ({}, {"Authorization": "token rw_000000000000_nope"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        resp = await client.get(f"{GF}/stores", headers=headers)
        validate(await _json(resp, 401), "ProblemDetails")
    restricted = token(await make_key(services, "invoices:read", "stores:read", store_ids=[store.id]))
    assert [s["id"] for s in await _json(await client.get(f"{GF}/stores", headers=restricted))] == [store.id]
    resp = await client.get(f"{GF}/stores/{other.id}/invoices", headers=restricted)
    assert (await _json(resp, 403))["code"] == "missing-permission"


async def test_unknown_ids_are_404_problems(client, services):
    store = await shop(services)
    other = await services.stores.create("Other", default_currency="USD", wallet_ids=list(store.wallet_ids))
    h = token(await make_key(services, "invoices:write", "stores:read", "webhooks:write"))
    invoice = await services.invoices.create(other.id, price="1.00")
    paths = ["/stores/nope/invoices", "/stores/nope", f"/stores/{store.id}/invoices/nope",
             f"/stores/{store.id}/invoices/{invoice.id}",  # exists, but in another store
             f"/stores/{store.id}/invoices/nope/payment-methods", f"/stores/{store.id}/webhooks/nope",
             f"/stores/{store.id}/webhooks/nope/deliveries", "/stores/nope/payment-methods"]
    for path in paths:
        problem = await _json(await client.get(GF + path, headers=h), 404)
        validate(problem, "ProblemDetails")
        assert problem["code"].endswith("not-found"), (path, problem)


async def test_checkout_redirect_is_public(aiohttp_client, services):
    from app.checkout_server.app import create_app

    store = await shop(services)
    invoice = await services.invoices.create(store.id, price="1.00")
    public = await aiohttp_client(create_app(services, public=True))
    resp = await public.get(f"/greenfield/i/{invoice.id}", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == f"/i/{invoice.id}"
    assert (await public.get(f"{GF}/stores")).status == 404  # the API stays on the private listener
