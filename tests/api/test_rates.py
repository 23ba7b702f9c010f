"""Issue 19 item 5 over real HTTP: /api/v1/rates lists sources and manual rates, sets and clears a manual
rate, reads a current rate, chooses a store's source; scoped; in the OpenAPI document; rates as strings."""

from __future__ import annotations

from decimal import Decimal

from tests.api.conftest import TEST_VPUB, auth, make_key


async def _usd_store(services):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    return await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])


async def test_a_usd_store_takes_fiat_prices_after_a_manual_rate_is_set(client, services, admin_key):
    store = await _usd_store(services)
    h = auth(admin_key)
    invoices = f"/api/v1/stores/{store.id}/invoices"
    before = await client.post(invoices, json={"price": "12.50"}, headers=h)
    assert before.status == 503 and (await before.json())["error"]["code"] == "rate_unavailable"

    put = await client.put("/api/v1/rates/manual/usd", json={"rate": "50000.12345678"}, headers=h)
    assert put.status == 200 and await put.json() == {"currency": "USD", "rate": "50000.12345678"}
    assert services.rates.manual_rates == {"USD": Decimal("50000.12345678")}
    listed = await (await client.get("/api/v1/rates", headers=h)).json()
    assert "manual" in listed["sources"] and listed["manual"] == [{"currency": "USD", "rate": "50000.12345678"}]
    current = await (await client.get("/api/v1/rates/USD?source=manual", headers=h)).json()
    assert current["rate"] == "50000.12345678" and current["source"] == "manual" and current["fetched_at"]

    created = await client.post(invoices, json={"price": "12.50"}, headers=h)
    assert created.status == 201, await created.text()
    assert (await created.json())["rate"] == "50000.12345678"

    services.rates._manual.clear()  # a restart reloads what the API stored
    await services.rates.load()
    assert services.rates.manual_rates == {"USD": Decimal("50000.12345678")}

    assert (await client.delete("/api/v1/rates/manual/USD", headers=h)).status == 204
    assert (await client.delete("/api/v1/rates/manual/USD", headers=h)).status == 204  # idempotent
    assert (await (await client.get("/api/v1/rates", headers=h)).json())["manual"] == []
    gone = await client.get("/api/v1/rates/USD", headers=h)
    assert gone.status == 503 and (await gone.json())["error"]["code"] == "rate_unavailable"


async def test_rates_refuse_floats_bad_numbers_and_unknown_names(client, services, admin_key):
    store = await _usd_store(services)
    h = auth(admin_key)
    for body, code in (({"rate": 50000.5}, "invalid_value"), ({"rate": "-1"}, "invalid_value"),
                       ({"rate": "0"}, "invalid_rate"), ({}, "missing_field"), ({"rate": "1", "x": 1}, "unknown_field")):
        resp = await client.put("/api/v1/rates/manual/EUR", json=body, headers=h)
        error = (await resp.json())["error"]
        assert resp.status == 422 and error["code"] == code, (body, error)
    unknown = await client.put("/api/v1/rates/manual/XYZ", json={"rate": "1"}, headers=h)
    assert unknown.status == 422 and (await unknown.json())["error"]["code"] == "unknown_currency"
    source = await client.put(f"/api/v1/rates/stores/{store.id}", json={"source": "nowhere"}, headers=h)
    error = (await source.json())["error"]
    assert source.status == 422 and error["code"] == "invalid_rate_source" and error["field"] == "source"
    assert "manual" in error["message"]


async def test_choosing_a_store_rate_source_and_spread(client, services, admin_key):
    store = await _usd_store(services)
    resp = await client.put(f"/api/v1/rates/stores/{store.id}", json={"source": "manual", "spread_pct": "1.5"},
                            headers=auth(admin_key))
    assert resp.status == 200 and await resp.json() == {"store_id": store.id, "source": "manual",
                                                        "spread_pct": "1.5"}
    assert (await services.stores.get(store.id)).rate_spread_pct == Decimal("1.5")


async def test_rates_are_scoped(client, services):
    store = await _usd_store(services)
    reader = auth(await make_key(services, "stores:read"))
    assert (await client.get("/api/v1/rates", headers=reader)).status == 200
    denied = await client.put("/api/v1/rates/manual/USD", json={"rate": "1"}, headers=reader)
    assert denied.status == 403 and (await denied.json())["error"]["code"] == "insufficient_scope"
    restricted = auth(await make_key(services, "stores:write", store_ids=[store.id]))
    server_wide = await client.put("/api/v1/rates/manual/USD", json={"rate": "1"}, headers=restricted)
    assert server_wide.status == 403 and (await server_wide.json())["error"]["code"] == "store_forbidden"
    own = await client.put(f"/api/v1/rates/stores/{store.id}", json={"source": "manual"}, headers=restricted)
    assert own.status == 200
    assert (await client.get("/api/v1/rates")).status == 401
    assert services.rates.manual_rates == {}


async def test_rates_are_in_the_openapi_document(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/rates", "/api/v1/rates/{currency}", "/api/v1/rates/manual/{currency}",
            "/api/v1/rates/stores/{store_id}"} <= set(doc["paths"])
    manual = doc["paths"]["/api/v1/rates/manual/{currency}"]
    assert set(manual) >= {"put", "delete"}
    schema = doc["components"]["schemas"]["ManualRateIn"]["properties"]["rate"]
    assert schema["type"] == "string" and "pattern" in schema
