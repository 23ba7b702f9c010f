"""Real headless Chromium against the real listeners of the whole app (regtest + embedded devnet)."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from tests.checkout.conftest import ARTIFACTS, make_shop

pytestmark = pytest.mark.browser

WAIT_MS = 20_000
# Collects CSP violations in every frame; init scripts come from the automation protocol, not the page.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(2)>'


class Watch:
    """Any console error, page error, dialog or CSP violation is a failure."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type in (
            "error", "warning") else None)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        asyncio.ensure_future(dialog.dismiss())

    async def check(self, page) -> None:
        for frame in page.frames:
            try:
                violations = await frame.evaluate("window.__cspViolations || []")
            except Exception:  # frames without script (JS off) have nothing to report
                violations = []
            self.problems.extend(f"csp: {v}" for v in violations)
        assert not self.problems, self.problems


async def wait_js(target, expression: str, timeout_s: float = WAIT_MS / 1000) -> None:
    """Poll a JS expression (Playwright's wait_for_function evaluates strings, which our CSP forbids)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await target.evaluate(f"() => Boolean({expression})"):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        await asyncio.sleep(0.1)


async def _context(browser, width: int, **kwargs):
    context = await browser.new_context(viewport={"width": width, "height": 900 if width > 400 else 780}, **kwargs)
    await context.add_init_script(WATCH_CSP)
    return context


async def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"checkout-{name}.png"), full_page=True)


async def test_devnet_payment_flips_open_page_live(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    shop = await make_shop(services)
    watch = Watch()
    for width in (360, 1280):
        context = await _context(browser, width)
        page = await context.new_page()
        watch.attach(page)
        await page.goto(f"{public}/i/{shop.invoice.id}")
        await page.wait_for_selector("button.copy:not([hidden])")  # JS ran
        await _shot(page, f"pending-{width}")
        await context.close()
    context = await _context(browser, 1280)
    page = await context.new_page()
    watch.attach(page)
    await page.goto(f"{public}/i/{shop.invoice.id}")
    await wait_js(page, "document.querySelector('#countdown').textContent.includes(':')")
    await asyncio.sleep(0.3)  # websocket connected
    await services.devnet.pay(shop.invoice.address, shop.invoice.remaining_sat)
    await wait_js(page, "document.getElementById('status-title').textContent === 'Payment received'")
    assert await page.is_hidden("#pay")
    assert "Payment received" in await page.text_content("#status-live")  # announced
    await _shot(page, "paid-1280")
    await page.click("text=Mine a block")  # the devnet-only form; no JS needed
    await wait_js(page, "document.getElementById('status-title').textContent === 'Payment complete'")
    await page.goto(f"{public}/i/{shop.invoice.id}/receipt")
    assert "Confirmed" in await page.text_content("table.payments")
    await _shot(page, "receipt-1280")
    await watch.check(page)
    await context.close()


async def test_javascript_off_pays_with_forms_and_refresh(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    shop = await make_shop(services)
    watch = Watch()
    for width in (360, 1280):
        context = await _context(browser, width, java_script_enabled=False)
        page = await context.new_page()
        watch.attach(page)
        await page.goto(f"{public}/s/{shop.store.id}?lang=de")
        await _shot(page, f"store-de-{width}")
        await context.close()
    context = await _context(browser, 360, java_script_enabled=False)
    page = await context.new_page()
    watch.attach(page)
    await page.goto(f"{public}/s/{shop.store.id}")
    await page.fill(f"#qty-{shop.products[0].id}", "2")
    await page.click("text=Check out with bitcoin")
    await page.wait_for_url(f"{public}/i/*")
    assert await page.text_content("#status-title") == "Waiting for payment"
    assert await page.is_hidden("button.copy")  # copy buttons are a JS extra
    await _shot(page, "nojs-pending-360")
    await page.click("text=Pay with devnet")
    for _ in range(40):  # what the meta refresh does every 10 s, done sooner
        if await page.text_content("#status-title") == "Payment received":
            break
        await asyncio.sleep(0.25)
        await page.click("#check-again")
    assert await page.text_content("#status-title") == "Payment received"
    await _shot(page, "nojs-paid-360")
    await watch.check(page)
    await context.close()


async def _third_party_site(public: str) -> tuple[web.AppRunner, str]:
    page = f"""<!doctype html><html><head><title>Merchant blog</title></head><body>
<h1>A third-party shop page</h1><button id="buy">Buy</button>
<script src="{public}/modal/redwaves.js"></script>
<script>
window.events = [];
redwaves.onModalWillEnter(function () {{ window.events.push("enter"); }});
redwaves.onModalWillLeave(function () {{ window.events.push("leave"); }});
window.addEventListener("message", function (e) {{ window.events.push(e.data); }});
</script></body></html>"""

    async def index(request):
        return web.Response(text=page, content_type="text/html")

    async def no_icon(request):
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_icon)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/"


async def test_modal_on_third_party_page_reports_paid(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    shop = await make_shop(services)
    runner, url = await _third_party_site(public)
    try:
        watch = Watch()
        for width in (360, 1280):
            context = await _context(browser, width)
            page = await context.new_page()
            watch.attach(page)
            await page.goto(url)
            await page.evaluate("id => redwaves.showInvoice(id)", shop.invoice.id)
            await wait_js(page, "window.events.includes('enter')")
            frame = page.frame(name="redwaves")
            await frame.wait_for_selector("#close-modal:not([hidden])")
            await _shot(page, f"modal-{width}")
            if width == 1280:
                await services.devnet.pay(shop.invoice.address, shop.invoice.remaining_sat)
                invoice_js = json.dumps(shop.invoice.id)
                await wait_js(page, f"window.events.some(e => e && e.status === 'paid' && e.invoiceId === {invoice_js})")
                await frame.click("#close-modal")
                await wait_js(page, "window.events.includes('leave')")
                assert page.frame(name="redwaves") is None
            await watch.check(page)
            await context.close()
    finally:
        await runner.cleanup()


async def test_merchant_text_never_executes(app_runtime, browser):
    services, public = app_runtime.services, app_runtime.urls["public"]
    shop = await make_shop(services, store_name="Shop " + XSS, description="Invoice " + XSS,
                           product_specs=[{"name": "Item " + XSS, "price": "1.00", "description": "Desc " + XSS}],
                           items=[{"name": "Line " + XSS, "quantity": 1, "unit_price": "1.00"}])
    watch = Watch()
    context = await _context(browser, 1280)
    page = await context.new_page()
    watch.attach(page)
    for path in (f"/s/{shop.store.id}", f"/i/{shop.invoice.id}", f"/i/{shop.invoice.id}/receipt",
                 f"/i/{shop.invoice.id}?view=modal"):
        await page.goto(public + path)
        await asyncio.sleep(0.2)
        body = await page.text_content("body")
        assert '<script>alert("xss")</script>' in body  # shown as text
        assert await page.evaluate("document.querySelectorAll('main script, main svg, main img[src=x]').length") == 0
        await watch.check(page)
    await page.goto(f"{public}/s/{shop.store.id}")
    await _shot(page, "xss-store-1280")
    await context.close()
