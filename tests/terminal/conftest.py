"""The web terminal over real services and HTTP: a shop with products, a cashier and a manager, and a
till (terminal) they may use, with its one-time pairing code."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.checkout.conftest import browser, client, make_shop, services  # noqa: F401 - fixtures

CASHIER_PIN, MANAGER_PIN = "1234", "86420"


@dataclass
class Till:
    shop: object
    cashier: object
    manager: object
    terminal: object
    code: str


async def make_till(services, *, shop=None, name="Counter"):
    shop = shop or await make_shop(services, product_specs=[
        {"name": "Espresso", "price": "2.50", "category": "Coffee"},
        {"name": "Flat white", "price": "3.40", "category": "Coffee"},
        {"name": "Croissant", "price": "3.00", "category": "Bakery", "stock": 5}])
    people = {p.name: p for p in await services.staff.list()}
    cashier = people.get("Ana") or await services.staff.add("Ana", "cashier", CASHIER_PIN, store_ids=[shop.store.id])
    manager = people.get("Max") or await services.staff.add("Max", "manager", MANAGER_PIN, store_ids=[shop.store.id])
    terminal, pairing = await services.terminals.add(name, shop.store.id, [cashier.id, manager.id])
    return Till(shop, cashier, manager, terminal, pairing.code)


@pytest.fixture
async def till(services):
    return await make_till(services)


async def pair(client, code: str):
    response = await client.post("/t/pair", data={"code": code}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return response


async def log_in(client, person, pin: str):
    response = await client.post(f"/t/login/{person.id}", data={"pin": pin}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/t/sale", await response.text()
    return response


async def sell(client, **fields):
    """Post the sale form as the JS-off page would (its hidden fields plus the pressed button)."""
    return await client.post("/t/sale", data=fields)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}"[^>]*value="([^"]*)"', html)
    assert match, name
    return match.group(1)
