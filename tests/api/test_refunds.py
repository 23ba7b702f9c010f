"""REST refunds over real HTTP on 127.0.0.1 (real SQLite, fake chain): preview, create, list, get, cancel;
scopes apart from invoice scopes; JSON errors with code + sentence; Idempotency-Key."""

from __future__ import annotations

from tests.api.conftest import auth, make_key
from tests.services.refund_helpers import paid_invoice, shop

API = "/api/v1"


async def _paid(services):
    store = await shop(services)
    return store, await paid_invoice(services, store, price="50.00")


async def test_preview_create_list_get_cancel(client, services):
    store, invoice = await _paid(services)
    h = auth(await make_key(services, "refunds:write"))
    body = {"variant": "custom_fiat", "custom_amount": "20.00", "fee_pct": "10", "fee_fixed_sat": 1000,
            "note": "damaged in transit"}
    preview = await client.post(f"{API}/invoices/{invoice.id}/refunds/preview", json=body, headers=h)
    calc = await preview.json()
    assert preview.status == 200, calc
    assert calc == {"variant": "custom_fiat", "gross_sat": 40000, "fee_sat": 5000, "amount_sat": 35000,
                    "fiat_amount": "20.00", "currency": "USD", "rate": "50000", "rate_source": calc["rate_source"],
                    "already_refunded_sat": 0, "refundable_sat": 100000}
    assert await services.refunds.for_invoice(invoice.id) == []  # a preview writes nothing

    created = await client.post(f"{API}/invoices/{invoice.id}/refunds", json=body, headers=h)
    refund = await created.json()
    assert created.status == 201, refund
    assert refund["status"] == "open" and refund["calculation"] == calc and refund["note"] == "damaged in transit"
    assert refund["link"].endswith(f"/refund/{refund['id']}") and len(refund["id"]) == 22

    listed = await (await client.get(f"{API}/invoices/{invoice.id}/refunds", headers=h)).json()
    assert [r["id"] for r in listed["items"]] == [refund["id"]]
    page = await (await client.get(f"{API}/refunds", params={"store_id": store.id}, headers=h)).json()
    assert page["total"] == 1 and page["items"][0]["id"] == refund["id"]
    got = await (await client.get(f"{API}/refunds/{refund['id']}", headers=h)).json()
    assert got == refund

    second = await client.post(f"{API}/invoices/{invoice.id}/refunds/preview", json={"variant": "rate_then"}, headers=h)
    assert (await second.json())["already_refunded_sat"] == 40000  # partial refunds add up

    cancelled = await client.post(f"{API}/refunds/{refund['id']}/cancel", headers=h)
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"


async def test_refund_errors_are_json_with_code_and_field(client, services):
    _, invoice = await _paid(services)
    h = auth(await make_key(services, "refunds:write"))
    url = f"{API}/invoices/{invoice.id}/refunds"
    too_much = await client.post(url, json={"variant": "custom_btc", "custom_amount": "0.5"}, headers=h)
    error = (await too_much.json())["error"]
    assert too_much.status == 409 and error["code"] == "refund_exceeds_paid" and error["field"] == "custom_amount"
    assert error["message"].endswith(".")
    nothing_over = await client.post(url, json={"variant": "overpaid"}, headers=h)
    assert nothing_over.status == 409 and (await nothing_over.json())["error"]["code"] == "nothing_overpaid"
    bad = await client.post(url, json={"variant": "everything"}, headers=h)
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "variant"
    unknown = await client.post(url, json={"variant": "rate_then", "amount": "1"}, headers=h)
    assert (await unknown.json())["error"]["code"] == "unknown_field"
    missing = await client.get(f"{API}/refunds/{'A' * 22}", headers=h)
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "refund_not_found"
    assert await services.refunds.for_invoice(invoice.id) == []  # nothing half-written


async def test_refund_scopes_are_not_invoice_scopes(client, services):
    _, invoice = await _paid(services)
    invoices_key = auth(await make_key(services, "invoices:write"))
    url = f"{API}/invoices/{invoice.id}/refunds"
    refused = await client.post(url, json={"variant": "rate_then"}, headers=invoices_key)
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "insufficient_scope"
    reader = auth(await make_key(services, "refunds:read"))
    assert (await client.get(url, headers=reader)).status == 200
    assert (await client.post(url, json={"variant": "rate_then"}, headers=reader)).status == 403
    assert (await client.post(f"{url}/preview", json={"variant": "rate_then"}, headers=reader)).status == 200
    payouts_key = auth(await make_key(services, "payouts:write"))
    assert (await client.post(url, json={"variant": "rate_then"}, headers=payouts_key)).status == 403


async def test_restricted_key_sees_only_its_store(client, services):
    store, invoice = await _paid(services)
    refund = await services.refunds.create(invoice.id, _rate_then())
    other_store = await services.stores.create("Other", default_currency="USD", wallet_ids=list(store.wallet_ids))
    h = auth(await make_key(services, "refunds:write", store_ids=[other_store.id]))
    assert (await client.get(f"{API}/refunds/{refund.id}", headers=h)).status == 404
    assert (await client.get(f"{API}/invoices/{invoice.id}/refunds", headers=h)).status == 403
    assert (await client.get(f"{API}/refunds", headers=h)).status == 403  # must name its store


async def test_idempotency_key_on_refund_creation(client, services):
    _, invoice = await _paid(services)
    h = auth(await make_key(services, "refunds:write")) | {"Idempotency-Key": "refund-1"}
    url = f"{API}/invoices/{invoice.id}/refunds"
    first = await client.post(url, json={"variant": "custom_btc", "custom_amount": "0.0001"}, headers=h)
    again = await client.post(url, json={"variant": "custom_btc", "custom_amount": "0.0001"}, headers=h)
    assert first.status == again.status == 201
    assert await first.read() == await again.read() and again.headers["Idempotent-Replayed"] == "true"
    assert len(await services.refunds.for_invoice(invoice.id)) == 1
    other = await client.post(url, json={"variant": "custom_btc", "custom_amount": "0.0002"}, headers=h)
    assert other.status == 409 and (await other.json())["error"]["code"] == "idempotency_key_reused"


async def test_refund_operations_are_in_openapi(client, services):
    doc = await (await client.get(f"{API}/openapi.json")).json()
    for path in ("/invoices/{invoice_id}/refunds", "/invoices/{invoice_id}/refunds/preview", "/refunds",
                 "/refunds/{refund_id}", "/refunds/{refund_id}/cancel"):
        assert f"{API}{path}" in doc["paths"], path


def _rate_then():
    from app.core.refunds import RefundRequest, RefundVariant

    return RefundRequest(RefundVariant.RATE_THEN)
