"""`GET /api/v1/invoices/export` has buyer e-mails only with `include_buyer_email=true`: without it the
CSV has no `buyer_email` column and the JSON items carry `buyer_email: null` (`buyer_emails_included`
says which). Real services on SQLite, the private app over HTTP on 127.0.0.1 (aiohttp's test server)."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import (  # noqa: F401 - the API fixtures, reused here
    admin_key,
    auth,
    client,
    services,
    shop,
    stack,
)

BUYER = "alice.buyer@example.com"
EXPORT = "/api/v1/invoices/export"


async def _invoices(services):  # noqa: F811 - the fixture's name
    store = await shop(services)
    return [await services.invoices.create(store.id, price="12.50", buyer_email=BUYER, order_id="=1+2"),
            await services.invoices.create(store.id, price="3.00")]


async def _csv(client, key: str, query: str) -> tuple[list[str], list[dict[str, str]], bytes]:  # noqa: F811
    resp = await client.get(f"{EXPORT}?format=csv{query}", headers=auth(key))
    assert resp.status == 200, await resp.text()
    raw = await resp.read()
    reader = csv.DictReader(io.StringIO(raw.decode()))
    rows = list(reader)
    return list(reader.fieldnames or ()), rows, raw


async def test_csv_has_the_buyer_email_column_only_when_asked(client, services, admin_key):  # noqa: F811 - fixtures
    with_email, without = await _invoices(services)
    for query in ("", "&include_buyer_email=false"):
        columns, rows, raw = await _csv(client, admin_key, query)
        assert "buyer_email" not in columns and BUYER.encode() not in raw  # absent, not empty
        assert {r["id"] for r in rows} == {with_email.id, without.id} and "address" in columns
    columns, rows, raw = await _csv(client, admin_key, "&include_buyer_email=true")
    by_id = {r["id"]: r for r in rows}
    assert "buyer_email" in columns
    assert by_id[with_email.id]["buyer_email"] == BUYER and by_id[without.id]["buyer_email"] == ""
    assert by_id[with_email.id]["order_id"] == "'=1+2"  # typed text never runs as a formula


async def test_json_has_buyer_emails_only_when_asked(client, services, admin_key):  # noqa: F811 - fixtures
    with_email, _ = await _invoices(services)
    plain = await (await client.get(EXPORT, headers=auth(admin_key))).json()
    assert plain["buyer_emails_included"] is False and plain["total"] == 2
    assert all(item["buyer_email"] is None for item in plain["items"])
    asked = await (await client.get(f"{EXPORT}?include_buyer_email=true", headers=auth(admin_key))).json()
    assert asked["buyer_emails_included"] is True
    assert {i["id"]: i["buyer_email"] for i in asked["items"]}[with_email.id] == BUYER
    listed = await (await client.get("/api/v1/invoices", headers=auth(admin_key))).json()
    assert BUYER in {i["buyer_email"] for i in listed["items"]}  # reading one's invoices is not an export


async def test_a_bad_value_is_refused_and_the_parameter_is_documented(client, services, admin_key):  # noqa: F811 - fixtures
    resp = await client.get(f"{EXPORT}?include_buyer_email=perhaps", headers=auth(admin_key))
    error = (await resp.json())["error"]
    assert resp.status == 422 and error["field"] == "include_buyer_email", error
    spec = await (await client.get("/api/v1/openapi.json")).json()
    operation = spec["paths"]["/api/v1/invoices/export"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "include_buyer_email")
    assert parameter["in"] == "query" and parameter["schema"].get("default") is False
    assert "personal data" in parameter.get("description", parameter["schema"].get("description", ""))
    assert "include_buyer_email=true" in operation["description"]
