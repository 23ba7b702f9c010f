"""The checkout page with Lightning: On-chain / Lightning tabs as plain links (JavaScript off), the QR
payloads (unified BIP21 on the on-chain tab, ``lightning:`` on the Lightning tab), the BOLT11 in a
copy field, on-chain only after an on-chain payment, "Paid over Lightning", escaping, and the same
in headless Chromium with JavaScript off and on.

The invoices come from the real services (InvoiceService issues the BOLT11, the engine records the
settled payment) with a fake Lightning node in place of Electrum's. Screenshots:
tests/artifacts/checkout-lightning-*-360x800.png and -1280x800.png."""

from __future__ import annotations

import asyncio
import html as htmllib
import re
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import pytest
from markupsafe import escape

from app.checkout_server.app import create_app
from app.checkout_server.shopper.invoice_view import qr_payload
from app.checkout_server.shopper.qr import qr_svg
from app.core.lightning import lightning_uri, unified_uri
from tests.checkout.conftest import ARTIFACTS, pay_fake, wait_for, wait_status
from tests.checkout.test_browser import WATCH_CSP, XSS, Watch, wait_js
from tests.conftest import TEST_VPUB
from tests.fake_lightning import FakeLightningNode
from tests.services.conftest import running_services

WALLET = "wal_ln"  # the node's wallet id as the fake node reports it


FakeNode = partial(FakeLightningNode, running=WALLET)  # the node runs (tests/terminal imports this name)


def lightning_services(data_dir, node: FakeLightningNode):
    """tests/services/conftest.py running_services with the fake node passed where the runtime passes
    the chain watcher (build_services(..., lightning_node=)); ``node.settle`` tells the engine."""
    return running_services(data_dir, tick_s=0.05, lightning_node=node)


@pytest.fixture
def node():
    return FakeNode()


@pytest.fixture
async def services(tmp_path, node):
    async with lightning_services(tmp_path, node) as svc:
        yield svc


@pytest.fixture
async def client(aiohttp_client, services):
    return await aiohttp_client(create_app(services, public=True))


async def ln_shop(services, *, name="Corner Café", description="Order 42", lightning=True):
    wallets = await services.wallets.list()
    wallet = wallets[0] if wallets else await services.wallets.add_wallet("main", TEST_VPUB)
    store = await services.stores.create(name, default_currency="USD", wallet_ids=[wallet.id],
                                         checkout={"lightning": lightning})
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await services.invoices.create(store.id, price="10.00", description=description)
    return store, invoice


def _attr(html: str, element_id: str, attr: str) -> str:
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html)
    assert tag, element_id
    value = re.search(rf'\b{attr}="([^"]*)"', tag.group(0))
    assert value, (element_id, attr)
    return htmllib.unescape(value.group(1))


def _textarea(html: str, element_id: str) -> str:
    match = re.search(rf'<textarea[^>]*id="{element_id}"[^>]*>([^<]*)</textarea>', html)
    assert match, element_id
    return htmllib.unescape(match.group(1))


async def _qr_payload_is(client, src: str, expected: str) -> None:
    """The QR image the page links to is exactly the QR of ``expected`` (same generator, same bytes)."""
    response = await client.get(src)
    assert response.status == 200 and response.content_type == "image/svg+xml"
    assert await response.read() == qr_svg(expected)


# -- HTTP (the page as Tor Browser with JavaScript off gets it) ---------------------------------------

