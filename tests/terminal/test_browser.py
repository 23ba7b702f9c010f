"""The web till in Debian's chromium against the whole app (regtest + devnet): pairing with the code,
PIN login, a JS-off keypad sale with tip paid on the devnet, a JS grid sale with live status, the
receipt's Print button, the PWA's offline page; screenshots at 360x800 and 1280x800."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest

from app.core.lightning import unified_uri
from tests.checkout.conftest import ARTIFACTS, wait_status
from tests.checkout.test_browser import WATCH_CSP, Watch, wait_js
from tests.terminal.conftest import CASHIER_PIN, make_till

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 800), "tablet": (1280, 800)}
RECORD_PRINT = "window.__printed = 0; window.print = function () { window.__printed += 1; };"


async def _open(browser, size: str, watch: Watch, *, init: str = "", **kwargs):
    """A fresh browser context (no cookies: an unpaired device) at ``size``, watched for errors and CSP."""
    width, height = SIZES[size]
    context = await browser.new_context(viewport={"width": width, "height": height}, **kwargs)
    await context.add_init_script(WATCH_CSP + init)
    page = await context.new_page()
    watch.attach(page)
    return context, page


async def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"terminal-{name}.png"), full_page=True)


async def _pair_and_log_in(page, public: str, till, size: str, *, shots: bool = False) -> None:
    await page.goto(f"{public}/t/pair?code={till.code}")
    if shots:
        await _shot(page, f"pair-{size}")
    await page.click("#pair")
    await page.wait_for_url(f"{public}/t/?paired=1")
    if shots:
        await _shot(page, f"people-{size}")
    await page.click("text=Ana")
    await page.fill("#pin", CASHIER_PIN)
    if shots:
        await _shot(page, f"login-{size}")
    await page.click("#pin-form button[type=submit]:visible")
    await page.wait_for_url(f"{public}/t/sale")


async def _small_targets(page) -> list[str]:
    """Visible buttons, links styled as buttons and inputs smaller than 48 px in either direction."""
    return await page.evaluate("""() => Array.from(document.querySelectorAll(
        'button, a.button, a.navlink, a.tab, a.person-tile, input:not([type=hidden])')).filter(function (el) {
          var r = el.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && !el.classList.contains('sr-only') && (r.width < 47.5 || r.height < 47.5);
        }).map(function (el) { return el.outerHTML.slice(0, 80); })""")


async def test_javascript_off_keypad_sale_with_tip_paid_on_the_devnet(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    till = await make_till(services)
    watch = Watch()
    context, page = await _open(browser, "phone", watch, java_script_enabled=False)
    await _pair_and_log_in(page, public, till, "phone", shots=True)
    for key in ("1", "2", "5", "0"):
        await page.click(f"#keypad button[value='{key}']")
    assert (await page.text_content("#entry-display")).strip() == "$12.50"
    await page.click("#add-amount")
    await page.click("button[name=set_tip][value='15']")
    assert await page.text_content("#tip-total") == "$1.88" and await page.text_content("#total") == "$14.38"
    assert await _small_targets(page) == []
    await _shot(page, "sale-nojs-phone")
    await page.click("#charge")
    await page.wait_for_url(re.compile(r".*/t/charge/[A-Za-z0-9_-]+$"))
    invoice_id = page.url.rsplit("/", 1)[1]
    invoice = await services.invoices.get(invoice_id)
    assert invoice.tip is not None and str(invoice.tip) == "1.88" and invoice.terminal_id == till.terminal.id
    assert await page.get_attribute("#qr-link", "href") == unified_uri(invoice, datetime.now(UTC), till.shop.store.name)
    assert "Tip" in await page.text_content("#charge-rows") and "$14.38" in await page.text_content("#charge-fiat")
    await _shot(page, "charge-nojs-phone")
    await services.devnet.pay(invoice.address, invoice.amount_due_sat)
    await page.wait_for_url(f"{public}/t/paid/{invoice_id}", timeout=20_000)  # the page refreshed itself
    assert "Payment seen — waiting for 1 confirmation" in await page.text_content("#paid-headline")
    await _shot(page, "paid-waiting-nojs-phone")
    await services.devnet.mine(1)
    await wait_status(services, invoice_id, "complete", timeout_s=30)
    for _ in range(60):  # the paid page refreshes itself every 10 s
        if "Paid — thank you!" in (await page.text_content("#paid-headline") or ""):
            break
        await asyncio.sleep(0.5)
    assert "Paid — thank you!" in await page.text_content("#paid-headline")
    await _shot(page, "paid-nojs-phone")
    await page.click("#receipt")
    assert await page.is_hidden("#print")  # the Print button needs JavaScript: hidden without it
    assert "Tip" in await page.text_content("#receipt")
    await _shot(page, "receipt-nojs-phone")
    await watch.check(page)
    await context.close()


async def test_grid_sale_with_javascript_live_status_and_print(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    till = await make_till(services)
    watch = Watch()
    context, page = await _open(browser, "tablet", watch, init=RECORD_PRINT)
    await _pair_and_log_in(page, public, till, "tablet", shots=True)
    await page.wait_for_selector("#category-tabs:not([hidden])")  # JS ran
    await page.evaluate("window.__samePage = true")
    await page.click("#category-tabs >> text=Bakery")
    assert await page.is_hidden("text=Flat white") and await page.is_visible("text=Croissant")
    await page.click("button.tile:has-text('Croissant')")
    await wait_js(page, "document.querySelectorAll('#lines .line').length === 1")
    await page.click("button[name=inc][value='0']")
    await wait_js(page, "document.querySelector('#lines .qty-n').textContent === '2'")
    await page.click("#category-tabs >> text=Coffee")
    await page.click("button.tile:has-text('Espresso')")
    await wait_js(page, "document.querySelectorAll('#lines .line').length === 2")
    await page.click("button[name=set_tip][value='20']")
    await wait_js(page, "document.getElementById('total') && document.getElementById('total').textContent === '$10.20'")
    assert await page.is_hidden("text=Croissant")  # the chosen category survives the panel swap
    assert await page.evaluate("window.__samePage === true")  # no page load: the panel was swapped
    assert await _small_targets(page) == []
    await _shot(page, "sale-tablet")
    await page.click("#charge")
    await page.wait_for_url(re.compile(r".*/t/charge/[A-Za-z0-9_-]+$"))
    invoice_id = page.url.rsplit("/", 1)[1]
    invoice = await services.invoices.get(invoice_id)
    assert [(i["name"], i["qty"]) for i in invoice.items] == [("Croissant", 2), ("Espresso", 1)]
    await _shot(page, "charge-tablet")
    await asyncio.sleep(0.3)  # the websocket is connected
    await services.devnet.pay(invoice.address, invoice.amount_due_sat)
    await page.wait_for_url(f"{public}/t/paid/{invoice_id}", timeout=10_000)  # live, well before a refresh
    await _shot(page, "paid-waiting-tablet")
    await services.devnet.mine(1)
    await page.wait_for_selector("#paid-headline:has-text('Paid — thank you!')", timeout=30_000)  # reloaded live
    await _shot(page, "paid-tablet")
    await page.click("#receipt")
    await page.click("#print")
    assert await page.evaluate("window.__printed") == 1
    await _shot(page, "receipt-tablet")
    await page.click("a.navlink:has-text('Today')")
    assert invoice_id in await page.inner_html("#today")
    await _shot(page, "today-tablet")
    await watch.check(page)
    await context.close()


async def test_screens_at_both_sizes_and_the_offline_page(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    till = await make_till(services)
    for size in SIZES:
        terminal, pairing = await services.terminals.add(f"Till {size}", till.shop.store.id, [till.cashier.id])
        till.code = pairing.code
        watch = Watch()
        context, page = await _open(browser, size, watch)
        await _pair_and_log_in(page, public, till, size, shots=size == "phone")
        await page.wait_for_selector("#category-tabs:not([hidden])")
        await page.click("#keypad button[value='7']")
        await wait_js(page, "document.getElementById('entry-display').textContent.trim() === '$0.07'")
        await page.click("button.tile:has-text('Flat white')")
        await wait_js(page, "document.querySelectorAll('#lines .line').length === 1")
        assert await _small_targets(page) == []
        await _shot(page, f"sale-{size}")
        await page.click("#charge")
        await page.wait_for_url(re.compile(r".*/t/charge/[A-Za-z0-9_-]+$"))
        await _shot(page, f"charge-{size}")
        await page.goto(f"{public}/t/today")
        await _shot(page, f"today-{size}")
        await page.goto(f"{public}/t/sale")
        registered = await page.evaluate("""() => navigator.serviceWorker.ready.then(function (r) {
            return r.active ? r.active.scriptURL : ''; })""")
        assert registered == f"{public}/t/sw.js"
        await asyncio.sleep(0.5)  # the worker cached the offline page on install
        await context.set_offline(True)
        await page.goto(f"{public}/t/sale")
        assert "This till is offline. Payments cannot be taken until it reconnects." in await page.text_content("main")
        await _shot(page, f"offline-{size}")
        await context.set_offline(False)
        await watch.check(page)  # before the refusal: a 401 page is a console error by design
        await services.terminals.revoke(terminal.id)
        await page.goto(f"{public}/t/sale")
        assert "This device is not paired (or was revoked)" in await page.text_content("main")
        await _shot(page, f"revoked-{size}")
        await context.close()
