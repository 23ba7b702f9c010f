"""Shopper pages over real services on a SQLite file, with an in-memory chain stand-in.

Browser tests use the whole app (`app_runtime` from tests/conftest.py) with the embedded devnet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from app.checkout_server.app import create_app
from tests.conftest import TEST_VPUB
from tests.services.conftest import running_services

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
async def browser():
    """Debian's chromium, headless, through Playwright (the browser tests)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()




class FakeDevnet:
    """Records scenario calls (the real devnet is exercised by the browser tests)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def pay(self, address: str, sat: int) -> str:
        self.calls.append(("pay", address, sat))
        return "ab" * 32

    async def mine(self, n: int = 1) -> list[str]:
        self.calls.append(("mine", n))
        return ["cd" * 32]


@pytest.fixture
async def services(tmp_path):
    async with running_services(tmp_path) as svc:
        yield svc


@dataclass
class Shop:
    store: object
    products: list
    invoice: object


async def make_shop(services, *, store_name="Corner Café", currency="USD", description="Order 42",
                    product_specs=None, **invoice_kw):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    store = await services.stores.create(store_name, default_currency=currency, wallet_ids=[wallet.id])
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    products = []
    for spec in product_specs or [{"name": "Espresso", "price": "2.50", "description": "Short and strong"},
                                  {"name": "Croissant", "price": "3.00", "stock": 2}]:
        products.append(await add_product(services, store.id, **spec))
    invoice = await services.invoices.create(store.id, price="10.00", description=description, **invoice_kw)
    return Shop(store, products, invoice)


async def add_product(services, store_id, **spec):
    # ProductService.create() cannot take description/category yet (duplicate keyword): set them after.
    later = {key: spec.pop(key) for key in ("description", "category") if key in spec}
    product = await services.products.create(store_id, **spec)
    return await services.products.update(product.id, later) if later else product


@pytest.fixture
async def shop(services):
    return await make_shop(services)


@pytest.fixture
async def client(aiohttp_client, services):
    return await aiohttp_client(create_app(services, public=True))


async def wait_for(predicate, timeout_s: float = 5.0, step_s: float = 0.02):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step_s)


def pay_fake(services, invoice, sat: int, *, height: int = 0, txid: str = "aa" * 32) -> None:
    """Make the fake chain report a payment to the invoice's address and tell the engine."""
    from app.chain.models import AddressesChanged
    from app.core.payments import ObservedOutput

    chain = services.fake_chain  # the FakeChain built by the services fixture
    chain.outputs.setdefault(invoice.address, []).append(ObservedOutput(txid, 0, sat, height, True))
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))


async def wait_status(services, invoice_id: str, status: str, timeout_s: float = 5.0):
    async def check():
        invoice = await services.invoices.get(invoice_id)
        return invoice if invoice.status == status else None

    return await wait_for(check, timeout_s)