async def test_lightning_invoice_offers_two_tabs_on_chain_first(client, services, node):
    store, invoice = await ln_shop(services)
    assert invoice.bolt11 and invoice.payment_hash in node.issued  # issued by InvoiceService.create
    html = await (await client.get(f"/i/{invoice.id}")).text()
    assert _attr(html, "tab-onchain", "href") == f"/i/{invoice.id}?method=onchain"
    assert _attr(html, "tab-lightning", "href") == f"/i/{invoice.id}?method=lightning"
    assert 'id="tab-onchain" href="/i/' in html and _attr(html, "tab-onchain", "aria-current") == "page"
    assert 'aria-current' not in re.search(r'<a[^>]*id="tab-lightning"[^>]*>', html).group(0)
    unified = unified_uri(invoice, datetime.now(UTC), store.name)
    assert unified.startswith(f"bitcoin:{invoice.address}?amount=0.00020000")
    assert unified.endswith(f"&lightning={invoice.bolt11.upper()}")
    assert _attr(html, "open-wallet", "href") == unified and _attr(html, "qr-link", "href") == unified
    assert _attr(html, "f-uri", "value") == unified and _attr(html, "f-address", "value") == invoice.address
    await _qr_payload_is(client, _attr(html, "qr", "src"), unified)
    assert 'id="f-bolt11"' not in html
    assert "Pay on-chain or over Lightning" in html
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html  # JS off: it refreshes
    status = await (await client.get(f"/i/{invoice.id}/status")).json()
    assert status["lightning"] is True and status["lightningUri"] == lightning_uri(invoice.bolt11)
    assert status["paymentUri"] == unified and status["paidOverLightning"] is False


async def test_lightning_tab_shows_the_bolt11_and_keeps_the_tab(client, services):
    store, invoice = await ln_shop(services)
    response = await client.get(f"/i/{invoice.id}?method=lightning&lang=de")
    html = await response.text()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert _attr(html, "tab-lightning", "aria-current") == "page"
    assert _attr(html, "tab-onchain", "href") == f"/i/{invoice.id}?lang=de&method=onchain"
    uri = lightning_uri(invoice.bolt11)
    assert uri == "lightning:" + invoice.bolt11.upper()
    assert _attr(html, "open-wallet", "href") == uri and _attr(html, "qr-link", "href") == uri
    src = _attr(html, "qr", "src")
    assert "method=lightning" in src
    await _qr_payload_is(client, src, uri)
    assert qr_payload(invoice, "lightning", datetime.now(UTC), store.name) == uri
    assert _textarea(html, "f-bolt11") == invoice.bolt11
    assert 'readonly' in re.search(r'<textarea[^>]*id="f-bolt11"[^>]*>', html).group(0)
    assert 'data-copy="f-bolt11" hidden' in html  # the copy button is a JS extra; the text is selectable
    assert _attr(html, "f-amount", "value") == "0.00020000"
    assert 'id="countdown">' in html and 'id="f-address"' not in html
    # the chosen tab survives the refresh (same URL), "Check again" and the language links
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html
    assert _attr(html, "check-again", "href") == f"/i/{invoice.id}?lang=de&method=lightning"
    assert f'href="/i/{invoice.id}?method=lightning&amp;lang=en"' in html
    assert "Lightning-Rechnung" in html  # German
    modal = await (await client.get(f"/i/{invoice.id}?view=modal&method=lightning")).text()
    assert _attr(modal, "tab-onchain", "href") == f"/i/{invoice.id}?view=modal&method=onchain"
    assert _attr(modal, "tab-lightning", "aria-current") == "page"


async def test_unknown_method_and_store_without_lightning_show_on_chain_only(client, services, node):
    store, invoice = await ln_shop(services)
    html = await (await client.get(f"/i/{invoice.id}?method=%3Cscript%3E")).text()
    assert _attr(html, "tab-onchain", "aria-current") == "page" and "%3Cscript" not in html and "<script>" not in html
    plain_store, plain = await ln_shop(services, name="Plain", lightning=False)
    assert plain.bolt11 is None
    html = await (await client.get(f"/i/{plain.id}?method=lightning")).text()
    assert 'id="method-tabs"' not in html and 'id="f-bolt11"' not in html
    assert _attr(html, "open-wallet", "href") == plain.payment_uri(plain_store.name)
    await _qr_payload_is(client, _attr(html, "qr", "src"), plain.payment_uri(plain_store.name))
    assert (await (await client.get(f"/i/{plain.id}/status")).json())["lightning"] is False


async def test_not_enough_inbound_liquidity_means_no_bolt11(client, services, node):
    node.can_receive_sat = 19_999  # the invoice is 20,000 sat
    _store, invoice = await ln_shop(services)
    assert invoice.bolt11 is None
    html = await (await client.get(f"/i/{invoice.id}")).text()
    assert 'id="method-tabs"' not in html


