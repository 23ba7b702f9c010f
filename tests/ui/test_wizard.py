"""The first-run wizard on real services (SQLite): each page checks its fields beside them before Next,
Finish writes wallet + rate + store in one transaction, a failed Finish leaves nothing and can be retried,
the privacy choices are applied after the store exists. One test drives the real runtime (``gui``)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QWizard

from app.core.chain_route import ChainRoute
from app.core.errors import UserFacingError
from app.ui.wizard import FirstRunWizard
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, wait_until
from tests.ui.scenario import settle

pytestmark = pytest.mark.gui


def error_label(page, field: str) -> QLabel:
    found = page.findChild(QLabel, f"{field}Error")
    assert found is not None, f"no error label for {field}"
    return found


def shown(label: QLabel) -> str:
    assert label.property("role") == "error"  # the error colour, never green
    return label.text() if label.isVisibleTo(label.window()) else ""


def below(label: QLabel, widget) -> bool:
    """The error label sits right under its input, in the same box."""
    return label.parentWidget() is widget.parentWidget() and label.geometry().top() >= widget.geometry().bottom()


def open_wizard(shop, qtbot, existing=()):
    wizard = FirstRunWizard(shop.ctx, list(existing))
    qtbot.addWidget(wizard)
    wizard.resize(800, 480)
    wizard.show()
    return wizard


def next_button(wizard):
    return wizard.button(QWizard.WizardButton.NextButton)


def through_chain(wizard) -> None:
    """Next from the chain server page (public servers directly unless tor made Tor the default)."""
    assert wizard.currentPage() is wizard.chain_page
    if not wizard.chain_page.form.complete():
        wizard.chain_page.form.radios[ChainRoute.DIRECT].setChecked(True)
    wizard.next()
    assert wizard.currentPage() is wizard.owner_page
    wizard.next()  # the owner page is optional (tests/ui/test_wizard_owner.py fills it)


def to_summary(wizard, *, rate: str = "65000") -> None:
    wizard.next()
    wizard.wallet_page.form.keys.setPlainText(TEST_VPUB)
    assert wizard.wallet_page.form.validate_now()
    wizard.next()
    wizard.store_page.name.setText("Corner Shop")
    wizard.store_page.rate.setText(rate)
    wizard.next()
    wizard.next()
    through_chain(wizard)
    assert wizard.currentPage() is wizard.summary_page


def test_each_page_checks_its_fields_beside_them_before_next(shop, qtbot, artifacts):
    wizard = open_wizard(shop, qtbot)
    wizard.next()
    page, form = wizard.wallet_page, wizard.wallet_page.form
    assert wizard.currentPage() is page
    assert not next_button(wizard).isEnabled()
    assert form.feedback.text() == "Paste your wallet's public key to continue."  # why Next is disabled
    form.keys.setPlainText(TEST_VPUB[:-3] + "abc")
    assert not form.validate_now()
    keys_error = error_label(page, "keys")
    assert "checksum" in shown(keys_error) and below(keys_error, form.keys)
    assert form.feedback.isHidden()  # no green line next to a red one
    wizard.next()
    assert wizard.currentPage() is page
    run(shop.loop, settle())
    for size in ("800x480", "1280x800"):
        w, h = map(int, size.split("x"))
        wizard.resize(w, h)
        run(shop.loop, settle())
        wizard.grab().save(str(artifacts / f"wizard-wallet-error-{size}.png"))

    form.keys.setPlainText(TEST_VPUB)
    assert form.validate_now() and next_button(wizard).isEnabled()
    assert shown(keys_error) == "" and form.feedback.property("role") == "ok"
    wizard.next()
    store = wizard.store_page
    assert wizard.currentPage() is store
    store.name.setText("")
    assert not next_button(wizard).isEnabled()
    assert shown(error_label(store, "name")) == "Give the store a name to continue."
    store.name.setText("Corner Shop")
    assert next_button(wizard).isEnabled() and shown(error_label(store, "name")) == ""
    store.rate.setText("sixty thousand")
    wizard.next()
    assert wizard.currentPage() is store
    rate_error = error_label(store, "rate")
    assert shown(rate_error) == "Enter how many USD one bitcoin is worth, like 65000 or 65000,50."
    assert below(rate_error, store.rate)
    for size in ("800x480", "1280x800"):
        w, h = map(int, size.split("x"))
        wizard.resize(w, h)
        run(shop.loop, settle())
        wizard.grab().save(str(artifacts / f"wizard-store-error-{size}.png"))
    store.rate.setText("65000,50")  # the comma is a decimal point
    wizard.next()
    assert wizard.currentPage() is wizard.privacy_page
    wizard.next()
    through_chain(wizard)
    summary = wizard.summary_page
    assert wizard.currentPage() is summary
    assert summary.rows["Exchange rate"].text() == "65000.5 USD per BTC"
    assert summary.rows["Store"].text() == "Corner Shop"
    assert "fingerprint 09db44270b656db2" in summary.rows["Wallet"].text()
    assert shop.counts() == (0, 0)  # nothing is written before Finish
    for size in ("800x480", "1280x800"):
        w, h = map(int, size.split("x"))
        wizard.resize(w, h)
        run(shop.loop, settle())
        wizard.grab().save(str(artifacts / f"wizard-summary-{size}.png"))
    wizard.back()
    wizard.back()
    for size in ("800x480", "1280x800"):
        w, h = map(int, size.split("x"))
        wizard.resize(w, h)
        run(shop.loop, settle())
        wizard.grab().save(str(artifacts / f"wizard-privacy-{size}.png"))


def test_a_failed_finish_writes_nothing_and_the_retry_succeeds(shop, qtbot):
    """The tester's path: the rate is refused at Finish. Before, the wallet was already stored and every
    retry said "This wallet was already added"; now nothing is written, the wizard goes back to the rate
    field with the message beside it, and after the fix Finish creates exactly one wallet and one store."""
    wizard = open_wizard(shop, qtbot)
    finished = []
    wizard.finishedSetup.connect(finished.append)
    to_summary(wizard, rate="1000000000000000")  # a number, so the page lets it through; the service refuses it
    wizard.accept()
    run(shop.loop, wait_until(lambda: not wizard.saving, what="finish failed"))
    assert wizard.currentPage() is wizard.store_page
    assert shown(error_label(wizard.store_page, "rate")).startswith("The rate must be a positive number of USD")
    assert shop.counts() == (0, 0) and wizard.store is None and wizard.isVisible()

    wizard.store_page.rate.setText("65000")
    wizard.next()
    wizard.next()
    through_chain(wizard)
    wizard.accept()
    run(shop.loop, wait_until(lambda: not wizard.isVisible(), what="wizard closed"))
    assert shop.counts() == (1, 1)
    (wallet,) = run(shop.loop, shop.services.wallets.list())
    (store,) = run(shop.loop, shop.services.stores.list())
    assert finished == [store] and store.wallet_ids == (wallet.id,) and store.name == "Corner Shop"
    assert run(shop.loop, shop.services.rates.quote("USD")).rate == Decimal("65000")
    assert wallet.id in shop.chain.watched
    assert shop.exposure.calls == []  # privacy unchanged: nothing switched


def test_a_key_refused_at_finish_is_shown_on_the_wallet_page(shop, qtbot):
    wizard = open_wizard(shop, qtbot)
    to_summary(wizard)
    wizard.wallet_page.form.keys.setPlainText("hello")  # changed behind the page's back (no re-validation)
    wizard.accept()
    run(shop.loop, wait_until(lambda: not wizard.saving, what="finish failed"))
    assert wizard.currentPage() is wizard.wallet_page
    assert shown(error_label(wizard.wallet_page, "keys")) == "✗ Not a wallet key."
    assert shop.counts() == (0, 0)


def test_privacy_choices_are_applied_after_the_store_and_a_failure_is_shown(shop, qtbot, artifacts):
    wizard = open_wizard(shop, qtbot)
    wizard.next()
    wizard.wallet_page.form.keys.setPlainText(TEST_VPUB)
    wizard.wallet_page.form.validate_now()
    wizard.next()
    wizard.next()
    privacy = wizard.privacy_page
    assert not privacy.lan.isChecked() and not privacy.tor.isChecked()  # as RedWaves runs now
    privacy.lan.setChecked(True)
    privacy.tor.setChecked(True)
    wizard.next()
    through_chain(wizard)
    assert wizard.summary_page.rows["LAN checkout"].text() == "on"
    shop.exposure.fail_next = UserFacingError("Port 8471 is already in use.", field="public_port")
    wizard.accept()
    run(shop.loop, wait_until(lambda: wizard.store is not None and not wizard.saving, what="store created"))
    assert shop.counts() == (1, 1)  # the store stays created
    assert [type(c).__name__ for c in shop.exposure.calls] == ["LanChange", "TorChange"]
    assert shop.exposure.state.tor_enabled and not shop.exposure.state.lan_enabled
    error = wizard.summary_page.error
    assert error.property("role") == "error" and error.isVisibleTo(wizard)
    assert error.text() == "LAN checkout could not be switched on: Port 8471 is already in use."
    assert "was created" in wizard.summary_page.note.text()
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "Close"
    assert wizard.button(QWizard.WizardButton.CancelButton).isHidden()
    run(shop.loop, settle())
    wizard.grab().save(str(artifacts / "wizard-privacy-failed-800x480.png"))
    wizard.accept()  # Close: no second store
    assert not wizard.isVisible() and shop.counts() == (1, 1)


def test_an_existing_wallet_is_reused(shop, qtbot):
    wallet = run(shop.loop, shop.services.wallets.add_wallet("Earlier", TEST_VPUB))
    wizard = open_wizard(shop, qtbot, [wallet])
    wizard.next()
    assert wizard.wallet_page.reuse() and next_button(wizard).isEnabled()
    wizard.next()
    wizard.next()
    wizard.next()
    through_chain(wizard)
    assert "already added" in wizard.summary_page.rows["Wallet"].text()
    wizard.accept()
    run(shop.loop, wait_until(lambda: not wizard.isVisible(), what="wizard closed"))
    assert shop.counts() == (1, 1)
    assert wizard.store is not None and wizard.store.wallet_ids == (wallet.id,)


@pytest.fixture
def gui_lan_in_config(qloop, tmp_path):
    """Like the ``gui`` fixture, but the LAN listener is switched on in config.toml (not on the command
    line, which would lock it), so the wizard may switch it."""
    from app.config import load_settings
    from app.runtime import Runtime
    from app.ui.controller import GuiController

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.toml").write_text('public_enabled = true\npublic_host = "127.0.0.1"\npublic_port = 0\n')
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest", "devnet": True, "private_port": 0})
    QApplication.instance().setQuitOnLastWindowClosed(False)
    controller = GuiController(settings, Runtime, crash_dialogs=False)
    controller.prepare()
    main = qloop.create_task(controller.run())
    try:
        run(qloop, wait_until(lambda: main.done() or controller.wizard is not None, timeout_s=60,
                              what="first-run wizard"), 70)
        assert not main.done(), f"GUI stopped during start: exit code {main.result()}"
        yield controller
    finally:
        controller.request_quit()
        qloop.run_until_complete(asyncio.wait_for(asyncio.shield(main), 20))
        assert not controller.reporter.crashes, controller.reporter.crashes[0]


@pytest.mark.slow
def test_wizard_on_the_real_runtime_retries_and_switches_lan_off(gui_lan_in_config, qloop):
    """Real Runtime + devnet: a refused rate at Finish, then success; LAN checkout off through the runtime."""
    gui = gui_lan_in_config
    wizard = gui.wizard
    services = gui.runtime.services
    assert services.public.status().enabled and wizard.privacy_page.lan.isEnabled()
    assert wizard.privacy_page.lan.isChecked()  # as it runs now
    to_summary(wizard, rate="1000000000000000")
    wizard.accept()
    run(qloop, wait_until(lambda: not wizard.saving, what="finish failed"))
    assert wizard.currentPage() is wizard.store_page
    assert run(qloop, services.wallets.list()) == [] and run(qloop, services.stores.list()) == []
    wizard.store_page.rate.setText("65000")
    wizard.next()
    wizard.privacy_page.lan.setChecked(False)
    wizard.next()
    through_chain(wizard)
    wizard.accept()
    run(qloop, wait_until(lambda: wizard.store is not None and not wizard.isVisible(), timeout_s=30,
                          what="wizard saved"))
    assert len(run(qloop, services.wallets.list())) == 1 and len(run(qloop, services.stores.list())) == 1
    assert not services.public.status().enabled  # switched off live, no restart
    assert "public_enabled = false" in (gui.settings.data_dir / "config.toml").read_text()
