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

from app.core.printers import PrinterKind
from app.ui.settings_printer import PrinterPage
from tests.printing.conftest import GS_CUT, GS_QR, tcp_printer  # noqa: F401 - fixture
from tests.ui.conftest import run, shots, wait_until
from tests.ui.shop_services import ui_context

pytestmark = pytest.mark.gui


@pytest.fixture
def ctx(qloop, tmp_path: Path) -> Iterator[Any]:
    with ui_context(qloop, tmp_path) as context:
        yield context


def _page(ctx: Any, tmp_path: Path) -> PrinterPage:
    page = PrinterPage(ctx.services.printer, ctx.run, tmp_path / "receipts", use_system_printer=False)
    page.show()
    return page


def _visible(page: PrinterPage) -> set[str]:
    return {field for field, row in page.rows.items() if page.form.isRowVisible(row)}


def test_fields_follow_the_kind_and_errors_stay_beside_them(ctx, qloop, qtbot, tmp_path, tcp_printer) -> None:  # noqa: F811
    page = _page(ctx, tmp_path)
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("none"))  # the saved choice (the default) replaces it
    page.reload()
    run(qloop, wait_until(lambda: page.current_kind == PrinterKind.SYSTEM, what="loaded"))
    assert _visible(page) == {"kind", "columns"} and page.test_button.isVisible()
    shots(page, "settings-printer-system")
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
    assert run(qloop, ctx.services.printer.config()).kind == PrinterKind.SYSTEM  # nothing saved
    shots(page, "settings-printer-network-error")

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
    stored = run(qloop, ctx.services.printer.config())
    assert (stored.kind, stored.host, stored.port, stored.columns, stored.auto_print) == \
        (PrinterKind.NETWORK, "127.0.0.1", tcp_printer.port, 32, True)
    shots(page, "settings-printer-network-saved")

    again = _page(ctx, tmp_path)  # a new page reads it back
    qtbot.addWidget(again)
    again.reload()
    run(qloop, wait_until(lambda: again.current_kind == PrinterKind.NETWORK, what="reloaded"))
    assert again.host.text() == "127.0.0.1" and again.paper.currentData() == 32 and again.auto_print.isChecked()


def test_unreachable_printer_and_system_test_page(ctx, qloop, qtbot, tmp_path) -> None:
    page = _page(ctx, tmp_path)
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("file"))
    page.device.setText(str(tmp_path / "no-such-dir" / "lp0"))
    page.test_button.click()
    run(qloop, wait_until(lambda: page.errors.message("device"), what="device error"))
    assert "No such file or directory" in page.errors.message("device") and page.test_button.isEnabled()
    shots(page, "settings-printer-device-error")
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
    shots(gui.window, "settings-printer-window")
