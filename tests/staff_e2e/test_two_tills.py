"""Issue #21 end to end, on the whole app (regtest + devnet, the real listeners) with Debian's chromium:
the owner adds a manager, two cashiers and two terminals; each device pairs from the pairing QR (drawn
by the window's own QR function, decoded with zxing-cpp); cashier A sells on a JS-off phone through the
keypad while cashier B sells on a tablet through the product grid, both with a tip, at the same time;
both pay on the devnet; Today per role; the receipt on a raw-TCP ESC/POS printer and by e-mail
(aiosmtpd); refusals (a cashier approving a refund: page, JSON, service), the PIN lockout; revoking the
phone; and the audit log (service and REST) with every action, which SQLite refuses to change.

What tests/terminal already proves route by route (cookies, limits, each refusal's wording) is not
repeated here: this is the story across the services, the window's QR, two browsers and the API."""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
import time
from dataclasses import dataclass, field
from decimal import Decimal

import aiohttp
import pytest
import zxingcpp

from app.core.staff import NotAllowed
from tests.checkout.conftest import ARTIFACTS, make_shop, wait_status
from tests.checkout.test_browser import WATCH_CSP, Watch, wait_js
from tests.printing.conftest import GS_CUT

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 800), "tablet": (1280, 800)}
PINS = {"Olivia": "135790", "Max": "86420", "Ana": "1234", "Bea": "5678"}
STORE = "Harbour Coffee"
NOT_PAIRED = "This device is not paired (or was revoked): ask the owner for a pairing code."
LOCKED = "Too many wrong PINs. This person is locked out: try again in 30 seconds."
REFUSED = "A cashier may not approve refunds or payouts."
WAIT_MS = 20_000


@dataclass
class Shop:
    services: object
    public: str
    store: object
    owner: object  # the owner's Actor
    people: dict[str, object] = field(default_factory=dict)
    terminals: dict[str, object] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Device:
    size: str
    context: object
    page: object
    watch: Watch


def decode_qr(text: str) -> str:
    """Draw ``text`` with the window's QR function (app/ui/qr.py, what PairingPanel shows) and read it back."""
    from PySide6.QtGui import QImage

    from app.ui.qr import qr_image

    image = qr_image(text, 240).convertToFormat(QImage.Format.Format_Grayscale8)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = bytes(image.constBits())
    pixels = b"".join(raw[y * stride:y * stride + w] for y in range(h))
    found = zxingcpp.read_barcode(memoryview(pixels).cast("B", (h, w)))
    assert found is not None, "no QR code in the pairing image"
    return str(found.text)


async def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"staff-e2e-{name}.png"), full_page=True)


async def _device(browser, size: str, **kwargs) -> Device:
    width, height = SIZES[size]
    context = await browser.new_context(viewport={"width": width, "height": height}, **kwargs)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    watch = Watch()
    watch.attach(page)
    return Device(size, context, page, watch)


async def _text(page, selector: str = "main") -> str:
    return re.sub(r"\s+", " ", await page.text_content(selector) or "")


async def _log_in(shop: Shop, device: Device, name: str, pin: str) -> None:
    page = device.page
    if not page.url.endswith("/t/") and "/t/?" not in page.url:
        await page.goto(f"{shop.public}/t/")
    await page.click(f"a.person-tile:has-text('{name}')")
    await page.fill("#pin", pin)
    await page.click("#pin-form button[type=submit]:visible")
    await page.wait_for_url(f"{shop.public}/t/sale", timeout=WAIT_MS)
    assert name in await _text(page, "header")


# -- 1. the owner sets the shop up; each device pairs from the QR ------------------------------------

async def set_up(runtime) -> Shop:
    services = runtime.services
    shop_data = await make_shop(services, store_name=STORE, product_specs=[
        {"name": "Espresso", "price": "2.50", "category": "Coffee"},
        {"name": "Flat white", "price": "3.40", "category": "Coffee"},
        {"name": "Croissant", "price": "3.00", "category": "Bakery"}])
    store = shop_data.store
    olivia = await services.staff.add("Olivia", "owner", PINS["Olivia"])  # the wizard's first owner (SYSTEM)
    owner = services.staff.actor_of(olivia)
    shop = Shop(services, runtime.urls["public"], store, owner)
    shop.people["Olivia"] = olivia
    for name, role in (("Max", "manager"), ("Ana", "cashier"), ("Bea", "cashier")):
        shop.people[name] = await services.staff.add(name, role, PINS[name], store_ids=[store.id], actor=owner)
    for name, who in (("Phone", ("Ana", "Max")), ("Tablet", ("Bea", "Max"))):
        terminal, code = await services.terminals.add(name, store.id, [shop.people[p].id for p in who], actor=owner)
        assert code.url is not None and code.url.startswith(f"{shop.public}/t/pair?code=")
        shop.terminals[name] = terminal
        shop.urls[name] = decode_qr(code.url)
        assert shop.urls[name] == code.url
    return shop


