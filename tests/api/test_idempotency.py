"""Idempotency-Key on invoice creation, order_id uniqueness, payments in invoice lists: real HTTP on
127.0.0.1, real SQLite; restart with a real Runtime; kill -9 of a real `redwaves serve` process."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.chain.models import AddressesChanged
from app.core.payments import ObservedOutput
from tests.api.conftest import Stack, auth, shop, wait_for
from tests.conftest import TEST_VPUB
from tests.foundation.test_cli import Served

BODY = {"price": "10.00", "order_id": "A-1"}


def _invoice_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM invoices")]


async def test_replay_returns_the_original_and_another_body_is_409(client, services, admin_key):
    store = await shop(services)
    url = f"/api/v1/stores/{store.id}/invoices"
    h = auth(admin_key) | {"Idempotency-Key": "k-1"}
    first = await client.post(url, json=BODY, headers=h)
    assert first.status == 201, await first.text()
    original = await first.read()
    again = await client.post(url, data=json.dumps({"order_id": "A-1", "price": "10.00"}, indent=2),
                              headers=h | {"Content-Type": "application/json"})
    assert again.status == 201 and await again.read() == original  # key order and spacing do not matter
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await client.post(url, json={"price": "11.00"}, headers=h)
    assert other.status == 409 and (await other.json())["error"]["code"] == "idempotency_key_reused"
    without = await client.post(url, json=BODY, headers=auth(admin_key))  # no key: a new invoice
    assert without.status == 201 and (await without.json())["id"] != json.loads(original)["id"]
    page = await (await client.get(url, headers=auth(admin_key))).json()
    assert page["total"] == 2
    bad = await client.post(url, json=BODY, headers=auth(admin_key) | {"Idempotency-Key": ""})
    assert bad.status == 422 and (await bad.json())["error"]["code"] == "invalid_idempotency_key"


async def test_keys_are_scoped_per_api_key(client, services, admin_key):
    store = await shop(services)
    other_key = (await services.apikeys.create("other", ["invoices:create"])).key.reveal()
    url = f"/api/v1/stores/{store.id}/invoices"
    a = await (await client.post(url, json=BODY, headers=auth(admin_key) | {"Idempotency-Key": "same"})).json()
    b = await client.post(url, json={"price": "3.00"}, headers=auth(other_key) | {"Idempotency-Key": "same"})
    assert b.status == 201 and (await b.json())["id"] != a["id"]


async def test_store_creation_replays_too(client, services, admin_key):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    h = auth(admin_key) | {"Idempotency-Key": "store-1"}
    body = {"name": "Shop", "default_currency": "USD", "wallet_ids": [wallet.id]}
    first = await client.post("/api/v1/stores", json=body, headers=h)
    again = await client.post("/api/v1/stores", json=body, headers=h)
    assert first.status == again.status == 201 and await first.read() == await again.read()
    assert len(await services.stores.list()) == 1
    other = await client.post("/api/v1/stores", json=body | {"name": "Other"}, headers=h)
    assert other.status == 409


async def test_a_failed_creation_stores_nothing(client, services, admin_key):
    store = await shop(services)
    url = f"/api/v1/stores/{store.id}/invoices"
    h = auth(admin_key) | {"Idempotency-Key": "k-fail"}
    assert (await client.post(url, json={"price": "-1"}, headers=h)).status == 422
    assert (await client.post(url, json={"price": "2.00"}, headers=h)).status == 201  # the retry runs


async def test_ten_concurrent_posts_with_one_key_make_one_invoice(client, services, admin_key, stack):
    store = await shop(services)
    url = f"/api/v1/stores/{store.id}/invoices"
    h = auth(admin_key) | {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(*(client.post(url, json=BODY, headers=h) for _ in range(10)))
    bodies = {await r.read() for r in responses}
    assert [r.status for r in responses] == [201] * 10
    assert len(bodies) == 1
    assert _invoice_ids(stack.settings.db_path) == [json.loads(bodies.pop())["id"]]


async def test_order_id_unique_is_an_opt_in_store_setting(client, services, admin_key):
    store = await shop(services)
    url = f"/api/v1/stores/{store.id}/invoices"
    h = auth(admin_key)
    assert (await client.post(url, json=BODY, headers=h)).status == 201
    assert (await client.post(url, json=BODY, headers=h)).status == 201  # off by default
    bad = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"order_id_unique": "yes"}},
                             headers=h)
    assert bad.status == 422
    on = await client.patch(f"/api/v1/stores/{store.id}", json={"checkout": {"order_id_unique": True}}, headers=h)
    assert on.status == 200, await on.text()
    first = await (await client.post(url, json={"price": "1.00", "order_id": "B-7"}, headers=h)).json()
    second = await client.post(url, json={"price": "1.00", "order_id": "B-7"}, headers=h)
    answer = await second.json()
    assert second.status == 409 and answer["error"]["code"] == "order_id_exists"
    assert first["id"] in answer["error"]["message"]
    assert (await client.post(url, json={"price": "1.00"}, headers=h)).status == 201  # no order id: fine


async def test_greenfield_order_id_is_the_natural_key_when_unique(client, services, admin_key):
    store = await shop(services, checkout={"order_id_unique": True})
    h = {"Authorization": f"token {admin_key}"}
    url = f"/greenfield/api/v1/stores/{store.id}/invoices"
    body = {"amount": "10.00", "currency": "USD", "metadata": {"orderId": "GF-1"}}
    first = await client.post(url, json=body, headers=h)
    assert first.status == 200, await first.text()
    again = await client.post(url, json=body, headers=h)  # the retry after a lost answer: the same invoice
    assert again.status == 200 and (await again.json())["id"] == (await first.json())["id"]
    other = await client.post(url, json=body | {"metadata": {"orderId": "GF-2"}}, headers=h)
    assert (await other.json())["id"] != (await first.json())["id"]


async def test_store_invoice_list_items_carry_their_payments(client, services, admin_key):
    store = await shop(services)
    h = auth(admin_key)
    url = f"/api/v1/stores/{store.id}/invoices"
    paid = await (await client.post(url, json={"price": "10.00"}, headers=h)).json()
    await client.post(url, json={"price": "5.00"}, headers=h)
    services.fake_chain.outputs[paid["address"]] = [ObservedOutput("ab" * 32, 0, 20000, 0, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({paid["address"]}),
                                                    wallet_id=store.wallet_ids[0]))

    async def is_paid() -> bool:
        return (await (await client.get(f"/api/v1/invoices/{paid['id']}", headers=h)).json())["status"] == "paid"

    await wait_for(is_paid, what="invoice paid")
    one = await (await client.get(f"/api/v1/invoices/{paid['id']}", headers=h)).json()
    items = {i["id"]: i for i in (await (await client.get(url, headers=h)).json())["items"]}
    assert items[paid["id"]]["payments"] == one["payments"] and one["payments"][0]["amount_sat"] == 20000
    assert [i["payments"] for i in items.values() if i["id"] != paid["id"]] == [[]]


async def _seed(data_dir: Path) -> tuple[str, str]:
    """A store with a wallet and rate, and an admin key, written to ``data_dir`` (then stopped)."""
    stack = Stack(data_dir)
    services = await stack.start()
    try:
        store = await shop(services)
        key = (await services.apikeys.bootstrap()).key.reveal()
    finally:
        await stack.stop()
    return store.id, key


async def test_a_runtime_restart_keeps_the_key(tmp_path):
    from app.config import load_settings
    from app.runtime import Runtime

    store_id, key = await _seed(tmp_path)
    settings = load_settings({}, {"data_dir": tmp_path, "network": "regtest", "private_port": 0})
    h = auth(key) | {"Idempotency-Key": "restart"}
    bodies: list[bytes] = []
    for _ in range(2):
        runtime = Runtime(settings)
        await runtime.start()
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    f"{runtime.urls['private']}/api/v1/stores/{store_id}/invoices", json=BODY, headers=h) as resp:
                assert resp.status == 201, await resp.text()
                bodies.append(await resp.read())
        finally:
            await runtime.stop()
    assert bodies[0] == bodies[1]
    assert len(_invoice_ids(settings.db_path)) == 1


def _post(url: str, key: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(BODY).encode(), method="POST", headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": "kill-9", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as resp:
        return resp.status, resp.read()


@pytest.mark.slow
async def test_kill_9_after_the_answer_keeps_the_key(tmp_path: Path) -> None:
    store_id, key = await _seed(tmp_path)
    results: list[Any] = []
    for _ in range(2):
        served = await asyncio.to_thread(Served, tmp_path)
        try:
            results.append(await asyncio.to_thread(_post, f"{served.url}/api/v1/stores/{store_id}/invoices", key))
        finally:
            served.proc.kill()  # SIGKILL: no graceful stop, no checkpoint
            served.proc.wait(timeout=10)
            served.close()
    assert results[0] == results[1] and results[0][0] == 201
    assert len(_invoice_ids(tmp_path / "regtest" / "redwaves.sqlite3")) == 1
