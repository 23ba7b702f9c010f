"""The kiosk with people, on the real StaffService / InvoiceService / AuditLog (SQLite): a person starts
it with their PIN (wrong PIN: tries left), sells as themselves (invoices.created_by, audit), and leaving
takes the PIN of the seller or of a manager / the owner (another cashier is not offered). 800x480 fits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import InvoiceRow
from tests.kiosk.conftest import gone, open_test_kiosk, shot
from tests.kiosk.geometry import fits
from tests.ui.staff_shop import StaffShop, staff_shop_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui
SMALL = (800, 480)


@pytest.fixture(autouse=True)
def _keep_loop(qapp: Any) -> None:
    qapp.setQuitOnLastWindowClosed(False)  # as run_gui: closing the kiosk must not stop the loop


def names(window: Any) -> list[str]:
    return [p.name for p in window.people_screen.people]


def created_by(shop: StaffShop, invoice_id: str) -> tuple[str | None, str | None]:
    async def go() -> tuple[str | None, str | None]:
        async with shop.services.writer.read() as session:
            row = (await session.execute(select(InvoiceRow.created_by, InvoiceRow.terminal_id)
                                         .where(InvoiceRow.id == invoice_id))).one()
            return row[0], row[1]

    return shop.run(go())


def test_a_person_starts_sells_and_a_manager_lets_go(staff_shop: StaffShop, tmp_path: Path) -> None:
    shop = staff_shop
    shop.run(shop.services.rates.set_manual_rate("EUR", Decimal("50000")))
    ada = shop.add("Ada", "owner", "1111")
    ben = shop.add("Ben", "cashier", "2222")
    shop.add("Dora", "cashier", "4444")
    shop.add("Cleo", "cashier", "3333", stores=[shop.other.id])  # another store: not here
    window = open_test_kiosk(shop.ctx, shop.store.id, SMALL, pdf_dir=tmp_path / "receipts")
    try:
        shop.wait(lambda: window.current is window.people_screen, "who is selling")
        assert names(window) == ["Ada", "Ben", "Dora"]
        assert window.people_screen.title.text() == "Who is selling? Tap your name."
        shop.settle()
        assert fits(window, SMALL) == []
        shot(window, "staff-people-800x480")

        window.people_screen.pick("Ben")
        assert window.current is window.pin and window.pin.title.text() == "Ben: PIN to start selling"
        window.pin.enter("9999")
        shop.wait(lambda: window.pin.message.text().startswith("Wrong PIN"), "wrong PIN")
        assert window.pin.message.text() == "Wrong PIN. 4 tries left before a lockout."
        shop.settle()
        assert fits(window, SMALL) == []
        shot(window, "staff-pin-800x480")
        window.pin.enter("2222")
        shop.wait(lambda: window.current is getattr(window, "sale", None), "selling")
        assert window.actor is not None and window.actor.person_id == ben.id
        assert window.store_label.text() == "Corner Café · Ben"
        shop.settle()
        assert fits(window, SMALL) == []

        window.sale.keypad_tab.click()
        window.sale.keypad.type_text("1250")
        window.sale.keypad.add_key.click()
        window.sale.cart_view.charge_button.click()
        shop.wait(lambda: window.current is window.charge, "charge screen")
        invoice_id = window.following
        assert invoice_id is not None and created_by(shop, invoice_id) == (ben.id, None)
        window.charge.cancel_button.click()
        window.charge.confirm_yes.click()  # the cashier withdraws their own unpaid sale (actor Ben)
        shop.wait(lambda: window.current is window.sale, "cancelled")
        assert str(shop.run(shop.services.invoices.get(invoice_id)).status) == "invalid"

        window.request_unlock("exit")
        shop.wait(lambda: window.current is window.people_screen, "who lets go")
        assert names(window) == ["Ada", "Ben"]  # the seller and the owner; not Dora
        assert window.people_screen.title.text() == "Who lets the kiosk go? (the seller, a manager or the owner)"
        window.people_screen.pick("Ada")
        assert window.pin.title.text() == "Ada: PIN to leave the kiosk"
        window.pin.cancel_button.click()  # back to the people
        assert window.current is window.people_screen
        window.people_screen.pick("Ada")
        window.pin.enter("1111")
        shop.wait(lambda: gone(window), "kiosk closed")
        for _ in range(100):  # the leave is noted in its own transaction, as the window closes
            entries = shop.run(shop.services.audit.list())
            if any(e.action == "kiosk.leave" for e in entries):
                break
            shop.settle(0.05)
        seen = [(e.person_name, e.action) for e in entries]
        assert ("Ben", "kiosk.start") in seen and ("Ada", "kiosk.leave") in seen
        assert ("Ben", "invoice.create") in seen and ("Ben", "login.failed") in seen
        assert next(e for e in entries if e.action == "kiosk.leave").person_id == ada.id
    finally:
        if not gone(window):
            window.leave()


def test_back_at_the_start_leaves_without_a_pin(staff_shop: StaffShop, tmp_path: Path) -> None:
    shop = staff_shop
    shop.add("Ben", "cashier", "2222")
    window = open_test_kiosk(shop.ctx, shop.store.id, SMALL, pdf_dir=tmp_path / "receipts")
    shop.wait(lambda: window.current is window.people_screen, "who is selling")
    window.people_screen.back_button.click()
    shop.wait(lambda: gone(window), "back to RedWaves")


def test_a_cashiers_refund_waits_for_approval(staff_shop: StaffShop, tmp_path: Path) -> None:
    """Ben's PIN opens the refund screens; his refund is *requested* (a manager approves it) and the
    screen says so instead of promising a working link."""
    from app.chain.models import AddressesChanged
    from app.core.payments import ObservedOutput

    shop = staff_shop
    s = shop.services
    shop.run(s.rates.set_manual_rate("EUR", Decimal("50000")))
    ben_p = shop.add("Ben", "cashier", "2222")
    ben = s.staff.actor_of(ben_p)
    invoice = shop.run(s.invoices.create(shop.store.id, price="10.00", actor=ben))
    shop.run(s.engine.start())
    try:
        shop.chain.outputs[invoice.address] = [ObservedOutput("ab" * 32, 0, invoice.amount_due_sat, 0, True)]
        s.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))
        for _ in range(200):
            if shop.run(s.invoices.get(invoice.id)).amount_paid_sat:
                break
            shop.settle(0.02)
        shop.run(s.invoices.mark(invoice.id, "complete"))  # settled: refundable
        window = open_test_kiosk(shop.ctx, shop.store.id, SMALL, pdf_dir=tmp_path / "receipts")
        shop.wait(lambda: window.current is window.people_screen, "who is selling")
        window.people_screen.pick("Ben")
        window.pin.enter("2222")
        shop.wait(lambda: window.current is getattr(window, "sale", None), "selling")
        window.refund_button.click()
        shop.wait(lambda: window.current is window.people_screen, "who refunds")
        assert names(window) == ["Ben"]
        window.people_screen.pick("Ben")
        assert window.pin.title.text() == "Ben: PIN to refund a sale"
        window.pin.enter("2222")
        flow = window.refunds
        shop.wait(lambda: window.current is flow.find, "find the sale")
        paid = shop.run(s.invoices.get(invoice.id))
        assert paid.amount_paid_sat == invoice.amount_due_sat, paid.status
        flow._on_find_chosen(paid)  # as tapping its button (or scanning its id) does
        shop.wait(lambda: window.current is flow.amount and flow.amount.confirm.isEnabled(), "the calculation")
        flow.amount.confirm.click()
        shop.wait(lambda: window.current is flow.link, "the refund screen")
        assert str(flow.refund.status) == "requested" and flow.refund.created_by == "Ben"
        assert flow.link.hint.text().startswith("A manager or the owner approves this refund first")
        shop.settle()
        assert fits(window, SMALL) == []
        shot(window, "staff-refund-requested-800x480")
        window.leave()
    finally:
        shop.run(s.engine.stop())
