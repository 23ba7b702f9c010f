"""GET /api/v1/audit, /audit.csv, /staff, /terminals: read-only, scopes audit:read and staff:read, store-limited
keys see their stores; the invoice export CSV carries created_by, terminal and tip."""

import csv
import io
from decimal import Decimal

from tests.api.conftest import auth, make_key, shop


async def _staffed(services):
    store = await shop(services)
    other = await services.stores.create("Other", default_currency="USD")
    carl = await services.staff.add("Carl", "cashier", "3456", store_ids=[store.id])
    await services.staff.add("Oona", "cashier", "3456", store_ids=[other.id])
    terminal, _ = await services.terminals.add("Till 1", store.id, [carl.id])
    actor = services.staff.actor_of(carl, terminal_id=terminal.id)
    invoice = await services.invoices.create(store.id, price="10.00", tip=Decimal("1.25"), actor=actor)
    return store, other, carl, terminal, invoice


async def test_audit_list_filters_and_scopes(client, services):
    store, other, carl, terminal, invoice = await _staffed(services)
    key = await make_key(services, "audit:read")
    resp = await client.get("/api/v1/audit", params={"person_id": carl.id}, headers=auth(key))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    [row] = body["items"]
    assert (row["action"], row["person_name"], row["terminal_name"], row["target_id"]) == (
        "invoice.create", "Carl", "Till 1", invoice.id)
    assert body["limit"] == 200 and body["offset"] == 0
    resp = await client.get("/api/v1/audit", params={"terminal_id": terminal.id, "limit": "1"}, headers=auth(key))
    assert [r["action"] for r in (await resp.json())["items"]] == ["invoice.create"]
    all_rows = (await (await client.get("/api/v1/audit", headers=auth(key))).json())["items"]
    assert {"staff.add", "terminal.add", "invoice.create"} <= {r["action"] for r in all_rows}
    assert [r["seq"] for r in all_rows] == sorted((r["seq"] for r in all_rows), reverse=True)
    resp = await client.get("/api/v1/audit", params={"since": "2020-01-01"}, headers=auth(key))
    assert resp.status == 422
    resp = await client.get("/api/v1/audit", params={"limit": "5000"}, headers=auth(key))
    assert resp.status == 422
    # no write route: the log cannot be changed over the API
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        resp = await client.request(method, "/api/v1/audit", headers=auth(key))
        assert resp.status == 405
    # scopes
    staff_key = await make_key(services, "staff:read")
    resp = await client.get("/api/v1/audit", headers=auth(staff_key))
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "insufficient_scope"
    # a key limited to the other store sees its rows only
    limited = await make_key(services, "audit:read", store_ids=[other.id])
    rows = (await (await client.get("/api/v1/audit", headers=auth(limited))).json())["items"]
    assert [(r["action"], r["detail"]["name"], r["store_id"]) for r in rows] == [("staff.add", "Oona", other.id)]
    resp = await client.get("/api/v1/audit", params={"store_id": store.id}, headers=auth(limited))
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "store_forbidden"


async def test_audit_csv(client, services):
    store, other, carl, terminal, invoice = await _staffed(services)
    key = await make_key(services, "audit:read")
    resp = await client.get("/api/v1/audit.csv", params={"store_id": store.id}, headers=auth(key))
    assert resp.status == 200 and resp.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert {"staff.add", "terminal.add", "invoice.create"} == {r["action"] for r in rows}
    sale = next(r for r in rows if r["action"] == "invoice.create")
    assert (sale["person_name"], sale["terminal_name"], sale["target_id"]) == ("Carl", "Till 1", invoice.id)


async def test_staff_and_terminals_read_only(client, services):
    store, other, carl, terminal, invoice = await _staffed(services)
    key = await make_key(services, "staff:read")
    people = (await (await client.get("/api/v1/staff", headers=auth(key))).json())["items"]
    assert {(p["name"], p["role"]) for p in people} == {("Carl", "cashier"), ("Oona", "cashier")}
    assert all("pin" not in p and "password" not in p for p in people)
    terminals = (await (await client.get("/api/v1/terminals", headers=auth(key))).json())["items"]
    assert [(t["name"], t["state"], t["store_id"]) for t in terminals] == [("Till 1", "waiting", store.id)]
    limited = await make_key(services, "staff:read", store_ids=[other.id])
    people = (await (await client.get("/api/v1/staff", headers=auth(limited))).json())["items"]
    assert [p["name"] for p in people] == ["Oona"]
    assert (await (await client.get("/api/v1/terminals", headers=auth(limited))).json())["items"] == []
    resp = await client.post("/api/v1/staff", json={"name": "X"}, headers=auth(key))
    assert resp.status == 405


async def test_invoice_export_csv_has_staff_columns(client, services):
    store, other, carl, terminal, invoice = await _staffed(services)
    await services.invoices.create(store.id, price="2.00")  # by the system
    key = await make_key(services, "invoices:read")
    resp = await client.get("/api/v1/invoices/export", params={"format": "csv"}, headers=auth(key))
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(await resp.text()))}
    sale = rows[invoice.id]
    assert (sale["created_by"], sale["terminal"], sale["tip"]) == ("Carl", "Till 1", "1.25")
    [system] = [r for i, r in rows.items() if i != invoice.id]
    assert (system["created_by"], system["terminal"], system["tip"]) == ("", "", "")
