"""The Stores view on real services: colour and logo URL checked beside their fields before anything is
written (the same rule as the API), the manual rate read with either decimal separator, archive with a
confirmation, "Show archived" and Restore."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from app.ui.stores_view import StoresView
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, shots, wait_until
from tests.ui.scenario import settle
from tests.ui.test_products_form import click_confirm

pytestmark = pytest.mark.gui


@pytest.fixture
def view(shop, qtbot):
    async def make():
        wallet = await shop.services.wallets.add_wallet("main", TEST_VPUB)
        await shop.services.rates.set_manual_rate("EUR", Decimal("60000"))
        for name in ("Café", "Market stall"):
            await shop.services.stores.create(name, default_currency="EUR", wallet_ids=[wallet.id],
                                              checkout={"anyone_can_create_invoice": True})

    shop.run(make())
    return shop.open_view(StoresView, qtbot, lambda view: view.form.name.text() == "Café", "store loaded")


def error_text(view, field: str) -> str:
    label = view.form.findChild(QLabel, f"{field}Error")
    assert label is not None and label.property("role") == "error"
    return label.text() if not label.isHidden() else ""


def stored(shop, view):
    return shop.run(shop.services.stores.get(view.stores[0].id))


def test_colour_and_logo_url_are_refused_beside_their_fields(shop, view, artifacts):
    form = view.form
    form.look_color.setText("banana")
    form.look_logo.setText("javascript:alert(1)")
    for w, h in ((1280, 800), (800, 480)):
        view.resize(w, h)
        run(shop.loop, settle())
        view.form_scroll.verticalScrollBar().setValue(0)
        view.save_button.click()
        run(shop.loop, settle())
        label = view.form.findChild(QLabel, "accent_colorError")
        assert not label.visibleRegion().isEmpty()  # scrolled into view, even at 800x480
        view.grab().save(str(artifacts / f"store-form-bad-colour-{w}x{h}.png"))
    assert error_text(view, "accent_color") == "Use a colour like #c62f3a (# and 3 or 6 hex digits)."
    assert view.status.text() == ""  # never "Saved"
    assert stored(shop, view).checkout == {"anyone_can_create_invoice": True}
    form.look_color.setText("#C62F3A")
    view.save_button.click()
    assert error_text(view, "accent_color") == ""
    assert error_text(view, "logo_url").startswith("The logo must be an http:// or https:// address")
    assert stored(shop, view).checkout == {"anyone_can_create_invoice": True}
    form.look_logo.setText("https://cafe.example/logo.png")
    form.rate.setText("61000,50")
    view.save_button.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Saved Café.", what="saved"))
    checkout = stored(shop, view).checkout
    assert checkout["accent_color"] == "#c62f3a" and checkout["logo_url"] == "https://cafe.example/logo.png"
    assert checkout["anyone_can_create_invoice"] is True  # options the form does not show are kept
    assert shop.run(shop.services.rates.quote("EUR")).rate == Decimal("61000.50")


def test_a_bad_rate_is_shown_beside_the_rate_and_nothing_is_saved(shop, view):
    view.form.name.setText("Renamed")
    view.form.rate.setText("lots")
    view.save_button.click()
    assert error_text(view, "rate").startswith("Enter how many EUR one bitcoin is worth")
    assert stored(shop, view).name == "Café"
    assert shop.run(shop.services.rates.quote("EUR")).rate == Decimal("60000")


def test_the_colour_picker_fills_the_field(view):
    view.form.pick_color.click()
    dialog = view.form.color_dialog
    assert dialog.isVisible()
    dialog.colorSelected.emit(QColor("#123456"))
    dialog.reject()
    assert view.form.look_color.text() == "#123456"
    assert "#123456" in view.form.swatch.styleSheet()


def test_archive_asks_first_then_show_archived_and_restore(shop, view):
    assert [s.name for s in view.stores] == ["Café", "Market stall"]
    view.archive_button.click()
    click_confirm("Cancel")
    run(shop.loop, settle())
    assert not stored(shop, view).archived
    view.archive_button.click()
    click_confirm("Archive")
    run(shop.loop, wait_until(lambda: [s.name for s in view.stores] == ["Market stall"], what="archived"))
    assert view.status.text() == "Archived Café."
    view.show_archived.setChecked(True)
    run(shop.loop, wait_until(lambda: len(view.stores) == 2, what="archived shown"))
    assert view.list.item(0).text() == "Café (archived)"
    view.list.setCurrentRow(0)
    assert view.archive_button.text() == "Restore" and not view.save_button.isEnabled()
    shots(view, "stores-archived", lambda: run(shop.loop, settle()))
    view.archive_button.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Restored Café.", what="restored"))
    assert [s.archived for s in shop.run(shop.services.stores.list(include_archived=True))] == [False, False]
