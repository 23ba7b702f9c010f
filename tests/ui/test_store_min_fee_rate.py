"""The store form's "Minimum fee rate for 0-conf (sat/vB)" on real services: read with either decimal
separator, refused beside its field by the store's own rule, cleared when emptied."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from tests.ui.conftest import run, wait_until
from tests.ui.scenario import settle
from tests.ui.test_stores_form import error_text, stored, view  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui


def save(shop, view) -> None:  # noqa: F811
    view.status.setText("")
    view.save_button.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Saved Café.", what="saved"))


def test_the_minimum_fee_rate_is_saved_refused_and_cleared(shop, view, artifacts):  # noqa: F811
    field = view.form.min_fee_rate
    assert field.text() == "" and "0 confirmations" in field.toolTip()
    field.setText("0")
    for w, h in ((1280, 800), (800, 480)):
        view.resize(w, h)
        run(shop.loop, settle())
        view.save_button.click()
        label = view.form.findChild(QLabel, "min_fee_rate_sat_vbError")
        # the refusal comes back from the service, then the form scrolls to it: wait for both, not a fixed time
        run(shop.loop, wait_until(lambda error=label: not error.visibleRegion().isEmpty(), what="the error in view"))
        view.grab().save(str(artifacts / f"store-form-min-fee-rate-{w}x{h}.png"))
    assert error_text(view, "min_fee_rate_sat_vb").startswith("Minimum fee rate for 0-conf must be")
    assert "min_fee_rate_sat_vb" not in stored(shop, view).checkout
    field.setText("2,5")
    save(shop, view)
    assert error_text(view, "min_fee_rate_sat_vb") == ""
    assert stored(shop, view).checkout["min_fee_rate_sat_vb"] == "2.5"
    assert stored(shop, view).checkout["anyone_can_create_invoice"] is True  # other options kept
    view.form.load(stored(shop, view), [], ["manual"], None)
    assert field.text() == "2.5"
    field.setText("")
    save(shop, view)
    assert "min_fee_rate_sat_vb" not in stored(shop, view).checkout
