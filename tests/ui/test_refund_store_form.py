"""Stores → Refunds on real services: the auto-approve limit and the refund link lifetime, refused beside
their field when wrong (nothing saved), stored in the store's ``checkout`` options when right."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from app.core.refunds import refund_settings
from tests.ui.conftest import run, shots, wait_until
from tests.ui.scenario import settle
from tests.ui.test_stores_form import stored, view  # noqa: F401 - the Stores view fixture on real services

pytestmark = pytest.mark.gui


def test_refund_settings_saved_or_refused_beside_the_field(shop, view):  # noqa: F811
    form = view.form
    assert form.auto_approve.text() == "" and form.link_days.value() == 30
    form.auto_approve.setText("lots")
    view.save_button.click()
    label = form.findChild(QLabel, "payouts_auto_approve_satError")
    assert label is not None
    run(shop.loop, wait_until(lambda: not label.isHidden(), what="the error beside the field"))  # the save's round trip
    assert "whole number of satoshis" in label.text()
    assert "payouts_auto_approve_sat" not in stored(shop, view).checkout
    def scrolled() -> None:
        run(shop.loop, settle())
        view.form_scroll.ensureWidgetVisible(label)
        run(shop.loop, settle(0.05))

    shots(view, "store-form-refunds-error", scrolled)
    form.auto_approve.setText("50000")
    form.link_days.setValue(14)
    view.save_button.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Saved Café.", what="saved"))
    settings = refund_settings(stored(shop, view))
    assert (settings.payouts_auto_approve_sat, settings.refund_link_days) == (50000, 14)
    assert stored(shop, view).checkout["anyone_can_create_invoice"] is True  # other options kept
