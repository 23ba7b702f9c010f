"""The charge screen of a Lightning store: the checkout's choice of QR (unified BIP21 with the BOLT11,
``lightning:`` on the Lightning tab, Lightning first below the store's amount), with a fake node."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime

import pytest

from app.checkout_server.app import create_app
from app.checkout_server.shopper.qr import qr_svg
from app.core.lightning import lightning_uri, unified_uri
from tests.checkout.conftest import Shop, add_product
from tests.checkout.test_lightning_page import FakeNode, lightning_services, ln_shop
from tests.terminal.conftest import CASHIER_PIN, log_in, make_till, pair


@pytest.fixture
async def services(tmp_path):
    async with lightning_services(tmp_path, FakeNode()) as svc:
        yield svc


@pytest.fixture
async def client(aiohttp_client, services):
    return await aiohttp_client(create_app(services, public=True))


def _attr(page: str, element_id: str, attr: str) -> str:
    match = re.search(rf'<[^>]*id="{element_id}"[^>]*{attr}="([^"]*)"', page) or \
        re.search(rf'<[^>]*{attr}="([^"]*)"[^>]*id="{element_id}"', page)
    assert match, (element_id, attr)
    return htmllib.unescape(match.group(1))


async def _charge(client, services, *, qr_below_sat: int = 0):
    store, _ = await ln_shop(services)
    if qr_below_sat:
        store = await services.stores.update(store.id, {"checkout": {"lightning": True,
                                                                     "lightning_qr_below_sat": qr_below_sat}})
    product = await add_product(services, store.id, name="Tea", price="2.00")
    till = await make_till(services, shop=Shop(store, [product], None))
    await pair(client, till.code)
    await log_in(client, till.cashier, CASHIER_PIN)
    response = await client.post("/t/charge", data={"cart": f"p:{product.id}:1"}, allow_redirects=False)
    invoice = await services.invoices.get(response.headers["Location"].rsplit("/", 1)[1])
    assert invoice.bolt11
    return store, invoice


async def test_unified_qr_first_and_the_lightning_tab(client, services):
    store, invoice = await _charge(client, services)
    page = await (await client.get(f"/t/charge/{invoice.id}")).text()
    unified = unified_uri(invoice, datetime.now(UTC), store.name)
    assert unified.endswith(f"&lightning={invoice.bolt11.upper()}")
    assert _attr(page, "qr-link", "href") == unified
    assert await (await client.get(_attr(page, "qr", "src"))).read() == qr_svg(unified)
    assert _attr(page, "tab-lightning", "href") == f"/t/charge/{invoice.id}?method=lightning"
    tab = await (await client.get(f"/t/charge/{invoice.id}?method=lightning")).text()
    ln = lightning_uri(invoice.bolt11)
    assert _attr(tab, "qr-link", "href") == ln
    assert await (await client.get(_attr(tab, "qr", "src"))).read() == qr_svg(ln)


async def test_lightning_first_below_the_stores_amount(client, services):
    _store, invoice = await _charge(client, services, qr_below_sat=1_000_000)
    page = await (await client.get(f"/t/charge/{invoice.id}")).text()
    assert _attr(page, "qr-link", "href") == lightning_uri(invoice.bolt11)
    assert 'id="tab-lightning" href="/t/charge/' in page and 'aria-current="page">Lightning' in page