async def pair(shop: Shop, device: Device, url: str) -> None:
    page = device.page
    await page.goto(url)
    await page.click("#pair")
    await page.wait_for_url(f"{shop.public}/t/?paired=1", timeout=WAIT_MS)
    assert "This device is now a till" in await _text(page)
    await _shot(page, f"paired-{device.size}")


# -- 2. two sales at the same time ------------------------------------------------------------------

async def phone_sale(shop: Shop, device: Device) -> str:
    """Ana, JavaScript off: keypad 12.50 + 15 % tip = 14.38, paid on the devnet, the page refreshes itself."""
    page, services = device.page, shop.services
    await _log_in(shop, device, "Ana", PINS["Ana"])
    for key in "1250":
        await page.click(f"#keypad button[value='{key}']")
    await page.click("#add-amount")
    await page.click("button[name=set_tip][value='15']")
    assert await page.text_content("#tip-total") == "$1.88" and await page.text_content("#total") == "$14.38"
    await _shot(page, "sale-phone")
    await page.click("#charge")
    await page.wait_for_url(re.compile(r".*/t/charge/[A-Za-z0-9_-]+$"), timeout=WAIT_MS)
    invoice_id = page.url.rsplit("/", 1)[1]
    assert "Tip" in await _text(page, "#charge-rows") and "$14.38" in await _text(page, "#charge-fiat")
    await _shot(page, "charge-phone")
    invoice = await services.invoices.get(invoice_id)
    await services.devnet.pay(invoice.address, invoice.amount_due_sat)
    await page.wait_for_url(f"{shop.public}/t/paid/{invoice_id}", timeout=WAIT_MS)  # <meta refresh> every 3 s
    return invoice_id


async def tablet_sale(shop: Shop, device: Device) -> str:
    """Bea, JavaScript on: Croissant + Espresso from the grid + 20 % tip = 6.60, live status."""
    page, services = device.page, shop.services
    await _log_in(shop, device, "Bea", PINS["Bea"])
    await page.wait_for_selector("#category-tabs:not([hidden])", timeout=WAIT_MS)  # sale.js ran
    await page.click("button.tile:has-text('Croissant')")
    await wait_js(page, "document.querySelectorAll('#lines .line').length === 1")
    await page.click("button.tile:has-text('Espresso')")
    await wait_js(page, "document.querySelectorAll('#lines .line').length === 2")
    await page.click("button[name=set_tip][value='20']")
    await wait_js(page, "document.getElementById('total') && document.getElementById('total').textContent === '$6.60'")
    await _shot(page, "sale-tablet")
    await page.click("#charge")
    await page.wait_for_url(re.compile(r".*/t/charge/[A-Za-z0-9_-]+$"), timeout=WAIT_MS)
    invoice_id = page.url.rsplit("/", 1)[1]
    await _shot(page, "charge-tablet")
    await asyncio.sleep(0.3)  # the live status (websocket) is connected
    invoice = await services.invoices.get(invoice_id)
    await services.devnet.pay(invoice.address, invoice.amount_due_sat)
    await page.wait_for_url(f"{shop.public}/t/paid/{invoice_id}", timeout=WAIT_MS)
    return invoice_id


