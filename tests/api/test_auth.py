"""Every route x scope: no key -> 401, every other scope -> 403, the route's own scope -> 2xx.
Plus API key storage, revocation and the rate limits."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.checkout_server.api.keys import API_LIMITS
from app.checkout_server.api.operations import AUTHENTICATED
from app.checkout_server.api.ratelimit import ApiLimits, RateLimiter
from app.checkout_server.api.routes import all_operations
from app.checkout_server.app import create_app
from app.checkout_server.logins import FailedLogins
from app.core.errors import Conflict
from app.core.refunds import RefundRequest, RefundVariant
from app.db.models import ApiKeyRow
from app.services.admin.apikeys import IMPLIED, Scope
from tests.api.conftest import auth, make_key, shop, wait_for
from tests.conftest import TEST_VPUB
from tests.services.refund_helpers import foreign_address, paid_invoice

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
OTHER_VPUB = ("vpub5ZErf4eUByrrZLvVQscikBx8vGGoavBtuCKAYfRLpH2EP5GgHpMszPCXQBah4vhbbyjCW63GusgKgBmvbDqEsfzRHTNv93"
              "H1gT7wZx6cwsA")  # m/84'/1'/0' of seed bytes 0..31

# operation id -> request body (JSON dict, raw bytes or None). Every operation must be listed.
BODIES: dict[str, object] = {
    "server_info": None, "health": None, "openapi_json": None, "docs_page": None,
    "list_api_keys": None, "create_api_key": {"name": "k", "scopes": ["stores:read"]}, "current_api_key": None,
    "revoke_api_key": None,
    "list_stores": None, "create_store": {"name": "New"}, "get_store": None, "update_store": {"speed_policy": 2},
    "list_wallets": None, "add_wallet": "other-wallet", "preview_wallet": {"keys": TEST_VPUB, "count": 2},
    "get_wallet": None, "wallet_balance": None, "wallet_addresses": None,
    "list_products": None, "create_product": {"name": "Tea", "price": "2.00"}, "get_product": None,
    "update_product": {"stock": 5}, "delete_product": None, "get_product_image": None, "put_product_image": PNG,
    "delete_product_image": None,
    "export_invoices": None,
    "create_invoice": {"price": "1.00"}, "list_store_invoices": None, "list_invoices": None, "get_invoice": None,
    "mark_invoice": {"status": "invalid"}, "invoice_payments": None, "recent_payments": None,
    "chain_check": None,
    "list_webhooks": None, "create_webhook": {"url": "http://127.0.0.1:9/x"}, "get_webhook": None,
    "update_webhook": {"enabled": True}, "delete_webhook": None, "list_deliveries": None, "get_delivery": None,
    "redeliver": None,
    "list_rates": None, "get_rate": None, "set_manual_rate": {"rate": "50000"}, "clear_manual_rate": None,
    "set_store_rate_source": {"source": "manual"},
    "preview_refund": {"variant": "rate_then"}, "create_refund": {"variant": "rate_then"}, "invoice_refunds": None,
    "list_refunds": None, "get_refund": None, "cancel_refund": None,
    "create_payout": {"store_id": "{store_id}", "destination": "{address}", "amount_sat": 10_000},
    "list_payouts": None, "payout_fees": None, "approve_payouts": {"payout_ids": ["{payout_id}"]},
    "pay_payouts": {"payout_ids": ["pay_missing"]}, "export_psbt": {"payout_ids": ["pay_missing"]},
    "import_psbt": {"payout_tx_id": "ptx_missing", "psbt": "cHNidP8="},
    "bump_payout_fee": {"payout_tx_id": "ptx_missing", "fee": {"target": "hour"}},
    "get_payout": None, "cancel_payout": None,
    "get_lightning": None, "switch_lightning": {"enabled": False},
    "open_channel": {"connect": "03" + "cd" * 32 + "@127.0.0.1:9735", "amount_sat": 100_000},
    "close_channel": {"force": False},
    "list_audit": None, "export_audit": None, "list_staff": None, "list_terminals": None,
}
# With its own scope these answer from the domain, not 2xx: the world's invoice is unpaid, and paying
# needs the real chain (tests/api/test_payouts_runtime.py). What matters here: the scope let them through.
DOMAIN_ANSWERS = {"chain_check": 409,  # the world's invoice is still monitored (invoice_monitored)
                  "preview_refund": 409, "create_refund": 409, "pay_payouts": 404, "export_psbt": 404,
                  "import_psbt": 404, "bump_payout_fee": 404,
                  "open_channel": 409, "close_channel": 409}  # Lightning is off in this world (lightning_off)


def _other_scopes(required: str) -> list[str]:
    """Every scope that must NOT be enough for `required` (all of them at once)."""
    if required == AUTHENTICATED:
        return []
    return [str(s) for s in Scope if s is not Scope.FULL and s != required
            and Scope(required) not in IMPLIED.get(s, frozenset())]


@pytest.fixture
async def world(client, services, admin_key, receiver):
    store = await shop(services)
    product = await services.products.create(store.id, name="Coffee", price="3.00")
    await services.product_images.replace(product, PNG)
    saved = await services.webhooks.create(store.id, receiver.url, secret="x" * 20)
    invoice = await services.invoices.create(store.id, price="1.00")
    receiver.secret = "x" * 20
    await wait_for(lambda: receiver.received)
    delivery = (await services.webhooks.deliveries(saved.webhook.id)).items[0]
    await wait_for(lambda: _delivered(services, delivery.id))
    victim = await services.apikeys.create("victim", ["stores:read"])
    refunded = await paid_invoice(services, store)
    refund = await services.refunds.create(refunded.id, RefundRequest(RefundVariant.RATE_THEN))
    payout = await services.payouts.create(store.id, store.wallet_ids[0], foreign_address(1), 10_000)
    return {"store_id": store.id, "wallet_id": store.wallet_ids[0], "product_id": product.id, "invoice_id": invoice.id,
            "webhook_id": saved.webhook.id, "delivery_id": delivery.id, "key_id": victim.api_key.id,
            "currency": "USD", "refund_id": refund.id, "payout_id": payout.id, "address": foreign_address(2),
            "channel_id": "00" * 32}


async def _delivered(services, delivery_id):
    return (await services.webhooks.delivery(delivery_id)).status == "delivered"


def _request_args(op_id: str, world: dict | None = None) -> dict:
    body = BODIES[op_id]
    if body == "other-wallet":
        return {"json": {"name": "second", "keys": OTHER_VPUB}}
    if isinstance(body, bytes):
        return {"data": body}
    if isinstance(body, dict) and world is not None:  # "{store_id}" & co: ids of the world
        body = {k: ([i.format(**world) for i in v] if isinstance(v, list) else v.format(**world) if isinstance(v, str)
                    else v) for k, v in body.items()}
    return {"json": body} if body is not None else {}


async def test_every_route_and_scope(client, services, world):
    ops = all_operations()
    assert {op.operation_id for op in ops} == set(BODIES), "add new operations to BODIES"
    ordered = sorted(ops, key=lambda op: (op.method == "DELETE", op.operation_id == "delete_webhook"))
    for op in ordered:
        path = op.full_path.format(**world)
        args = _request_args(op.operation_id, world)
        if op.scope is not None:
            resp = await client.request(op.method, path, **args)
            assert resp.status == 401, (op.operation_id, await resp.text())
            assert (await resp.json())["error"]["code"] == "missing_api_key"
            others = _other_scopes(op.scope)
            if others:
                resp = await client.request(op.method, path, headers=auth(await make_key(services, *others)), **args)
                assert resp.status == 403, (op.operation_id, await resp.text())
                assert (await resp.json())["error"]["code"] == "insufficient_scope"
        own = "stores:read" if op.scope == AUTHENTICATED else op.scope
        headers = auth(await make_key(services, own)) if own else {}
        resp = await client.request(op.method, path, headers=headers, **args)
        if op.operation_id in DOMAIN_ANSWERS:
            assert resp.status == DOMAIN_ANSWERS[op.operation_id], (op.operation_id, resp.status, await resp.text())
            continue
        assert 200 <= resp.status < 300, (op.operation_id, resp.status, await resp.text())


async def test_keys_are_hashed_revocable_and_bootstrap_once(client, services, admin_key):
    keys = services.apikeys
    with pytest.raises(Conflict):
        await keys.bootstrap()
    prefix, key_id, secret = admin_key.split("_", 2)
    assert prefix == "rw" and len(key_id) == 12 and len(secret) >= 43
    async with services.writer.read() as session:
        row = (await session.scalars(select(ApiKeyRow).where(ApiKeyRow.id == key_id))).one()
    assert row.key_hash == hashlib.sha256(admin_key.encode()).hexdigest() and secret not in row.key_hash
    resp = await client.post("/api/v1/api-keys", json={"name": "pos", "scopes": ["invoices:create"]},
                             headers=auth(admin_key))
    created = await resp.json()
    assert resp.status == 201 and created["key"].startswith(f"rw_{created['api_key']['id']}_")
    listed = await (await client.get("/api/v1/api-keys", headers=auth(admin_key))).json()
    assert all("key" not in k for k in listed["items"]) and len(listed["items"]) == 2
    me = await (await client.get("/api/v1/api-keys/current", headers=auth(created["key"]))).json()
    assert me["scopes"] == ["invoices:create"]
    assert (await client.delete(f"/api/v1/api-keys/{created['api_key']['id']}", headers=auth(admin_key))).status == 204
    resp = await client.get("/api/v1/api-keys/current", headers=auth(created["key"]))
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "invalid_api_key"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    tampered = admin_key[:-1] + ("A" if admin_key[-1] != "A" else "B")
    assert (await client.get("/api/v1/server/info", headers=auth(tampered))).status == 401
    assert (await client.get("/api/v1/server/info", headers={"Authorization": admin_key})).status == 401


async def test_failed_auth_is_rate_limited_per_client(aiohttp_client, services):
    app = create_app(services, public=False)
    app[API_LIMITS] = ApiLimits(failed_auth=FailedLogins(3, 1, penalty_s=0))
    client = await aiohttp_client(app)
    good = (await services.apikeys.bootstrap()).key.reveal()
    for _ in range(3):
        assert (await client.get("/api/v1/stores", headers=auth("rw_000000000000_nope"))).status == 401
    resp = await client.get("/api/v1/stores", headers=auth("rw_000000000000_nope"))
    assert resp.status == 429 and (await resp.json())["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) >= 1
    assert (await client.get("/api/v1/stores", headers=auth(good))).status == 200  # others' failures: never


async def test_anonymous_invoice_creation_needs_opt_in_and_is_rate_limited(aiohttp_client, services):
    app = create_app(services, public=False)
    app[API_LIMITS] = ApiLimits(anonymous_invoices=RateLimiter(2, 1))
    client = await aiohttp_client(app)
    closed = await shop(services)
    resp = await client.post(f"/api/v1/stores/{closed.id}/invoices", json={"price": "1.00"})
    assert resp.status == 401
    open_store = await services.stores.create("Open", wallet_ids=list(closed.wallet_ids),
                                              checkout={"anyone_can_create_invoice": True})
    url = f"/api/v1/stores/{open_store.id}/invoices"
    assert (await client.post(url, json={"price": "1.00"})).status == 201
    resp = await client.post(url, json={"price": "1.00"})
    assert resp.status == 429 and (await resp.json())["error"]["code"] == "rate_limited"


def test_rate_limiter_refills():
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert limiter.consume("a") == 0 and limiter.consume("a") == 0
    assert limiter.consume("a") == pytest.approx(1.0) and limiter.consume("b") == 0
    now[0] += 1.0
    assert limiter.consume("a") == 0
