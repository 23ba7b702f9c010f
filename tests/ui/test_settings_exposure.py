"""Settings → Shop network, TLS and Tor: what the pages show and what their widgets apply.

Fakes (tests/ui/fakes.py ``FakeExposureControl``) for what each page shows and sends; then the real
window on the real runtime (embedded devnet, settings from config.toml so the window may change them):
LAN switched on through the page's widgets and served at once, and Debian's tor (DisableNetwork 1)
switched on and off from the Tor page with its live status, onion address and QR code."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTabWidget

from app.net.errors import PortInUse, TlsError
from app.net.exposure_state import ExposureState, LanChange, TlsChange, TorChange
from app.net.lan import free_port
from app.net.tor import TorState, TorStatus
from app.ui.settings_exposure import ShopNetworkPage, shown_text
from app.ui.settings_tls import TlsPage
from app.ui.settings_tor import TorPage
from tests.conftest import TEST_VPUB
from tests.exposure.conftest import settings_from_config, write_config
from tests.ui.conftest import _attached_or_failed, click, run, settings_page, shots, wait_until
from tests.ui.fakes import FakeExposureControl, fake_context

ONION = "a" * 56 + ".onion"
ONION_URL = re.compile(r"^http://[a-z2-7]{56}\.onion$")

pytestmark = [pytest.mark.gui, pytest.mark.filterwarnings("ignore:setDaemon:DeprecationWarning")]


def _tabs(qtbot, *pages: tuple[Any, str]) -> QTabWidget:
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    for page, caption in pages:
        tabs.addTab(page, caption)
    tabs.resize(980, 560)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


def test_shop_network_page_applies_its_fields_and_shows_errors_beside_them(qloop, qtbot, tmp_path: Path) -> None:
    ctx = fake_context(tmp_path)
    exposure = FakeExposureControl(ExposureState(public_host="0.0.0.0", public_port=8471,
                                                 locked={"public_host": "REDWAVES_PUBLIC_HOST"}))
    page = ShopNetworkPage(exposure, ctx.run)
    tabs = _tabs(qtbot, (page, "Shop network"))
    assert page.status.text() == "Off: only this computer can open the checkout."
    assert not page.enabled.isChecked() and page.port.value() == 8471 and page.host.text() == "0.0.0.0"
    assert not page.host.isEnabled() and page.locked_by("public_host") == "set by REDWAVES_PUBLIC_HOST"
    assert page.port.isEnabled() and page.locked_by("public_port") == ""
    shots(tabs, "settings-shop-network-off")

    exposure.fail_next = PortInUse("public listener cannot bind 0.0.0.0:8471: Address already in use.",
                                   field="public_port")
    page.enabled.setChecked(True)
    page.public_url.setText("https://shop.example")
    click(page, "lanApply")
    assert page.apply_button.text() == "Applying…" and not page.apply_button.isEnabled()
    run(qloop, wait_until(lambda: page.errors.message("public_port"), what="port error"))
    assert "Address already in use" in page.errors.message("public_port")
    assert page.apply_button.text() == "Apply" and page.apply_button.isEnabled() and page.result.text() == ""
    shots(tabs, "settings-shop-network-port-in-use")

    page.port.setValue(8472)
    click(page, "lanApply")
    run(qloop, wait_until(lambda: page.result.text(), what="applied"))
    assert exposure.calls[-1] == LanChange(True, "0.0.0.0", 8472, "https://shop.example")
    assert page.errors.message("public_port") == ""
    assert page.status.text() == "Shoppers open https://shop.example"
    assert page.result.text().startswith("Serving at https://shop.example (on this network: http://0.0.0.0:8472)")


def test_tls_page_sends_own_certificate_paths_and_shows_the_fingerprint(qloop, qtbot, tmp_path: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    from app.net.tls import ensure_self_signed

    cert = ensure_self_signed(tmp_path / "tls", hosts=["localhost", "127.0.0.1"])
    ctx = fake_context(tmp_path)
    exposure = FakeExposureControl(ExposureState(lan_enabled=True, serving_url="https://127.0.0.1:8471",
                                                 tls_enabled=True, certificate=cert))
    page = TlsPage(exposure, ctx.run)
    tabs = _tabs(qtbot, (page, "TLS"))
    assert page.https.text() == "on" and shown_text(page.listener) == "https://127.0.0.1:8471"
    assert shown_text(page.fingerprint) == cert.fingerprint_sha256 and len(cert.fingerprint_sha256) == 95
    assert shown_text(page.certificate) == f"{cert.cert_path} (self-signed)"
    click(page, "copyFingerprint")
    assert QGuiApplication.clipboard().text() == cert.fingerprint_sha256
    assert page.expires.text() == cert.not_after.strftime("%Y-%m-%d %H:%M UTC")
    assert page.self_signed.isChecked() and not page.cert_path.isEnabled()
    shots(tabs, "settings-tls-self-signed")

    page.own.setChecked(True)
    assert page.cert_path.isEnabled()
    page.cert_path.setText(str(cert.cert_path))
    exposure.fail_next = TlsError("Choose both the certificate and its private key.", field="public_tls_key")
    click(page, "tlsApply")
    run(qloop, wait_until(lambda: page.errors.message("public_tls_key"), what="key error"))
    assert exposure.calls[-1] == TlsChange(True, cert.cert_path, None)
    page.key_path.setText(str(cert.key_path))
    click(page, "tlsApply")
    run(qloop, wait_until(lambda: page.result.text(), what="applied"))
    assert exposure.calls[-1] == TlsChange(True, cert.cert_path, cert.key_path)
    assert page.result.text() == "Serving at https://127.0.0.1:8471. Saved."


def test_tor_page_follows_live_status_with_onion_copy_and_qr(qloop, qtbot, tmp_path: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    ctx = fake_context(tmp_path)
    exposure = FakeExposureControl()
    page = TorPage(exposure, ctx.run)
    tabs = _tabs(qtbot, (page, "Tor"))
    assert page.state.text() == "off" and page.onion.text() == "—" and page.qr.isHidden()
    assert not page.control.isEnabled()  # launch mode: no control port to type
    shots(tabs, "settings-tor-off")

    page.enabled.setChecked(True)
    click(page, "torApply")
    run(qloop, wait_until(lambda: page.result.text(), what="applied"))
    assert exposure.calls[-1] == TorChange(True, "launch", "127.0.0.1:9051")
    assert page.state.text() == "connecting to the Tor network" and page.onion.text() == "not published yet"

    exposure.publish(replace(exposure.state, tor=TorStatus(TorState.BOOTSTRAPPING, 45, onion_address=ONION)))
    assert page.bootstrap.text() == "45%" and shown_text(page.onion) == f"http://{ONION}"
    assert page.qr.text_value == f"http://{ONION}" and not page.qr.isHidden()
    click(page, "copyOnion")
    assert QGuiApplication.clipboard().text() == f"http://{ONION}"
    shots(tabs, "settings-tor-onion")

    exposure.publish(replace(exposure.state, tor=TorStatus(TorState.ERROR, 45, error_code="tor_died",
                                                         error_message="Tor stopped unexpectedly; restarting it.")))
    assert page.state.text() == "not working" and "(tor_died)" in page.error.text() and page.qr.isHidden()

    page.mode.setCurrentIndex(page.mode.findData("attach"))
    assert page.control.isEnabled()


def test_without_a_runtime_the_pages_say_so_and_cannot_apply(qtbot, tmp_path: Path) -> None:
    from app.services.ports import NoExposureControl

    ctx = fake_context(tmp_path)
    lan = ShopNetworkPage(NoExposureControl(), ctx.run)
    qtbot.addWidget(lan)
    assert lan.status.text() == "This RedWaves runs without the checkout server."
    assert not lan.apply_button.isEnabled() and not lan.enabled.isEnabled()


# ---- the real window on the real runtime -------------------------------------------------------------

@pytest.fixture
def shop_gui(qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Any]:
    """The ``gui`` fixture's controller, with the exposure settings in config.toml (not on the command line)."""
    from PySide6.QtWidgets import QApplication

    from app.runtime import Runtime
    from app.ui.controller import GuiController

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    data = tmp_path / "data"
    write_config(data, public_enabled=False, tor_disable_network=True)
    controller = GuiController(settings_from_config(data), Runtime, crash_dialogs=False)
    controller.prepare()
    main = qloop.create_task(controller.run())
    try:
        run(qloop, _attached_or_failed(controller, main), 60)
        wizard = run(qloop, wait_until(lambda: controller.wizard, what="first-run wizard"))
        wizard.reject()
        yield controller
    finally:
        controller.request_quit()
        qloop.run_until_complete(asyncio.wait_for(asyncio.shield(main), 20))
        assert not controller.reporter.crashes, controller.reporter.crashes[0]


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status


