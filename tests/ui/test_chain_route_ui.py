"""Which server learns the shop's addresses: the wizard page and Settings → Chain server.

Fakes (tests/ui/fakes.py ``FakeChainRoute``) for what the Settings page shows and sends; the wizard on
real services (SQLite) with the connection test against a real devnet and the choice saved to
config.toml at Finish; then the real window on the real runtime (embedded devnet): the page says the
devnet is the server and the dashboard's chain line starts with the route."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QTabWidget

from app.core.chain_route import ChainRoute
from app.core.errors import UserFacingError
from app.net.electrum_probe import ProbeResult
from app.ui.settings_chain import ChainServerPage
from app.ui.wizard import FirstRunWizard
from tests.conftest import TEST_VPUB
from tests.ui.conftest import click, run, settings_page, shots, wait_until
from tests.ui.fakes import FakeChainRoute, fake_context
from tests.ui.scenario import settle

pytestmark = pytest.mark.gui

OWN = "electrum.example:50002:s"


def shown(page, field: str) -> str:
    label = page.findChild(QLabel, f"{field}Error")
    assert label is not None and label.property("role") == "error"
    return label.text() if label.isVisibleTo(label.window()) else ""


def _show(qtbot, page) -> QTabWidget:
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(page, "Chain server")
    tabs.resize(980, 620)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


def test_settings_page_shows_the_three_choices_and_applies_one(qloop, qtbot, tmp_path: Path) -> None:
    ctx = fake_context(tmp_path)
    control = FakeChainRoute()
    page = ChainServerPage(control, ctx.run)
    tabs = _show(qtbot, page)
    form = page.form
    assert page.now.text() == "Now: Public servers over Tor (the default: nothing chosen yet)."
    assert form.radios[ChainRoute.TOR].isChecked()  # the default when tor is there
    assert [r.text() for r in form.radios.values()] == ["Your own Electrum server", "Public servers over Tor",
                                                        "Public servers directly"]
    assert "see every address of your shop and your IP address" in form.notes[ChainRoute.DIRECT].text()
    assert "RedWaves starts tor" in form.notes[ChainRoute.TOR].text()
    assert not form.server.isEnabled() and not form.test_button.isEnabled()

    form.radios[ChainRoute.OWN].setChecked(True)
    assert form.server.isEnabled() and not form.test_button.isEnabled()  # nothing to test yet
    form.server.setText(OWN)
    assert form.test_button.isEnabled()
    control.probe_result = ProbeResult(server=OWN, software="ElectrumX 1.16.0", protocol="1.4", tip_height=850123,
                                       genesis_hash="0" * 64, tls_fingerprint_sha256="AB:CD", via_socks=False)
    click(page, "testElectrum")
    run(qloop, wait_until(lambda: form.test_result.isVisibleTo(page), what="test result"))
    assert form.test_result.text() == "Works: ElectrumX 1.16.0 · tip 850,123 · certificate SHA-256 AB:CD"
    assert control.tested == [("own", OWN)]

    control.fail_next = UserFacingError("This server serves testnet, not mainnet.", code="wrong_network",
                                        field="electrum_server")
    click(page, "testElectrum")
    run(qloop, wait_until(lambda: shown(page, "electrum_server"), what="test error"))
    assert shown(page, "electrum_server") == "This server serves testnet, not mainnet."
    assert form.test_button.text() == "Test connection" and form.test_button.isEnabled()

    click(page, "chainRouteApply")
    run(qloop, wait_until(lambda: page.result.text(), what="applied"))
    assert control.applied == [("own", OWN)]
    assert page.result.text() == "Switched and saved."
    assert page.now.text() == "Now: Own server electrum.example:50002."
    assert not shown(page, "electrum_server")
    tabs.resize(800, 480)
    shots(tabs, "settings-chain-server")


def test_settings_page_errors_beside_the_field_and_locks(qloop, qtbot, tmp_path: Path) -> None:
    ctx = fake_context(tmp_path)
    control = FakeChainRoute()
    control.state = replace(control.state, route=ChainRoute.DIRECT, tor_available=False,
                            locked={"electrum_server": "REDWAVES_ELECTRUM_SERVER"})
    page = ChainServerPage(control, ctx.run)
    tabs = _show(qtbot, page)
    form = page.form
    assert form.radios[ChainRoute.DIRECT].isChecked()
    assert not form.radios[ChainRoute.TOR].isEnabled()
    assert "Needs the tor program, which is not installed" in form.notes[ChainRoute.TOR].text()
    assert form.lock.text() == ("Set by REDWAVES_ELECTRUM_SERVER (electrum_server), which overrides config.toml: "
                                "change it there.")
    form.radios[ChainRoute.OWN].setChecked(True)
    assert not form.server.isEnabled()  # locked by the environment
    control.fail_next = UserFacingError("Enter your Electrum server as host:port:s or host:port:t.",
                                        field="electrum_server")
    click(page, "chainRouteApply")
    run(qloop, wait_until(lambda: shown(page, "electrum_server"), what="apply error"))
    assert page.result.text() == "" and page.apply_button.isEnabled()
    assert tabs.currentWidget() is page


def test_pending_restart_is_said_plainly(qloop, qtbot, tmp_path: Path) -> None:
    control = FakeChainRoute()
    control.state = replace(control.state, route=ChainRoute.DIRECT, pending_restart=True)
    page = ChainServerPage(control, fake_context(tmp_path).run)
    tabs = _show(qtbot, page)
    assert tabs.currentWidget() is page and page.now.text().endswith("Your saved choice applies the next time RedWaves starts.")


def test_wizard_page_tests_the_server_and_finish_saves_the_choice(shop, qtbot, artifacts) -> None:
    from app.devnet import Devnet

    devnet = Devnet(premine_blocks=3)
    run(shop.loop, devnet.start())
    try:
        wizard = FirstRunWizard(shop.ctx, [])
        qtbot.addWidget(wizard)
        wizard.resize(800, 480)
        wizard.show()
        wizard.next()
        wizard.wallet_page.form.keys.setPlainText(TEST_VPUB)
        assert wizard.wallet_page.form.validate_now()
        wizard.next()
        wizard.store_page.rate.setText("65000")
        wizard.next()
        wizard.next()
        page = wizard.chain_page
        assert wizard.currentPage() is page
        assert page.title() == "Which server learns your shop's addresses?"
        form = page.form
        form.radios[ChainRoute.OWN].setChecked(True)
        form.server.setText("127.0.0.1:50002")  # no protocol letter
        wizard.next()
        assert wizard.currentPage() is page
        assert shown(page, "electrum_server").startswith("Write the server as host:port:s (TLS) or host:port:t")
        server = f"127.0.0.1:{devnet.port}:t"
        form.server.setText(server)
        click(page, "testElectrum")
        run(shop.loop, wait_until(lambda: form.test_result.isVisibleTo(page), timeout_s=15, what="test result"))
        assert form.test_result.text() == f"Works: RedWaves devnet 0.1 · tip {devnet.tip_height:,}"
        run(shop.loop, settle())
        shots(wizard, "wizard-chain-server", settle=lambda: run(shop.loop, settle()))
        wizard.resize(800, 480)
        wizard.next()
        wizard.next()  # the owner page (optional)
        assert wizard.currentPage() is wizard.summary_page
        assert wizard.summary_page.rows["Chain server"].text() == f"Your own Electrum server ({server})"
        wizard.accept()
        run(shop.loop, wait_until(lambda: not wizard.isVisible(), what="wizard closed"))
    finally:
        run(shop.loop, devnet.stop())
    saved = tomllib.loads(shop.services.settings.config_file.read_text())
    assert saved["electrum_route"] == "own" and saved["electrum_server"] == server
    state = shop.services.chain_route.current()
    assert state.route is ChainRoute.OWN and state.server == server


@pytest.mark.slow
def test_real_runtime_devnet_page_and_dashboard_route(gui, qloop) -> None:
    window = gui.window
    page = settings_page(window, "Chain server", ChainServerPage)
    run(qloop, wait_until(lambda: gui.runtime.services.chain.state().connected, timeout_s=30, what="connected"))
    assert page.devnet.isVisibleTo(window) and not page.form.isVisibleTo(window)
    assert not page.apply_button.isEnabled()
    port = gui.runtime.devnet.port
    assert page.now.text() == f"Now: Own server (embedded devnet) 127.0.0.1:{port}."
    shots(window, "settings-chain-server-devnet")
    window.show_view("Dashboard")
    sync = window.views["Dashboard"].sync
    run(qloop, wait_until(lambda: "synced" in sync.detail.text(), timeout_s=30, what="dashboard synced"))
    assert sync.detail.text().startswith(f"Own server (embedded devnet) 127.0.0.1:{port} · synced · tip ")
    shots(window, "dashboard-chain-route")
    health = run(qloop, gui.runtime.services.health())
    assert health["chain"]["route"] == "own" and health["chain"]["via_tor"] is False


def test_dashboard_chain_line_starts_with_the_route() -> None:
    from app.chain.models import ChainState
    from app.core.chain_route import RouteInputs, resolve
    from app.ui.health_status import chain_detail

    synced = ChainState(connected=True, server="electrum.example:50002:s", tip_height=850123, synced=True,
                        pending_requests=0, error=None)
    own = resolve(RouteInputs(network="mainnet", route="own", server=OWN))
    assert chain_detail(own, synced) == "Own server electrum.example:50002 · synced · tip 850,123"
    tor = resolve(RouteInputs(network="mainnet", route="tor"))
    assert chain_detail(tor, replace(synced, synced=False)) == (
        "Public servers over Tor · syncing · tip 850,123 · electrum.example:50002:s")
    direct = resolve(RouteInputs(network="mainnet", route="direct"))
    offline = replace(synced, connected=False, synced=False, server=None, error="connection refused")
    assert chain_detail(direct, offline) == ("Public servers directly (they see your addresses) · offline · "
                                             "tip 850,123 · choosing a server · connection refused")
