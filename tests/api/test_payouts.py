"""REST payouts over real HTTP on 127.0.0.1 (real SQLite, fake chain): create, list, get, approve, cancel;
payouts:* scopes; JSON errors; Idempotency-Key; a watch-only wallet cannot pay hot. Paying, PSBTs and fee
bumps on the real runtime: test_payouts_runtime.py."""

from __future__ import annotations

from tests.api.conftest import auth, make_key, shop
from tests.services.refund_helpers import foreign_address

API = "/api/v1"


async def test_create_list_get_approve_cancel(client, services):
    store = await shop(services)
    h = auth(await make_key(services, "payouts:write"))
    body = {"store_id": store.id, "destination": foreign_address(1), "amount_sat": 25_000, "label": "Supplier A"}
    created = await client.post(f"{API}/payouts", json=body, headers=h)
    payout = await created.json()
    assert created.status == 201, payout
    assert payout["status"] == "awaiting_approval" and payout["wallet_id"] == store.wallet_ids[0]
    assert payout["label"] == "Supplier A" and payout["created_by"].startswith("api:")
    second = await (await client.post(f"{API}/payouts", json=body | {"destination": foreign_address(2)},
                                      headers=h)).json()

    page = await (await client.get(f"{API}/payouts", params={"store_id": store.id}, headers=h)).json()
    assert page["total"] == 2 and {p["id"] for p in page["items"]} == {payout["id"], second["id"]}
    waiting = await (await client.get(f"{API}/payouts", params={"status": "awaiting_approval"}, headers=h)).json()
    assert waiting["total"] == 2
    assert (await (await client.get(f"{API}/payouts/{payout['id']}", headers=h)).json()) == payout

    approved = await client.post(f"{API}/payouts/approve", json={"payout_ids": [payout["id"], second["id"]]},
                                 headers=h)
    items = (await approved.json())["items"]
    assert approved.status == 200 and {p["status"] for p in items} == {"approved"}
    assert all(p["approved_at"] for p in items)

    cancelled = await client.post(f"{API}/payouts/{second['id']}/cancel", headers=h)
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"
    again = await client.post(f"{API}/payouts/approve", json={"payout_ids": [second["id"]]}, headers=h)
    error = (await again.json())["error"]
    assert again.status == 422 and error["code"] == "invalid_transition"


async def test_bad_payouts_are_refused_with_nothing_written(client, services):
    store = await shop(services)
    h = auth(await make_key(services, "payouts:write"))
    cases = [
        ({"destination": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}, "wrong_network", "destination"),
        ({"destination": "not-an-address"}, "invalid_address", "destination"),
        ({"amount_sat": 100}, "invalid_amount", "amount_sat"),
        ({"amount_sat": "100"}, "invalid_value", "amount_sat"),
        ({"wallet_id": "wal_unknown"}, "invalid_wallet", "wallet_id"),
        ({"colour": "red"}, "unknown_field", "colour"),
    ]
    for change, code, field in cases:
        body = {"store_id": store.id, "destination": foreign_address(3), "amount_sat": 10_000} | change
        response = await client.post(f"{API}/payouts", json=body, headers=h)
        error = (await response.json())["error"]
        assert response.status in (409, 422), (change, error)
        assert (error["code"], error["field"]) == (code, field), change
        assert error["message"].endswith(".")
    assert (await services.payouts.list(store_id=store.id)).total == 0
    dup = await client.post(f"{API}/payouts/approve", json={"payout_ids": ["pay_x", "pay_x"]}, headers=h)
    assert dup.status == 422 and (await dup.json())["error"]["code"] == "duplicate_payout"
    missing = await client.get(f"{API}/payouts/pay_missing", headers=h)
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "payout_not_found"


async def test_watch_only_wallet_cannot_pay_hot(client, services):
    store = await shop(services)
    h = auth(await make_key(services, "payouts:write"))
    payout = await services.payouts.create(store.id, store.wallet_ids[0], foreign_address(4), 10_000)
    await services.payouts.approve([payout.id])
    response = await client.post(f"{API}/payouts/pay", json={"payout_ids": [payout.id],
                                                             "fee": {"target": "custom", "sat_per_vb": "2"}},
                                 headers=h)
    error = (await response.json())["error"]
    assert response.status == 409 and error["code"] == "watch_only_wallet"
    assert (await services.payouts.get(payout.id)).status.value == "approved"
    not_approved = await services.payouts.create(store.id, store.wallet_ids[0], foreign_address(5), 10_000)
    refused = await client.post(f"{API}/payouts/psbt", json={"payout_ids": [not_approved.id]}, headers=h)
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "payout_not_approved"
    bad_fee = await client.post(f"{API}/payouts/pay", json={"payout_ids": [payout.id],
                                                            "fee": {"target": "custom", "sat_per_vb": "-1"}}, headers=h)
    assert bad_fee.status == 422 and (await bad_fee.json())["error"]["field"] == "fee.sat_per_vb"


async def test_payout_scopes(client, services):
    store = await shop(services)
    body = {"store_id": store.id, "destination": foreign_address(6), "amount_sat": 10_000}
    for scopes in (["invoices:write"], ["refunds:write"], ["payouts:read"]):
        h = auth(await make_key(services, *scopes))
        response = await client.post(f"{API}/payouts", json=body, headers=h)
        assert response.status == 403 and (await response.json())["error"]["code"] == "insufficient_scope", scopes
    reader = auth(await make_key(services, "payouts:read"))
    assert (await client.get(f"{API}/payouts", headers=reader)).status == 200
    restricted = auth(await make_key(services, "payouts:write", store_ids=[store.id]))
    assert (await client.get(f"{API}/payouts", headers=restricted)).status == 403  # name the store
    assert (await client.get(f"{API}/payouts", params={"store_id": store.id}, headers=restricted)).status == 200


async def test_idempotency_key_on_payout_creation(client, services):
    store = await shop(services)
    h = auth(await make_key(services, "payouts:write")) | {"Idempotency-Key": "supplier-42"}
    body = {"store_id": store.id, "destination": foreign_address(7), "amount_sat": 10_000}
    first = await client.post(f"{API}/payouts", json=body, headers=h)
    again = await client.post(f"{API}/payouts", json=body, headers=h)
    assert first.status == again.status == 201 and await first.read() == await again.read()
    assert (await services.payouts.list(store_id=store.id)).total == 1


async def test_payout_operations_are_in_openapi(client):
    doc = await (await client.get(f"{API}/openapi.json")).json()
    paths = doc["paths"]
    for path, method in (("/payouts", "post"), ("/payouts", "get"), ("/payouts/{payout_id}", "get"),
                         ("/payouts/approve", "post"), ("/payouts/{payout_id}/cancel", "post"),
                         ("/payouts/psbt", "post"), ("/payouts/psbt/import", "post"), ("/payouts/pay", "post"),
                         ("/payouts/bump", "post"), ("/payouts/fees/{wallet_id}", "get")):
        assert method in paths[f"{API}{path}"], path
    assert "application/octet-stream" in paths[f"{API}/payouts/psbt"]["post"]["responses"]["200"]["content"]