def test_lan_switched_on_from_the_window_serves_the_checkout(shop_gui, qloop) -> None:
    runtime = shop_gui.runtime
    settings = shop_gui.views["Settings"]
    page = settings_page(shop_gui.window, "Shop network", ShopNetworkPage)
    assert not page.enabled.isChecked() and page.status.text() == "Off: only this computer can open the checkout."

    port = free_port()
    page.enabled.setChecked(True)
    page.host.setText("127.0.0.1")
    page.port.setValue(port)
    page.apply_button.click()
    run(qloop, wait_until(lambda: page.result.text(), what="LAN applied"))
    public = f"http://127.0.0.1:{port}"
    assert page.result.text() == f"Serving at {public}. Saved."
    assert page.status.text() == f"Shoppers open {public}" and runtime.urls["public"] == public
    assert run(qloop, _status(f"{public}/health")) == 404  # the public listener serves shopper pages only
    services = shop_gui.services
    wallet = run(qloop, services.wallets.add_wallet("w", TEST_VPUB))
    store = run(qloop, services.stores.create("Shop", default_currency="BTC", wallet_ids=[wallet.id]))
    invoice = run(qloop, services.invoices.create(store.id, price="0.001"))
    assert run(qloop, _status(f"{public}/i/{invoice.id}")) == 200
    assert services.urls.invoice_url(invoice.id) == f"{public}/i/{invoice.id}"
    assert "public_enabled = true" in runtime.settings.config_file.read_text()
    shots(shop_gui.window, "settings-shop-network-on")

    tls = settings.pages["TLS"]
    assert isinstance(tls, TlsPage)
    tls.reload()
    tls.enabled.setChecked(True)
    tls.apply_button.click()
    run(qloop, wait_until(lambda: tls.result.text(), what="TLS applied"), 30)
    cert = runtime.certificate
    assert cert is not None and shown_text(tls.fingerprint) == cert.fingerprint_sha256
    assert shown_text(tls.listener) == f"https://127.0.0.1:{port}"
    settings.tabs.setCurrentWidget(tls)
    shots(shop_gui.window, "settings-tls-on")