async def test_on_chain_payment_closes_the_lightning_offer(client, services, node):
    store, invoice = await ln_shop(services)
    pay_fake(services, invoice, 5000)
    await wait_for(lambda: _paid(services, invoice.id, 5000))
    await wait_for(lambda: _has(node.withdrawn, invoice.payment_hash))  # the engine withdrew the BOLT11
    fresh = await services.invoices.get(invoice.id)
    for query in ("", "?method=lightning"):  # a Lightning tab left open falls back to on-chain
        html = await (await client.get(f"/i/{invoice.id}{query}")).text()
        assert 'id="method-tabs"' not in html and 'id="f-bolt11"' not in html
        assert "Partial payment received" in html and "0.00015000\u00a0BTC" in html
        uri = _attr(html, "open-wallet", "href")
        assert uri == fresh.payment_uri(store.name) and "lightning=" not in uri
        await _qr_payload_is(client, _attr(html, "qr", "src"), uri)
    status = await (await client.get(f"/i/{invoice.id}/status")).json()
    assert status["lightning"] is False and status["lightningUri"] is None and "lightning=" not in status["paymentUri"]


async def test_settled_lightning_payment_shows_paid_over_lightning(client, services, node):
    _store, invoice = await ln_shop(services)
    node.settle(invoice.payment_hash)
    await wait_status(services, invoice.id, "complete")  # final at once, no confirmations
    html = await (await client.get(f"/i/{invoice.id}?method=lightning")).text()
    assert "Payment complete" in html
    assert re.search(r'<p class="paid-lightning" id="paid-lightning">Paid over Lightning</p>', html)
    assert 'id="pay" aria-label="Payment details" hidden' in html and 'id="method-tabs"' not in html
    assert 'http-equiv="refresh"' not in html  # complete: no more refreshing
    status = await (await client.get(f"/i/{invoice.id}/status")).json()
    assert status["status"] == "complete" and status["paidOverLightning"] is True and status["lightning"] is False
    receipt = await (await client.get(f"/i/{invoice.id}/receipt")).text()
    assert f"{invoice.payment_hash}<br>" in receipt and "Paid over Lightning" in receipt  # no ":vout"


async def test_pending_page_has_paid_over_lightning_hidden(client, services):
    _store, invoice = await ln_shop(services)
    html = await (await client.get(f"/i/{invoice.id}")).text()
    assert 'id="paid-lightning" hidden>' in html


async def test_merchant_text_is_escaped_on_both_tabs(client, services):
    store, invoice = await ln_shop(services, name="Shop " + XSS, description="Invoice " + XSS)
    for query in ("", "?method=lightning"):
        html = await (await client.get(f"/i/{invoice.id}{query}")).text()
        assert XSS not in html and "<script>alert" not in html
        assert "<img src=x" not in html and "<svg onload" not in html
        assert str(escape("Shop " + XSS)) in html and str(escape("Invoice " + XSS)) in html
    unified = unified_uri(invoice, datetime.now(UTC), store.name)
    assert "<" not in unified and '"' not in unified  # the label is percent-encoded in the URI


async def test_qr_payload_follows_the_offer(services):
    from app.core.statuses import InvoiceStatus

    store, invoice = await ln_shop(services)
    now = datetime.now(UTC)
    assert qr_payload(invoice, "lightning", now, store.name) == "lightning:" + invoice.bolt11.upper()
    assert qr_payload(invoice, "onchain", now, store.name).endswith("&lightning=" + invoice.bolt11.upper())
    for closed in (replace(invoice, status=InvoiceStatus.EXPIRED), replace(invoice, expires_at=now)):
        assert qr_payload(closed, "lightning", now, store.name) == closed.payment_uri(store.name)
        assert qr_payload(closed, "onchain", now, store.name) == closed.payment_uri(store.name)


async def _paid(services, invoice_id, sat):
    return (await services.invoices.get(invoice_id)).amount_paid_sat == sat


async def _has(items, item):
    return item in items


# -- Chromium ----------------------------------------------------------------------------------------

SIZES = ((360, 800), (1280, 800))


