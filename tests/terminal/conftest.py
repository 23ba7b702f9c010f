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


async def make_till(svc, *, shop=None, name="Counter"):
    shop = shop or await make_shop(svc, product_specs=[
        {"name": "Espresso", "price": "2.50", "category": "Coffee"},
        {"name": "Flat white", "price": "3.40", "category": "Coffee"},
        {"name": "Croissant", "price": "3.00", "category": "Bakery", "stock": 5}])
    people = {p.name: p for p in await svc.staff.list()}
    cashier = people.get("Ana") or await svc.staff.add("Ana", "cashier", CASHIER_PIN, store_ids=[shop.store.id])
    manager = people.get("Max") or await svc.staff.add("Max", "manager", MANAGER_PIN, store_ids=[shop.store.id])
    terminal, pairing = await svc.terminals.add(name, shop.store.id, [cashier.id, manager.id])
    return Till(shop, cashier, manager, terminal, pairing.code)


@pytest.fixture
async def till(services):  # noqa: F811 - the fixture imported above
    return await make_till(services)


async def pair(http, code: str):
    response = await http.post("/t/pair", data={"code": code}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return response


async def log_in(http, person, pin: str):
    response = await http.post(f"/t/login/{person.id}", data={"pin": pin}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/t/sale", await response.text()
    return response


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}"[^>]*value="([^"]*)"', html)
    assert match, name
    return match.group(1)