async def until_paid(page, timeout_s: float = 40.0) -> None:
    """"Paid — thank you!" (the JS page reloads live; the JS-off one refreshes itself every 10 s)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while "Paid — thank you!" not in (await page.text_content("#paid-headline") or ""):
        assert asyncio.get_running_loop().time() < deadline, await page.text_content("#paid-headline")
        await asyncio.sleep(0.5)


async def sell_at_the_same_time(shop: Shop, phone: Device, tablet: Device) -> tuple[str, str]:
    services = shop.services
    a_id, b_id = await asyncio.gather(phone_sale(shop, phone), tablet_sale(shop, tablet))
    a, b = await services.invoices.get(a_id), await services.invoices.get(b_id)
    ana, bea = shop.people["Ana"], shop.people["Bea"]
    assert (a.created_by, a.terminal_id, a.tip, a.price) == (
        ana.id, shop.terminals["Phone"].id, Decimal("1.88"), Decimal("14.38"))
    assert (b.created_by, b.terminal_id, b.tip, b.price) == (
        bea.id, shop.terminals["Tablet"].id, Decimal("1.10"), Decimal("6.60"))
    assert [(i["name"], i["qty"]) for i in b.items] == [("Croissant", 1), ("Espresso", 1)]
    await services.devnet.mine(1)
    await wait_status(services, a_id, "complete", timeout_s=30)
    await wait_status(services, b_id, "complete", timeout_s=30)
    await asyncio.gather(until_paid(phone.page), until_paid(tablet.page))
    await _shot(phone.page, "paid-phone")
    await _shot(tablet.page, "paid-tablet")
    return a_id, b_id


async def today_per_role(shop: Shop, phone: Device, tablet: Device, a_id: str, b_id: str) -> None:
    for device, mine, theirs in ((phone, a_id, b_id), (tablet, b_id, a_id)):
        await device.page.goto(f"{shop.public}/t/today")
        rows = await device.page.eval_on_selector_all("#today tr[data-invoice-id]",
                                                      "rows => rows.map(r => r.dataset.invoiceId)")
        assert rows == [mine], (device.size, rows)
        assert theirs not in await device.page.content()
        await _shot(device.page, f"today-{device.size}")
        other = await device.context.request.get(f"{shop.public}/t/receipt/{theirs}")  # the other till's sale
        assert other.status == 404 and "This invoice is not one of this till's." in html.unescape(await other.text())
    await tablet.page.click("#logout")
    await tablet.page.wait_for_url(f"{shop.public}/t/?out=1", timeout=WAIT_MS)
    await _log_in(shop, tablet, "Max", PINS["Max"])
    await tablet.page.goto(f"{shop.public}/t/today")
    rows = await tablet.page.eval_on_selector_all("#today tr[data-invoice-id]",
                                                  "rows => rows.map(r => r.dataset.invoiceId)")
    assert {a_id, b_id} <= set(rows), rows
    await _shot(tablet.page, "today-manager-tablet")


# -- 3. the receipt: the shop's printer and e-mail -------------------------------------------------

async def receipt(shop: Shop, phone: Device, a_id: str, printer, smtp_servers) -> None:
    services, page = shop.services, phone.page
    inbox, port = await smtp_servers.start()
    await services.email.configure(shop.store.id, {"host": "127.0.0.1", "port": port, "mode": "plain",
                                                   "from_address": "till@harbour.example"})
    await services.printer.configure({"kind": "network", "host": "127.0.0.1", "port": str(printer.port),
                                      "columns": 48})
    await page.goto(f"{shop.public}/t/receipt/{a_id}")
    await page.click("#print-shop")
    await page.wait_for_url(f"{shop.public}/t/receipt/{a_id}?printed=1", timeout=WAIT_MS)
    data = await printer.wait(1)
    assert STORE.encode() in data and b"14.38 USD" in data and b"Tip" in data and GS_CUT in data
    await page.fill("#email", "buyer@example.com")
    await page.click("#send-email")
    await page.wait_for_url(f"{shop.public}/t/receipt/{a_id}?emailed=1", timeout=WAIT_MS)
    await inbox.wait(1, timeout_s=20)
    [message] = inbox.to("buyer@example.com")
    body = message.get_body(("plain",)).get_content()
    assert a_id in body and "14.38" in body, body


# -- 4. refusals: a cashier approving a refund; the PIN lockout ------------------------------------

async def cashier_refused(shop: Shop, phone: Device, a_id: str) -> str:
    services, page = shop.services, phone.page
    await page.goto(f"{shop.public}/t/receipt/{a_id}")
    await page.click("#refund-form button[value=rate_then]")
    await page.wait_for_url(re.compile(r".*/t/refund/[A-Za-z0-9_-]+$"), timeout=WAIT_MS)
    refund_id = page.url.rsplit("/", 1)[1]
    assert "Waiting for approval" in await _text(page) and await page.locator("#approve").count() == 0
    approve = f"{shop.public}/t/refund/{refund_id}/approve"
    as_page = await phone.context.request.post(approve, form={"go": "1"}, headers={"Origin": shop.public})
    assert as_page.status == 403 and REFUSED in await as_page.text()
    as_json = await phone.context.request.post(approve, form={"go": "1"},
                                               headers={"Origin": shop.public, "Accept": "application/json"})
    assert as_json.status == 403
    assert (await as_json.json())["error"] == {"code": "not_allowed", "message": REFUSED}
    ana = services.staff.actor_of(shop.people["Ana"], terminal_id=shop.terminals["Phone"].id)
    with pytest.raises(NotAllowed):
        await services.invoices.mark(a_id, "refunded", actor=ana)
    with pytest.raises(NotAllowed):
        await services.refunds.approve(refund_id, actor=ana)
    assert (await services.refunds.get(refund_id)).status == "requested"
    return refund_id


async def pin_lockout(shop: Shop, tablet: Device) -> None:
    page = tablet.page
    await page.click("#logout")
    await page.wait_for_url(f"{shop.public}/t/?out=1", timeout=WAIT_MS)
    await page.click("a.person-tile:has-text('Bea')")
    for left in (4, 3, 2, 1, 0):
        await page.fill("#pin", "0000")
        await page.click("#pin-form button[type=submit]:visible")
        await page.wait_for_selector("#pin-error", timeout=WAIT_MS)
        said = await _text(page, "#pin-error")
        expected = LOCKED if left == 0 else f"Wrong PIN. {left} attempt{'' if left == 1 else 's'} left before a lockout."
        assert said == expected, said
    await _shot(page, "locked-tablet")
    await page.fill("#pin", PINS["Bea"])
    await page.click("#pin-form button[type=submit]:visible")
    await page.wait_for_selector("#pin-error", timeout=WAIT_MS)
    assert "locked out: try again in" in await _text(page, "#pin-error") and "/t/login/" in page.url
    assert (await shop.services.staff.get(shop.people["Bea"].id)).locked_until is not None


# -- 5. revoke the phone -----------------------------------------------------------------------------

async def revoke_phone(shop: Shop, phone: Device, tablet: Device, refund_id: str) -> None:
    kept = {c["name"]: c["value"] for c in await phone.context.cookies() if c["name"] in ("rw_device", "rw_session")}
    assert set(kept) == {"rw_device", "rw_session"}
    await shop.services.terminals.revoke(shop.terminals["Phone"].id, actor=shop.owner)
    response = await phone.page.goto(f"{shop.public}/t/sale")
    assert response is not None and response.status == 401 and NOT_PAIRED in await _text(phone.page)
    await _shot(phone.page, "revoked-phone")
    # a copy of the phone's cookies (a device that ignores the cleared cookies) is refused as well
    async with aiohttp.ClientSession(cookies=kept, timeout=aiohttp.ClientTimeout(total=10)) as http:
        for path in ("/t/sale", "/t/today", f"/t/refund/{refund_id}"):
            async with http.get(shop.public + path, headers={"Accept": "application/json"}) as refused:
                assert refused.status == 401 and (await refused.json())["error"]["code"] == "terminal_not_paired"
    # the tablet keeps working: the manager approves Ana's request there
    await tablet.page.goto(f"{shop.public}/t/")
    await _log_in(shop, tablet, "Max", PINS["Max"])
    response = await tablet.page.goto(f"{shop.public}/t/refund/{refund_id}")
    assert response is not None and response.status == 200
    await tablet.page.click("#approve")
    await tablet.page.wait_for_selector("#refund-qr", timeout=WAIT_MS)
    assert "Link ready: the customer scans it" in await _text(tablet.page)
    assert (await shop.services.refunds.get(refund_id)).status == "open"


# -- 6. the audit log ----------------------------------------------------------------------------------

async def audit(shop: Shop, runtime, a_id: str, b_id: str, refund_id: str) -> None:
    services = shop.services
    entries = await services.audit.list(limit=1000, actor=shop.owner)
    rows = {(e.action, e.person_name, e.terminal_name, e.target_id) for e in entries}
    people, terminals = shop.people, shop.terminals
    phone, tablet = terminals["Phone"], terminals["Tablet"]
    expected = {("staff.add", "Olivia", None, people[name].id) for name in ("Max", "Ana", "Bea")}
    expected |= {("terminal.add", "Olivia", None, t.id) for t in terminals.values()}
    expected |= {("terminal.pair", "RedWaves", "Phone", phone.id), ("terminal.pair", "RedWaves", "Tablet", tablet.id)}
    expected |= {("invoice.create", "Ana", "Phone", a_id), ("invoice.create", "Bea", "Tablet", b_id)}
    expected |= {("refund.request", "Ana", "Phone", refund_id), ("terminal.revoke", "Olivia", None, phone.id)}
    assert expected <= rows, sorted(expected - rows, key=str)
    logins = [(e.person_name, e.terminal_name) for e in entries if e.action == "login"]
    assert sorted(logins) == [("Ana", "Phone"), ("Bea", "Tablet"), ("Max", "Tablet"), ("Max", "Tablet")]
    # five wrong PINs (the fifth locks her out for 30 s), then the right one refused while locked: six failures
    failed = [(e.person_name, e.terminal_name, e.detail.get("locked_for_s")) for e in reversed(entries)
              if e.action == "login.failed"]
    assert failed == [("Bea", "Tablet", 0)] * 4 + [("Bea", "Tablet", 30)] * 2, failed
    # Ana's refused approval changed nothing and wrote nothing; Max's approval at the tablet is the only one
    approvals = [(e.person_name, e.role, e.terminal_name, e.target_id) for e in entries if e.action == "refund.approve"]
    assert approvals == [("Max", "manager", "Tablet", refund_id)]
    sales = {e.target_id: (e.role, e.store_id) for e in entries if e.action == "invoice.create"}
    assert sales == {a_id: ("cashier", shop.store.id), b_id: ("cashier", shop.store.id)}
    # the same rows over the REST API (a key of scope audit:read, the private listener)
    key = (await services.apikeys.create("auditor", ["audit:read"])).key.reveal()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(runtime.urls["private"] + "/api/v1/audit", params={"limit": "1000"},
                            headers={"Authorization": f"Bearer {key}"}) as response:
            assert response.status == 200, await response.text()
            items = (await response.json())["items"]
    assert [(i["seq"], i["action"], i["person_name"], i["terminal_name"]) for i in items] == [
        (e.seq, e.action, e.person_name, e.terminal_name) for e in entries]
    # append-only, even for someone holding the database file
    with sqlite3.connect(runtime.settings.db_path, timeout=5) as db:
        for statement in ("UPDATE audit_log SET person_name = 'Mallory'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement)
    assert len(await services.audit.list(limit=1000, actor=shop.owner)) == len(entries)


# -- the story -----------------------------------------------------------------------------------------

async def test_two_tills_one_shop(app_runtime, browser, tcp_printer, smtp):
    started = last = time.monotonic()
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal last
        now = time.monotonic()
        timings[step], last = round(now - last, 2), now

    shop = await set_up(app_runtime)
    phone = await _device(browser, "phone", java_script_enabled=False)
    tablet = await _device(browser, "tablet")
    try:
        await asyncio.gather(pair(shop, phone, shop.urls["Phone"]), pair(shop, tablet, shop.urls["Tablet"]))
        assert {t.state for t in await shop.services.terminals.list(actor=shop.owner)} == {"paired"}
        lap("set up + pair")
        a_id, b_id = await sell_at_the_same_time(shop, phone, tablet)
        lap("two sales")
        await today_per_role(shop, phone, tablet, a_id, b_id)
        lap("today")
        await receipt(shop, phone, a_id, tcp_printer, smtp)
        lap("receipt")
        for device in (phone, tablet):
            await device.watch.check(device.page)  # no console error, no CSP violation until the refusals
        refund_id = await cashier_refused(shop, phone, a_id)
        await pin_lockout(shop, tablet)
        lap("refusals")
        await revoke_phone(shop, phone, tablet, refund_id)
        lap("revoke")
        await audit(shop, app_runtime, a_id, b_id, refund_id)
        lap("audit")
    finally:
        await phone.context.close()
        await tablet.context.close()
    print("staff e2e timings (s):", timings, "total", round(time.monotonic() - started, 1))
