"""The main flow through HTTP: stores, wallets, products, invoices, payments, exports, errors."""

from __future__ import annotations

import csv
import io
import json

from app.chain.models import AddressesChanged
from app.core.payments import ObservedOutput
from tests.api.conftest import auth, make_key, shop, wait_for
from tests.conftest import TEST_VPUB

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_store_wallet_invoice_flow(client, services, admin_key):
    h = auth(admin_key)
    resp = await client.post("/api/v1/wallets", json={"name": "main", "keys": TEST_VPUB}, headers=h)
    assert resp.status == 201, await resp.text()
    wallet = await resp.json()
    resp = await client.post("/api/v1/stores", json={"name": "Shop", "default_currency": "USD",
                                                     "wallet_ids": [wallet["id"]]}, headers=h)
    assert resp.status == 201, await resp.text()
    store = await resp.json()
    await services.rates.set_manual_rate("USD", "50000")
    resp = await client.post(f"/api/v1/stores/{store['id']}/invoices",
                             json={"price": "10.00", "order_id": "A-1"}, headers=h)
    assert resp.status == 201, await resp.text()
    invoice = await resp.json()
    assert invoice["amount_due_sat"] == 20000 and invoice["price"] == "10.00" and invoice["rate"] == "50000"
    assert isinstance(invoice["amount_due_sat"], int)

    services.fake_chain.outputs[invoice["address"]] = [ObservedOutput("ab" * 32, 0, 20000, 0, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice["address"]}), wallet_id=wallet["id"]))

    async def paid():
        r = await client.get(f"/api/v1/invoices/{invoice['id']}", headers=h)
        return (await r.json())["status"] == "paid"

    await wait_for(paid, what="invoice paid")
    payments = await (await client.get(f"/api/v1/invoices/{invoice['id']}/payments", headers=h)).json()
    assert payments["items"][0]["amount_sat"] == 20000
    recent = await (await client.get("/api/v1/payments", headers=h)).json()
    assert recent["items"][0]["invoice_id"] == invoice["id"]

    page = await (await client.get("/api/v1/invoices?status=paid,complete&limit=10", headers=h)).json()
    assert page["total"] == 1 and page["items"][0]["id"] == invoice["id"]
    page = await (await client.get(f"/api/v1/stores/{store['id']}/invoices?status=pending", headers=h)).json()
    assert page["total"] == 0

    resp = await client.post(f"/api/v1/invoices/{invoice['id']}/mark", json={"status": "complete"}, headers=h)
    assert (await resp.json())["status"] == "complete"

    usage = await (await client.get(f"/api/v1/wallets/{wallet['id']}/addresses", headers=h)).json()
    assert usage["used_count"] == 1 and usage["items"][0]["received_sat"] == 20000
    balance = await client.get(f"/api/v1/wallets/{wallet['id']}/balance", headers=h)
    assert balance.status == 200 and (await balance.json())["confirmed_sat"] == 0

    resp = await client.get("/api/v1/invoices/export?format=csv", headers=h)
    rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert resp.content_type == "text/csv" and rows[0]["order_id"] == "A-1" and rows[0]["amount_due_sat"] == "20000"
    exported = await (await client.get("/api/v1/invoices/export", headers=h)).json()
    assert exported["total"] == 1


