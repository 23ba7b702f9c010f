"""The kiosk's charge screen with Lightning (fakes, offscreen): under the store's threshold the
Lightning QR comes first with "Pay on-chain instead", above it the unified BIP21 QR with "Pay with
Lightning instead"; an on-chain part payment leaves plain BIP21 and no button; a Lightning payment
ends on "Paid — thank you!" with "Paid over Lightning". Every screen fits 800x480 and 1280x800.

Screenshots: tests/artifacts/ui/kiosk-lightning-<state>-<w>x<h>.png (gitignored)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.core.lightning import lightning_payment, lightning_uri, paid_over_lightning, unified_uri
from app.core.payments import Payment
from app.core.statuses import InvoiceStatus, PaymentState
from app.ui.kiosk.charge_screen import SHOW_LIGHTNING, SHOW_ONCHAIN
from tests.kiosk.conftest import make_store, open_test_kiosk, run, settle, wait_until
from tests.kiosk.geometry import fits, ui_shot

pytestmark = pytest.mark.gui

SIZES = ((800, 480), (1280, 800))
PREIMAGE = "11" * 32
PAYMENT_HASH = hashlib.sha256(bytes.fromhex(PREIMAGE)).hexdigest()
BOLT11 = "lnbcrt200u1p" + "qpzry9x8gf2tvdw0s3jn54khce6mua7l" * 8  # a real one's length and alphabet


def _with_lightning(env, *, below_sat: int, bolt11: bool = True) -> None:
    """The store takes Lightning; every invoice the kiosk creates carries a BOLT11 (as InvoiceService does)."""
    store = make_store(checkout={"lightning": True, "lightning_qr_below_sat": below_sat})
    env.services.store = env.services.stores.store = store
    invoices = env.services.invoices
    create = invoices.create

    async def create_with_bolt11(store_id, **kw):
        inv = await create(store_id, **kw)
        if bolt11:
            inv = replace(inv, bolt11=BOLT11, payment_hash=PAYMENT_HASH)
            invoices.items[inv.id] = invoices.created = inv
        return inv

    invoices.create = create_with_bolt11


def _pay_on_chain(invoices, invoice_id: str, sat: int):
    inv = invoices.items[invoice_id]
    payment = Payment(txid="aa" * 32, vout=0, amount_sat=sat, first_seen_at=datetime.now(UTC), height=0,
                      confirmations=0, state=PaymentState.MEMPOOL, accounted=True, rbf=False, ever_confirmed=False)
    inv = replace(inv, payments=(*inv.payments, payment), amount_paid_sat=inv.amount_paid_sat + sat)
    invoices.items[invoice_id] = inv
    return inv


def _pay_lightning(invoices, invoice_id: str):
    inv = invoices.items[invoice_id]
    payment = lightning_payment(payment_hash=PAYMENT_HASH, preimage=PREIMAGE, amount_msat=inv.amount_due_sat * 1000,
                                settled_at=datetime.now(UTC))
    inv = replace(inv, payments=(payment,), amount_paid_sat=inv.amount_due_sat, status=InvoiceStatus.COMPLETE,
                  paid_at=datetime.now(UTC), completed_at=datetime.now(UTC))
    invoices.items[invoice_id] = inv
    return inv


async def _charge(env, size):
    await env.pos.pin.set_pin("2468")
    window = open_test_kiosk(env.ctx, "sto_k", size)
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    window.sale.keypad_tab.click()
    window.sale.keypad.type_text("250")
    window.sale.keypad.add_key.click()
    window.sale.cart_view.charge_button.click()
    await wait_until(lambda: window.current is window.charge, what="charge screen")
    await settle(0.3)
    return window


def _screen(window) -> dict:
    charge = window.charge
    return {"qr": charge.qr.payload, "button": charge.method_button.text() if charge.method_button.isVisible() else None,
            "title": charge.title.text()}


async def _small_amount(env, size) -> dict:
    _with_lightning(env, below_sat=50_000)  # the fakes' invoices are 20,000 sat
    window = await _charge(env, size)
    out: dict = {"problems": {}}
    invoice = out["invoice"] = window.charge.invoice
    out["lightning"] = _screen(window)
    ui_shot(window, "kiosk-lightning-first")
    out["problems"]["lightning"] = fits(window, size)
    window.charge.method_button.click()
    await settle()
    out["onchain"] = _screen(window)
    ui_shot(window, "kiosk-lightning-unified")
    out["problems"]["unified"] = fits(window, size)
    window.charge.method_button.click()
    await settle()
    out["back"] = _screen(window)
    _pay_on_chain(env.services.invoices, invoice.id, 5000)  # the engine withdraws the BOLT11 now
    window._refresh_invoice()
    await wait_until(lambda: "remaining" in window.charge.btc.text(), what="partial shown")
    await settle()
    out["partial"] = _screen(window)
    out["partial_invoice"] = window.charge.invoice
    ui_shot(window, "kiosk-lightning-partial")
    out["problems"]["partial"] = fits(window, size)
    return out


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_small_amount_shows_lightning_first_and_switches(kiosk_env, qloop, size):
    out = run(qloop, _small_amount(kiosk_env, size), 60)
    assert {k: v for k, v in out["problems"].items() if v} == {}
    invoice = out["invoice"]
    assert invoice.bolt11 == BOLT11 and invoice.amount_due_sat == 20_000
    assert out["lightning"] == {"qr": lightning_uri(BOLT11), "button": SHOW_ONCHAIN,
                                "title": "Lightning: scan to pay"}
    assert out["lightning"]["qr"] == "lightning:" + BOLT11.upper()
    unified = unified_uri(invoice, datetime.now(UTC), "Corner Café")
    assert unified.startswith(f"bitcoin:{invoice.address}?amount=0.00020000&label=Corner%20Caf")
    assert unified.endswith("&lightning=" + BOLT11.upper())
    assert out["onchain"] == {"qr": unified, "button": SHOW_LIGHTNING, "title": "Scan to pay"}
    assert out["back"] == out["lightning"]
    # an on-chain part payment: the BOLT11 is withdrawn; plain BIP21 for what remains, no switch
    partial = out["partial_invoice"]
    assert out["partial"] == {"qr": partial.payment_uri("Corner Café"), "button": None,
                              "title": "Partly paid: scan again for the rest"}
    assert "lightning" not in out["partial"]["qr"] and "amount=0.00015000" in out["partial"]["qr"]


async def _large_amount(env, size) -> dict:
    _with_lightning(env, below_sat=10_000)  # 20,000 sat is not under it: the unified QR first
    window = await _charge(env, size)
    out: dict = {"invoice": window.charge.invoice, "first": _screen(window)}
    window.charge.method_button.click()
    await settle()
    out["switched"] = _screen(window)
    out["problems"] = fits(window, size)
    ui_shot(window, "kiosk-lightning-switched")
    _pay_lightning(env.services.invoices, window.charge.invoice.id)
    window._refresh_invoice()
    await wait_until(lambda: window.current is window.paid and window.paid.complete, what="paid screen")
    await settle()
    out["paid"] = (window.paid.headline.text(), window.paid.note.text())
    out["paid_problems"] = fits(window, size)
    ui_shot(window, "kiosk-lightning-paid")
    return out


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_larger_amount_shows_unified_qr_first_and_lightning_payment_is_paid(kiosk_env, qloop, size):
    out = run(qloop, _large_amount(kiosk_env, size), 60)
    invoice = out["invoice"]
    assert out["first"] == {"qr": unified_uri(invoice, datetime.now(UTC), "Corner Café"), "button": SHOW_LIGHTNING,
                            "title": "Scan to pay"}
    assert "&lightning=" in out["first"]["qr"]
    assert out["switched"] == {"qr": lightning_uri(BOLT11), "button": SHOW_ONCHAIN,
                               "title": "Lightning: scan to pay"}
    assert out["problems"] == [] and out["paid_problems"] == []
    assert out["paid"] == ("Paid — thank you!", "Paid over Lightning")


async def _no_bolt11(env, size) -> dict:
    _with_lightning(env, below_sat=50_000, bolt11=False)  # opted in, but no BOLT11 (too little inbound)
    window = await _charge(env, size)
    return {"invoice": window.charge.invoice, "screen": _screen(window), "problems": fits(window, size)}


def test_no_bolt11_means_plain_qr_and_no_switch(kiosk_env, qloop):
    out = run(qloop, _no_bolt11(kiosk_env, (800, 480)), 60)
    assert out["screen"] == {"qr": out["invoice"].payment_uri("Corner Café"), "button": None, "title": "Scan to pay"}
    assert out["problems"] == []


def test_paid_over_lightning_rule():
    from tests.ui.fakes import make_invoice

    invoice = replace(make_invoice(1), bolt11=BOLT11, payment_hash=PAYMENT_HASH)
    assert not paid_over_lightning(invoice)
    payment = lightning_payment(payment_hash=PAYMENT_HASH, preimage=PREIMAGE, amount_msat=20_000_000,
                                settled_at=datetime.now(UTC))
    assert paid_over_lightning(replace(invoice, payments=(payment,)))
