"""Settings → Printer against the real printer service (SQLite in tmp_path): the fields of the chosen
kind only, errors beside their field with nothing saved, Save stores it, Print test page reaches a real
TCP printer on 127.0.0.1 (or a PDF for the system printer); and the same page in the real window on
the real runtime (devnet).

Screenshots: tests/artifacts/ui/settings-printer-*-800x480.png and -1280x800.png (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from app.config import load_settings
from app.core.printers import PrinterKind
from app.db.engine import Database
from app.services.container import build_services
from app.ui.bridge import EventBridge
from app.ui.context import UiContext
from app.ui.icons import app_icon
from app.ui.settings_printer import PrinterPage
from app.ui.tasks import TaskOwner
from app.ui.tray import TrayNotifier
from tests.printing.conftest import GS_CUT, GS_QR, tcp_printer  # noqa: F401 - fixture
from tests.ui.conftest import run, wait_until

pytestmark = pytest.mark.gui
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"


@pytest.fixture
def shop(qloop, tmp_path: Path) -> Iterator[Any]:
    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest"})
    db = Database(settings.db_path)
    run(qloop, db.start())
    services = build_services(settings, db, None)
    tasks = TaskOwner("settings-printer")
    ctx = UiContext(services=services, settings=settings, tasks=tasks, bridge=EventBridge(services.events),
                    tray=TrayNotifier(app_icon()),
                    qsettings=QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    try:
        yield ctx
    finally:
        run(qloop, tasks.stop())
        run(qloop, db.stop())


def _shots(widget: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for w, h in ((800, 480), (1280, 800)):
        widget.resize(w, h)
        assert widget.grab().save(str(ARTIFACTS / f"{name}-{w}x{h}.png"))


def _page(ctx: Any, tmp_path: Path) -> PrinterPage:
    page = PrinterPage(ctx.services.printer, ctx.run, tmp_path / "receipts", use_system_printer=False)
    page.show()
    return page


def _visible(page: PrinterPage) -> set[str]:
    return {field for field, row in page.rows.items() if page.form.isRowVisible(row)}


def test_fields_follow_the_kind_and_errors_stay_beside_them(shop, qloop, qtbot, tmp_path, tcp_printer) -> None:  # noqa: F811
    page = _page(shop, tmp_path)
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("none"))  # the saved choice (the default) replaces it
    page.reload()
    run(qloop, wait_until(lambda: page.current_kind == PrinterKind.SYSTEM, what="loaded"))
    assert _visible(page) == {"kind", "columns"} and page.test_button.isVisible()
    _shots(page, "settings-printer-system")
    page.kind.setCurrentIndex(page.kind.findData("usb"))
    assert _visible(page) == {"kind", "usb_vendor", "usb_product", "columns"}
    page.kind.setCurrentIndex(page.kind.findData("none"))
    assert _visible(page) == {"kind"} and not page.auto_print.isVisible() and not page.test_button.isVisible()

    page.kind.setCurrentIndex(page.kind.findData("network"))
    assert _visible(page) == {"kind", "host", "port", "columns"}
    page.host.setText("printer at the till")
    page.save_button.click()
    run(qloop, wait_until(lambda: page.errors.message("host"), what="host error"))
    assert "IP address or host name" in page.errors.message("host")
    assert run(qloop, shop.services.printer.config()).kind == PrinterKind.SYSTEM  # nothing saved
    _shots(page, "settings-printer-network-error")

    page.host.setText("127.0.0.1")
    page.port.setText(str(tcp_printer.port))
    page.paper.setCurrentIndex(page.paper.findData(32))
    page.auto_print.setChecked(True)
    page.test_button.click()  # the unsaved values, tried first
    job = run(qloop, tcp_printer.wait(1))
    run(qloop, wait_until(lambda: "Test page sent" in page.status.text(), what="test page"))
    assert b"RedWaves test page" in job and GS_QR in job and GS_CUT in job
    assert page.errors.message("host") == ""
    page.save_button.click()
    run(qloop, wait_until(lambda: page.status.text().startswith("Saved"), what="saved"))
    assert page.status.text() == (f"Saved: network printer 127.0.0.1:{tcp_printer.port}, 58 mm paper, "
                                  "prints each paid kiosk sale.")
    stored = run(qloop, shop.services.printer.config())
    assert (stored.kind, stored.host, stored.port, stored.columns, stored.auto_print) == \
        (PrinterKind.NETWORK, "127.0.0.1", tcp_printer.port, 32, True)
    _shots(page, "settings-printer-network-saved")

    again = _page(shop, tmp_path)  # a new page reads it back
    qtbot.addWidget(again)
    again.reload()
    run(qloop, wait_until(lambda: again.current_kind == PrinterKind.NETWORK, what="reloaded"))
    assert again.host.text() == "127.0.0.1" and again.paper.currentData() == 32 and again.auto_print.isChecked()


def test_unreachable_printer_and_system_test_page(shop, qloop, qtbot, tmp_path) -> None:
    page = _page(shop, tmp_path)
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("file"))
    page.device.setText(str(tmp_path / "no-such-dir" / "lp0"))
    page.test_button.click()
    run(qloop, wait_until(lambda: page.errors.message("device"), what="device error"))
    assert "No such file or directory" in page.errors.message("device") and page.test_button.isEnabled()
    _shots(page, "settings-printer-device-error")
    page.kind.setCurrentIndex(page.kind.findData("system"))
    page.test_button.click()
    pdf = tmp_path / "receipts" / "receipt-test-page.pdf"
    assert page.status.text() == f"Test page saved as {pdf}" and pdf.read_bytes().startswith(b"%PDF")


def test_printer_tab_in_the_real_window(gui, qloop, tcp_printer) -> None:  # noqa: F811
    settings = gui.window.views["Settings"]
    page = settings.pages["Printer"]
    assert isinstance(page, PrinterPage)
    gui.window.show_view("Settings")
    settings.tabs.setCurrentWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("none"))  # the saved choice (the default) replaces it
    page.reload()
    run(qloop, wait_until(lambda: page.current_kind == PrinterKind.SYSTEM, what="loaded"))
    page.kind.setCurrentIndex(page.kind.findData("network"))
    page.host.setText("127.0.0.1")
    page.port.setText(str(tcp_printer.port))
    page.save_button.click()
    run(qloop, wait_until(lambda: page.status.text().startswith("Saved"), what="saved"))
    page.test_button.click()
    job = run(qloop, tcp_printer.wait(1))
    assert b"RedWaves test page" in job and GS_CUT in job
    stored = run(qloop, gui.runtime.services.printer.config())
    assert stored.kind == PrinterKind.NETWORK and stored.port == tcp_printer.port
    _shots(gui.window, "settings-printer-window")
