"""Settings → Tor and TLS against the real runtime: Debian's tor (launch mode, DisableNetwork 1) and the
public listener with a self-signed certificate, both on ports chosen by the OS. The pages must show
what the runtime reports (the first round's Tor page read attributes TorStatus never had)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app.services.ports import NoPublicListener
from app.ui.bridge import EventBridge
from app.ui.context import UiContext
from app.ui.icons import app_icon
from app.ui.settings_exposure import TlsPage, TorPage
from app.ui.settings_view import SettingsView
from app.ui.tasks import TaskOwner
from app.ui.tray import TrayNotifier
from tests.ui.conftest import regtest_settings, run, screenshot, wait_until

ONION_URL = re.compile(r"^http://[a-z2-7]{56}\.onion$")

pytestmark = [
    pytest.mark.gui,
    # stem 1.8.2 calls Thread.setDaemon(), deprecated since Python 3.10
    pytest.mark.filterwarnings("ignore:setDaemon:DeprecationWarning"),
]


@pytest.mark.skipif(shutil.which("tor") is None, reason="Debian's tor is not installed")
def test_tor_and_tls_pages_show_the_running_runtime(qloop, qtbot, tmp_path: Path) -> None:
    from app.runtime import Runtime

    runtime = Runtime(regtest_settings(tmp_path / "data", public_tls=True, tor_enabled=True,
                                       tor_disable_network=True))
    runtime.start_chain_loop()
    tasks = TaskOwner("settings-test")
    try:
        run(qloop, runtime.start(), 60)
        services = runtime.services
        assert services is not None and services.tor is not None
        run(qloop, wait_until(lambda: services.tor is not None and services.tor.onion_up, timeout_s=20,
                              what="onion published"))
        ctx = UiContext(services=services, settings=runtime.settings, tasks=tasks,
                        bridge=EventBridge(services.events, services.chain), tray=TrayNotifier(app_icon()),
                        qsettings=QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
        view = SettingsView(ctx)  # the window's own wiring: TorPage(services.tor), TlsPage(services.public)
        qtbot.addWidget(view)
        view.resize(980, 560)
        view.reload()
        tor, tls = view.pages["Tor"], view.pages["TLS"]
        assert isinstance(tor, TorPage) and isinstance(tls, TlsPage)

        status = services.tor.status
        assert tor.state.text() in ("connecting to the Tor network", "running"), tor.state.text()
        assert tor.bootstrap.text() == f"{status.bootstrap_percent}%"
        assert tor.onion.text() == runtime.urls["onion"] and ONION_URL.match(tor.onion.text())
        assert tor.error.text() == "none"
        assert "tor_enabled = true" in tor.note.text()

        cert = runtime.certificate
        assert cert is not None
        assert tls.listener.text() == runtime.urls["public"] and tls.listener.text().startswith("https://127.0.0.1:")
        assert tls.https.text() == "on"
        assert tls.certificate.text() == f"{cert.cert_path} (self-signed)"
        assert tls.fingerprint.text() == cert.fingerprint_sha256 and len(cert.fingerprint_sha256) == 95
        assert tls.expires.text() == cert.not_after.strftime("%Y-%m-%d %H:%M UTC")
        assert tls.problem.text() == "none"

        view.tabs.setCurrentWidget(tor)
        screenshot(view, "settings-tor-running")
        view.tabs.setCurrentWidget(tls)
        screenshot(view, "settings-tls-on")

        run(qloop, services.tor.stop(), 20)  # the page follows TorService.subscribe, no reload needed
        assert tor.state.text() == "stopped" and tor.onion.text() == "not published yet"
    finally:
        run(qloop, tasks.stop(1.0), 5)
        run(qloop, runtime.stop(), 30)


def test_tor_off_and_no_public_listener_say_how_to_turn_them_on(qtbot) -> None:
    from PySide6.QtWidgets import QTabWidget

    tor, tls = TorPage(None), TlsPage(NoPublicListener())
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(tor, "Tor")
    tabs.addTab(tls, "TLS")
    tabs.resize(980, 420)
    tabs.show()
    qtbot.waitExposed(tabs)
    assert tor.state.text() == "Tor is off."
    assert "tor_enabled = true" in tor.note.text() and "restart RedWaves" in tor.note.text()
    assert tls.listener.text() == "off" and tls.https.text() == "off" and tls.fingerprint.text() == "—"
    assert "public_enabled = true" in tls.note.text() and "public_tls = true" in tls.note.text()
    screenshot(tabs, "settings-tor-off")
    tabs.setCurrentWidget(tls)
    qtbot.wait(20)
    screenshot(tabs, "settings-tls-off")


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