async def test_amount_sat_invoice_and_validation_errors(client, services, admin_key):
    h = auth(admin_key)
    store = await shop(services)
    url = f"/api/v1/stores/{store.id}/invoices"
    resp = await client.post(url, json={"amount_sat": 1234}, headers=h)
    assert resp.status == 201 and (await resp.json())["amount_due_sat"] == 1234
    cases = [
        ({"price": "1", "colour": "red"}, 422, "unknown_field", "colour"),
        ({"price": 1.5}, 422, "invalid_value", "price"),
        ({"amount_sat": "100"}, 422, "invalid_value", "amount_sat"),
        ({}, 422, "invalid_price", "price"),
        ({"price": "1", "amount_sat": 5}, 422, "invalid_price", "price"),
        ({"price": "1", "currency": "XXX"}, 422, "unknown_currency", None),
    ]
    for body, status, code, fieldname in cases:
        resp = await client.post(url, json=body, headers=h)
        error = (await resp.json())["error"]
        assert (resp.status, error["code"]) == (status, code), (body, error)
        if fieldname:
            assert error["field"] == fieldname
    as_json = {**h, "Content-Type": "application/json"}
    resp = await client.post(url, data=b"{not json", headers=as_json)
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_json"
    resp = await client.post(url, data=json.dumps({"price": "1", "description": "x" * 70_000}), headers=as_json)
    assert resp.status == 413 and (await resp.json())["error"]["code"] == "payload_too_large"
    resp = await client.get("/api/v1/invoices?colour=red", headers=h)
    assert (await resp.json())["error"] == {"code": "unknown_field", "message": "Unknown field 'colour'.",
                                            "field": "colour"}
    resp = await client.get("/api/v1/invoices?status=bogus", headers=h)
    assert (await resp.json())["error"]["code"] == "invalid_status"
    resp = await client.get("/api/v1/nothing-here", headers=h)
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"


async def test_products_and_images(client, services, admin_key):
    h = auth(admin_key)
    store = await shop(services)
    base = f"/api/v1/stores/{store.id}/products"
    resp = await client.post(base, json={"name": "Coffee", "price": "3.50", "category": "drinks"}, headers=h)
    assert resp.status == 201, await resp.text()
    product = await resp.json()
    one = f"{base}/{product['id']}"
    resp = await client.put(one + "/image", data=PNG, headers=h)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["image_url"].endswith("/image")
    images = list((services.settings.network_dir / "images").iterdir())
    assert len(images) == 1 and images[0].suffix == ".png" and len(images[0].stem) == 32
    resp = await client.get(one + "/image", headers=h)
    assert resp.content_type == "image/png" and await resp.read() == PNG
    resp = await client.put(one + "/image", data=b"%PDF-1.4" + b"\x00" * 10, headers=h)
    assert (await resp.json())["error"]["code"] == "unsupported_image_type"
    resp = await client.put(one + "/image", data=io.BytesIO(PNG + b"\x00" * (2 * 1024 * 1024)), headers=h)
    assert resp.status == 413
    resp = await client.patch(one, json={"price": "4.00", "stock": 3}, headers=h)
    assert (await resp.json())["price"] == "4.00"
    resp = await client.delete(one + "/image", headers=h)
    assert (await resp.json())["image_url"] is None
    assert list((services.settings.network_dir / "images").iterdir()) == []
    assert (await client.delete(one, headers=h)).status == 204
    listing = await (await client.get(base, headers=h)).json()
    assert listing["items"] == []
    listing = await (await client.get(base + "?include_archived=true", headers=h)).json()
    assert listing["items"][0]["archived"] is True


async def test_store_restricted_key(client, services, admin_key):
    mine = await shop(services)
    other = await services.stores.create("Other", default_currency="USD", wallet_ids=list(mine.wallet_ids))
    key = await make_key(services, "invoices:create", "stores:read", "wallets:read", store_ids=[mine.id])
    h = auth(key)
    stores = await (await client.get("/api/v1/stores", headers=h)).json()
    assert [s["id"] for s in stores["items"]] == [mine.id]
    resp = await client.post(f"/api/v1/stores/{other.id}/invoices", json={"price": "1.00"}, headers=h)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "store_forbidden"
    resp = await client.post(f"/api/v1/stores/{mine.id}/invoices", json={"price": "1.00"}, headers=h)
    assert resp.status == 201
    assert (await client.get(f"/api/v1/wallets/{mine.wallet_ids[0]}", headers=h)).status == 200


async def test_openapi_and_docs_page(client):
    resp = await client.get("/api/v1/openapi.json")
    doc = await resp.json()
    assert doc["openapi"] == "3.1.0" and "/api/v1/stores/{store_id}/invoices" in doc["paths"]
    resp = await client.get("/api/v1/docs")
    html = await resp.text()
    assert resp.status == 200 and "/api/v1/stores/{store_id}/webhooks" in html
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "<script" not in html
    health = await (await client.get("/api/v1/health")).json()
    assert health["db_ok"] is True
