"""The API refuses the same store looks as the window: JSON 4xx with a stable code, a message and the field."""

from __future__ import annotations

import pytest

from tests.api.conftest import auth, shop


@pytest.mark.parametrize(("look", "code", "field"), [
    ({"accent_color": "banana"}, "invalid_accent_color", "accent_color"),
    ({"logo_url": "javascript:alert(1)"}, "invalid_logo_url", "logo_url"),
])
async def test_store_look_is_validated_over_http(client, services, admin_key, look, code, field):
    h = auth(admin_key)
    store = await shop(services)
    resp = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": look}, headers=h)
    assert resp.status == 422 and resp.content_type == "application/json"
    error = (await resp.json())["error"]
    assert error["code"] == code and error["message"] and error["field"] == field
    assert (await services.stores.get(store.id)).checkout == {}
    resp = await client.post("/api/v1/stores", json={"name": "Other", "checkout": look}, headers=h)
    assert resp.status == 422 and (await resp.json())["error"]["code"] == code
    assert [s.name for s in await services.stores.list()] == ["Shop"]


async def test_a_good_look_is_stored(client, services, admin_key):
    h = auth(admin_key)
    store = await shop(services)
    look = {"accent_color": "#C62F3A", "logo_url": "https://shop.example/logo.png", "dark": True}
    resp = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": look}, headers=h)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["checkout"] == {**look, "accent_color": "#c62f3a"}
