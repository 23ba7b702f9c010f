"""A store's minimum fee rate for 0-conf (`checkout.min_fee_rate_sat_vb`) over the REST API: real HTTP
on 127.0.0.1, real SQLite; the same rule as the window, refused naming its field."""

from __future__ import annotations

import pytest

from tests.api.conftest import auth, shop


@pytest.mark.parametrize("given", ["2.5", 5])
async def test_the_minimum_is_stored_as_given(client, services, admin_key, given):
    store = await shop(services)
    answer = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"min_fee_rate_sat_vb": given}},
                                headers=auth(admin_key))
    assert answer.status == 200, await answer.text()
    assert (await answer.json())["checkout"]["min_fee_rate_sat_vb"] == given
    assert (await services.stores.get(store.id)).checkout["min_fee_rate_sat_vb"] == given


@pytest.mark.parametrize("given", ["0", 0, 2.5, "fast", 10_001])
async def test_a_bad_minimum_is_422_and_nothing_is_written(client, services, admin_key, given):
    store = await shop(services)
    answer = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"min_fee_rate_sat_vb": given}},
                                headers=auth(admin_key))
    assert answer.status == 422
    error = (await answer.json())["error"]
    assert "min_fee_rate_sat_vb" in (error.get("field") or "") + error["message"]
    assert "min_fee_rate_sat_vb" not in (await services.stores.get(store.id)).checkout


async def test_the_openapi_schema_describes_the_setting(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    options = spec["components"]["schemas"]["CheckoutOptions"]["properties"]
    assert "min_fee_rate_sat_vb" in options and "paid" in str(options["min_fee_rate_sat_vb"])
