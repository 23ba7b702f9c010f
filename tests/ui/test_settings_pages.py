"""Settings → Network, Rates, Notifications and Email against the real services (SQLite in tmp_path, the
test keyring): what each page shows, what a save stores, and errors beside their field with nothing
written."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from app.services.delivery.email import password_name
from app.services.ports import StaticUrls
from app.ui.settings_view import EmailPage, NetworkPage, NotificationsPage, RatesPage
from tests.ui.conftest import click, run, shots, wait_until
from tests.ui.shop_services import ui_context

pytestmark = pytest.mark.gui


@pytest.fixture
def ctx(qloop, tmp_path: Path) -> Iterator[Any]:
    """Real services on a real SQLite file (no chain, no listeners) in a window context."""
    from app.services.container import Surroundings

    urls = StaticUrls({"private": "http://127.0.0.1:8470", "public": "http://192.168.1.20:8471"})
    with ui_context(qloop, tmp_path, None, surroundings=Surroundings(urls=urls)) as context:
        yield context


def _labels(page: Any) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [label.text() for label in page.findChildren(QLabel)]


def test_network_page_shows_the_start_up_settings_and_urls(ctx, qtbot) -> None:
    page = NetworkPage(ctx)
    qtbot.addWidget(page)
    page.reload()
    texts = _labels(page)
    assert "<b>regtest</b>" in texts
    assert page.route.text() == "no chain connection in this RedWaves"  # no chain here; the route when one runs
    data_dir = page.findChild(QLineEdit, "dataDirectory")  # a long path scrolls inside, never widens the page
    assert data_dir.text() == str(ctx.settings.network_dir) and data_dir.isReadOnly()
    assert page.chain.text() == "not available"  # no chain in this context
    assert "http://192.168.1.20:8471" in page.urls.text() and "private: " in page.urls.text()
    shots(page, "settings-network")


def test_rates_page_accepts_a_comma_and_stores_the_rate(ctx, qloop, qtbot) -> None:
    page = RatesPage(ctx)
    qtbot.addWidget(page)
    page.currency.setCurrentText("EUR")
    run(qloop, wait_until(lambda: page.current.text() == "not set", what="no EUR rate yet"))

    page.rate.setText("twelve")
    click(page, "setRate")
    assert "Enter the rate as a number" in page.errors.message("rate") and page.status.text() == ""
    page.rate.setText("0")  # a number, but the service refuses it: its message, beside the field
    click(page, "setRate")
    run(qloop, wait_until(lambda: page.errors.message("rate"), what="zero refused"))
    assert "positive" in page.errors.message("rate") and page.status.text() == ""

    page.rate.setText("61234,50")
    click(page, "setRate")
    run(qloop, wait_until(lambda: page.status.text(), what="saved"))
    assert page.status.text() == "Saved: 1 BTC = 61234.50 EUR." and page.errors.message("rate") == ""
    assert page.current.text() == "61234.50 EUR per BTC" and page.rate.text() == ""
    quote = run(qloop, ctx.services.rates.quote("EUR", source="manual"))
    assert quote.rate == Decimal("61234.50")
    again = RatesPage(ctx)  # what a new window shows: the stored rate
    qtbot.addWidget(again)
    again.currency.setCurrentText("EUR")
    run(qloop, wait_until(lambda: again.current.text() == "61234.50 EUR per BTC", what="stored rate shown"))
    shots(page, "settings-rates")


def test_notifications_page_stores_the_choice(ctx, qtbot) -> None:
    page = NotificationsPage(ctx)
    qtbot.addWidget(page)
    assert page.payments.isChecked() and page.tray.isChecked() == ctx.settings.gui_minimize_to_tray
    assert not page.tray.isEnabled()
    page.payments.setChecked(False)
    assert ctx.qsettings.value("notifications/payments") == "false"
    again = NotificationsPage(ctx)
    qtbot.addWidget(again)
    assert not again.payments.isChecked()
    shots(page, "settings-notifications")


def test_email_page_errors_beside_fields_saved_only_after_a_save(ctx, qloop, qtbot) -> None:
    services = ctx.services
    store = run(qloop, services.stores.create("Corner Shop"))
    page = EmailPage(ctx)
    qtbot.addWidget(page)
    page.reload()
    run(qloop, wait_until(lambda: page.store.currentData() == store.id, what="store loaded"))
    assert page.host.text() == "" and page.port.value() == 587 and page.password.text() == ""

    page.host.setText("smtp example.com")  # a space: refused beside the host field, nothing stored
    page.from_address.setText("shop@example.com")
    click(page, "saveEmail")
    run(qloop, wait_until(lambda: page.errors.message("host"), what="host error"))
    assert "host name" in page.errors.message("host") and page.status.text() != "Saved."
    assert run(qloop, services.email.config(store.id)).smtp is None

    page.host.setText("smtp.example.com")
    page.from_address.setText("not an address")
    click(page, "saveEmail")
    run(qloop, wait_until(lambda: page.errors.message("from_address"), what="from error"))
    assert page.errors.message("host") == "" and page.status.text() == ""

    page.from_address.setText("shop@example.com")
    page.username.setText("shop")
    page.password.setText("s3cret-pass")
    page.port.setValue(2525)
    page.receipt_on.setCurrentText("paid")
    page.merchant_to.setText("owner@example.com, books@example.com")
    click(page, "saveEmail")
    run(qloop, wait_until(lambda: page.status.text() == "Saved.", what="saved"))
    assert page.password.text() == ""  # never kept in the field after a save
    config = run(qloop, services.email.config(store.id))
    assert config.smtp is not None and (config.smtp.host, config.smtp.port, config.smtp.username) == (
        "smtp.example.com", 2525, "shop")
    assert str(config.receipt_on) == "paid" and config.merchant_to == ("owner@example.com", "books@example.com")
    assert services.secrets.get(password_name(store.id)).reveal() == "s3cret-pass"

    page.port.setValue(587)  # empty password field: the saved password stays
    click(page, "saveEmail")
    run(qloop, wait_until(lambda: page.status.text() == "Saved.", what="saved again"))
    assert services.secrets.get(password_name(store.id)).reveal() == "s3cret-pass"

    page.forget_password.setChecked(True)
    assert not page.password.isEnabled()
    click(page, "saveEmail")
    run(qloop, wait_until(lambda: page.status.text() == "Saved.", what="password removed"))
    assert services.secrets.get(password_name(store.id)) is None and not page.forget_password.isChecked()

    page.test_to.setText("nobody")  # a bad test recipient: beside the test field
    click(page, "testEmail")
    run(qloop, wait_until(lambda: page.errors.message("to"), what="to error"))
    assert "email address" in page.errors.message("to") and page.status.text() == ""

    fresh = EmailPage(ctx)  # what a new window shows: the stored settings
    qtbot.addWidget(fresh)
    fresh.reload()
    run(qloop, wait_until(lambda: fresh.host.text() == "smtp.example.com", what="stored settings shown"))
    assert fresh.port.value() == 587 and fresh.receipt_on.currentText() == "paid"
    assert fresh.merchant_to.text() == "owner@example.com, books@example.com" and fresh.password.text() == ""
    shots(page, "settings-email")
