"""The refund page in real headless Chromium with JavaScript OFF: read it, claim it with a plain form,
see the error beside the field, then the result. Screenshots at 360x800 and 1280x800."""

from __future__ import annotations

import pytest

from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from tests.checkout.conftest import ARTIFACTS
from tests.checkout.refund_shop import MAINNET_ADDRESS, expire, refund_shop
from tests.services.refund_helpers import foreign_address, paid_invoice

pytestmark = pytest.mark.browser

SIZES = ((360, 800), (1280, 800))
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


async def _page(browser, width: int, height: int):
    context = await browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
    page = await context.new_page()
    problems: list[str] = []
    expected = "the server responded with a status of 422"  # the refused address, answered 422 on purpose
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            and expected not in m.text else None)
    return context, page, problems


async def _shot(page, name: str, width: int, height: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"refund-{name}-{width}x{height}.png"), full_page=True)


async def test_claim_with_javascript_off(browser, client, services):
    setup = await refund_shop(services)
    url = str(client.make_url(f"/refund/{setup.refund.id}"))
    width, height = SIZES[0]
    context, page, problems = await _page(browser, width, height)
    try:
        await page.goto(url)
        assert await page.locator("h2#status-title").inner_text() == "Refund ready to claim"
        assert "0.00040000" in await page.locator(".amount .btc").inner_text()
        await _shot(page, "open", width, height)

        await page.fill("#address", MAINNET_ADDRESS)
        await page.click("button[type=submit]")
        error = page.locator("#address-error")
        assert (await error.inner_text()).startswith("This address is for another Bitcoin network")
        assert await page.locator("#address").get_attribute("aria-invalid") == "true"
        assert await page.input_value("#address") == MAINNET_ADDRESS  # kept for correcting
        await _shot(page, "error", width, height)

        await page.fill("#address", setup.invoice.address)
        await page.click("button[type=submit]")
        assert "belongs to the shop" in await page.locator("#address-error").inner_text()

        address = foreign_address(9)
        await page.fill("#address", address)
        await page.click("button[type=submit]")
        assert page.url.endswith("?claimed=1")
        assert await page.locator("h2#status-title").inner_text() == "Refund claimed"
        assert await page.locator("#address").count() == 0
        await _shot(page, "claimed", width, height)
        assert not problems, problems
    finally:
        await context.close()
    stored = await services.refunds.get(setup.refund.id)
    assert stored.status is RefundStatus.CLAIMED and stored.destination == address


async def test_screenshots_of_each_state(browser, client, services):
    setup = await refund_shop(services, store_name="Bäckerei Müller & Söhne — Hauptstraße 12, Filiale Nord")
    other = await paid_invoice(services, setup.store, price="12.00")
    expired = await services.refunds.create(other.id, RefundRequest(RefundVariant.RATE_THEN))
    await expire(services, expired.id)
    for width, height in SIZES:
        context, page, problems = await _page(browser, width, height)
        try:
            await context.add_init_script(WATCH_CSP)
            await page.goto(str(client.make_url(f"/refund/{setup.refund.id}?lang=de")))
            box = await page.locator("button[type=submit]").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width  # nothing clipped
            await _shot(page, "open-de", width, height)
            await page.goto(str(client.make_url(f"/refund/{expired.id}")))
            assert await page.locator("h2#status-title").inner_text() == "Refund link expired"
            await _shot(page, "expired", width, height)
            assert not problems, problems
        finally:
            await context.close()