@asynccontextmanager
async def _page(browser, watch: Watch, size, *, js: bool):
    """A page of its own browser context at ``size``, watched (CSP reports, console errors) until the end."""
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]}, java_script_enabled=js)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    watch.attach(page)
    yield page
    await watch.check(page)
    await context.close()


async def _shot(page, name: str, size) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"checkout-lightning-{name}-{size[0]}x{size[1]}.png"), full_page=True)


@pytest.mark.browser
async def test_chromium_javascript_off_switches_tabs_with_links(client, services, node, browser):
    store, invoice = await ln_shop(services)
    base = str(client.make_url(f"/i/{invoice.id}"))
    watch = Watch()
    for size in SIZES:
        async with _page(browser, watch, size, js=False) as page:
            await page.goto(base)
            assert await page.get_attribute("#tab-onchain", "aria-current") == "page"
            assert await page.is_visible("#f-address") and not await page.is_visible("button.copy")
            await _shot(page, "onchain", size)
            await page.click("#tab-lightning")  # a plain link: no script involved
            await page.wait_for_url(f"{base}?method=lightning")
            assert await page.get_attribute("#tab-lightning", "aria-current") == "page"
            assert await page.input_value("#f-bolt11") == invoice.bolt11
            assert await page.get_attribute("#open-wallet", "href") == lightning_uri(invoice.bolt11)
            box = await page.locator("#qr").bounding_box()
            assert box and box["width"] >= 200 and box["x"] >= 0 and box["x"] + box["width"] <= size[0]
            assert await page.text_content("#countdown")
            await _shot(page, "lightning", size)
            await page.click("#check-again")  # what the meta refresh does: the tab stays
            await page.wait_for_url(f"{base}?method=lightning")
            assert await page.is_visible("#f-bolt11")
    node.settle(invoice.payment_hash)
    await wait_status(services, invoice.id, "complete")
    for size in SIZES:
        async with _page(browser, watch, size, js=False) as page:
            await page.goto(f"{base}?method=lightning")
            assert await page.text_content("#status-title") == "Payment complete"
            assert await page.is_visible("#paid-lightning") and await page.is_hidden("#pay")
            await _shot(page, "paid", size)


@pytest.mark.browser
async def test_chromium_with_javascript_follows_lightning_and_on_chain_live(client, services, node, browser):
    _store, invoice = await ln_shop(services)
    _other_store, second = await ln_shop(services, name="Second shop")
    base = str(client.make_url(f"/i/{invoice.id}"))
    watch = Watch()
    for size in SIZES:
        async with _page(browser, watch, size, js=True) as page:
            await page.goto(f"{base}?method=lightning")
            await page.wait_for_selector("button.copy[data-copy='f-bolt11']:not([hidden])")  # JS ran
            await wait_js(page, "document.querySelector('#countdown').textContent.includes(':')")
            await _shot(page, "lightning-js", size)
    async with _page(browser, watch, (1280, 800), js=True) as page:
        await page.goto(f"{base}?method=lightning")
        await page.wait_for_selector("button.copy[data-copy='f-bolt11']:not([hidden])")  # JS ran
        await asyncio.sleep(0.3)  # the websocket is connected
        node.settle(invoice.payment_hash)
        await wait_js(page, "document.getElementById('status-title').textContent === 'Payment complete'")
        assert await page.is_visible("#paid-lightning") and await page.is_hidden("#pay")
        await _shot(page, "paid-live", (1280, 800))
        # the second invoice: an on-chain part payment while its Lightning tab is open -> the on-chain view
        second_url = str(client.make_url(f"/i/{second.id}"))
        await page.goto(f"{second_url}?method=lightning")
        await page.wait_for_selector("button.copy[data-copy='f-bolt11']:not([hidden])")
        await asyncio.sleep(0.3)
        pay_fake(services, second, 5000)
        await page.wait_for_url(f"{second_url}?method=onchain", timeout=10_000)
        await page.wait_for_selector("#f-address")
        assert await page.query_selector("#method-tabs") is None  # the server's on-chain-only view
        assert "lightning=" not in await page.get_attribute("#open-wallet", "href")
        assert "Partial payment received" == await page.text_content("#status-title")
        await _shot(page, "partial-live", (1280, 800))