@pytest.mark.skipif(shutil.which("tor") is None, reason="Debian's tor is not installed")
def test_tor_switched_on_and_off_from_the_window(shop_gui, qloop) -> None:
    runtime = shop_gui.runtime
    page = settings_page(shop_gui.window, "Tor", TorPage)
    assert page.state.text() == "off"

    page.enabled.setChecked(True)
    page.apply_button.click()
    assert page.apply_button.text() == "Applying…"
    run(qloop, wait_until(lambda: ONION_URL.match(shown_text(page.onion)), timeout_s=30, what="onion on the page"))
    tor = runtime.tor
    assert tor is not None and shown_text(page.onion) == runtime.urls["onion"] == tor.onion_url
    assert page.state.text() == "connecting to the Tor network"  # DisableNetwork: bootstrap stays low
    assert page.bootstrap.text() == f"{tor.status.bootstrap_percent}%" and page.error.text() == "none"
    assert page.qr.text_value == tor.onion_url and not page.qr.isHidden()
    run(qloop, wait_until(lambda: page.result.text(), what="tor applied"))
    shots(shop_gui.window, "settings-tor-running")

    page.enabled.setChecked(False)
    page.apply_button.click()
    run(qloop, wait_until(lambda: page.state.text() == "off", timeout_s=20, what="tor off on the page"))
    assert runtime.tor is None and "onion" not in runtime.urls and page.qr.isHidden()
    run(qloop, wait_until(lambda: page.result.text() == "Tor off. Saved.", what="tor off applied"))
    assert "tor_enabled = false" in runtime.settings.config_file.read_text()
    assert page.findChild(QPushButton, "copyOnion").isEnabled() is False
    assert Qt.TextInteractionFlag.TextSelectableByMouse in page.onion.textInteractionFlags()


def test_qasync_uses_pyside6_even_when_pyqt5_is_importable(tmp_path: Path) -> None:
    """Debian's electrum package brings PyQt5; qasync must still drive PySide6 (issue 16)."""
    import os
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", "import PyQt5.QtCore"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("PyQt5 is not importable here")
    env = {k: v for k, v in os.environ.items() if k != "QT_API"}
    code = "import PyQt5.QtCore, app.ui.main, qasync; print(qasync.QtModuleName)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "PySide6"
