"""Dialogs and widgets with qtbot (offscreen), on fakes or pure key validation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.errors import InvalidAmount
from app.services.wallets.wallets import WalletService
from app.ui.chart import Bar, SalesChart
from app.ui.errors import CrashReporter, show_error
from app.ui.main_window import MainWindow
from app.ui.qr import qr_image, qr_matrix
from app.ui.wallet_form import WalletKeyForm
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, wait_until
from tests.ui.fakes import fake_context, make_invoice

pytestmark = pytest.mark.gui

MAINNET_XPUB = ("xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hoo"
                "xujYzAu3fDVmz")


@pytest.fixture
def key_form(qtbot):
    form = WalletKeyForm(WalletService(None, "regtest", None))  # type: ignore[arg-type]  # validation needs no writer
    qtbot.addWidget(form)
    return form


@pytest.mark.parametrize(("text", "message"), [
    ("hello", "Not a wallet key."),
    (TEST_VPUB[:-3] + "abc", "checksum is wrong"),
    (MAINNET_XPUB, "This key is for mainnet, but RedWaves runs on regtest."),
])
def test_bad_key_shows_the_specific_message(key_form, text, message):
    key_form.keys.setPlainText(text)
    assert key_form.validate_now() is False
    assert message in key_form.errors.message("keys")
    assert key_form.preview.text() == ""


def test_good_key_previews_first_addresses_as_you_type(key_form, qtbot):
    with qtbot.waitSignal(key_form.validityChanged, timeout=2000) as blocker:
        key_form.keys.setPlainText(TEST_VPUB)  # debounced validation, no button
    assert blocker.args == [True]
    assert "fingerprint 09db44270b656db2" in key_form.feedback.text()
    assert key_form.addresses[0] == "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk"
    assert key_form.preview.text().count("bcrt1q") == 5


def test_show_error_is_non_blocking_and_names_the_message(qtbot):
    box = show_error(None, InvalidAmount("Amount must be greater than zero"))
    qtbot.addWidget(box)
    assert box.isVisible() and box.text() == "Amount must be greater than zero"
    box.close()


def test_crash_reporter_logs_and_records_task_failures(qloop, tmp_path):
    reporter = CrashReporter(tmp_path, dialogs=False)
    reporter.install(qloop)
    try:
        async def boom() -> None:
            raise RuntimeError("unexpected")

        task = qloop.create_task(boom())
        run(qloop, asyncio.wait([task]))
        del task
        import gc

        gc.collect()
        run(qloop, asyncio.sleep(0.01))
        reporter._loop_handler(qloop, {"message": "x", "exception": RuntimeError("unexpected")})
        assert any("RuntimeError: unexpected" in c for c in reporter.crashes)
    finally:
        reporter.uninstall()


def test_close_minimizes_to_tray_and_quit_is_explicit(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    window = MainWindow(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.tray_available = True
    window.show()
    quits: list[bool] = []
    window.quitRequested.connect(lambda: quits.append(True))
    window.close()
    assert not window.isVisible() and quits == []  # still serving from the tray
    window.actions_by_name["quit"].trigger()
    assert quits == [True]
    window.tray_available = False  # no tray: closing must quit, or the app would be unreachable
    window.show()
    window.close()
    assert quits == [True, True]


def test_shortcuts(qtbot, tmp_path):
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QKeySequence

    window = MainWindow(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    actions = window.actions_by_name
    assert actions["newInvoice"].shortcut() == QKeySequence("Ctrl+N")
    assert actions["search"].shortcut() == QKeySequence("Ctrl+F")
    assert actions["refresh"].shortcut() == QKeySequence("F5")
    window.set_actions_enabled(True)
    with qtbot.waitSignal(window.newInvoiceRequested, timeout=1000):
        actions["newInvoice"].trigger()


def test_geometry_persists(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    ini = str(tmp_path / "gui.ini")
    first = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.resize(700, 520)  # within the offscreen screen (800x600)
    first.save_geometry()
    second = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 520)


def test_qr_image_is_scannable_size():
    matrix = qr_matrix("bitcoin:bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk?amount=0.00025")
    image = qr_image("bitcoin:bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk?amount=0.00025", 300)
    assert image.width() == image.height() >= len(matrix) * 3
    assert image.pixelColor(0, 0).name() == "#ffffff"  # quiet zone


def test_chart_draws_bars(qtbot):
    from decimal import Decimal

    chart = SalesChart()
    qtbot.addWidget(chart)
    chart.resize(500, 220)
    chart.set_bars([Bar(f"03-{d:02d}", Decimal(d % 7), f"${d % 7}") for d in range(1, 31)], "Sales")
    assert chart.bar_at(chart.width() - 14).label == "03-30"
    assert not chart.grab().isNull()


def test_bridge_coalesces_a_burst(qloop, qtbot, tmp_path):
    from app.ui.tray import TrayNotifier

    ctx = fake_context(tmp_path)
    from app.ui.notifications import PaymentNotifier

    notifier = PaymentNotifier(ctx.bridge, ctx.tray, ctx.qsettings)
    assert isinstance(ctx.tray, TrayNotifier) and notifier.enabled
    ctx.bridge.start()
    batches: list[list[str]] = []
    ctx.bridge.invoicesChanged.connect(batches.append)

    class Ev:
        def __init__(self, n: int) -> None:
            self.type, self.invoice_id, self.store_id = "payment.received", make_invoice(n).id, "sto_a"
            self.payload = {"amount_sat": 1000}

    for n in range(100):
        ctx.services.events.publish(Ev(n))
    run(qloop, wait_until(lambda: batches and ctx.tray.notifications, timeout_s=3, what="flush"))
    assert len(batches) == 1 and len(batches[0]) == 100
    assert [n.title for n in ctx.tray.notifications] == ["Payments received"]
    assert "100 payments" in ctx.tray.notifications[0].message


def test_artifacts_dir_is_gitignored():
    gitignore = (Path(__file__).resolve().parents[2] / ".gitignore").read_text()
    assert "/tests/artifacts/" in gitignore


def test_status_roles_follow_palette(qtbot):
    from PySide6.QtGui import QColor, QPalette

    from app.core.statuses import InvoiceStatus
    from app.ui.theme import status_color

    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    light = QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#f0f0f0"))
    assert status_color(InvoiceStatus.PAID, dark) != status_color(InvoiceStatus.PAID, light)
    assert Qt.ItemDataRole.ForegroundRole  # roles exist in this Qt


def test_backup_dialog_checks_passphrase_then_writes_a_real_backup(qloop, qtbot, tmp_path):
    from app.config import load_settings
    from app.db.migrate import upgrade_to_head
    from app.secrets import SecretStore
    from app.services.admin.backup import BackupService, read_backup
    from app.ui.backup_dialog import BackupDialog

    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest"})
    upgrade_to_head(settings.db_path)
    service = BackupService(network="regtest", network_dir=settings.network_dir, db_path=settings.db_path,
                            electrum_dir=settings.electrum_dir, config_path=None, secrets=SecretStore("regtest"))
    ctx = fake_context(tmp_path)
    dialog = BackupDialog(ctx, service)  # the real BackupService is a BackupWriter
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(tmp_path / "shop.rwbackup"))
    dialog.passphrase.setText("short")
    dialog.repeat.setText("short")
    dialog.buttons.accepted.emit()
    assert "at least 8" in dialog.message.text()
    dialog.passphrase.setText("long enough phrase")
    dialog.repeat.setText("long enough phrase!")
    dialog.buttons.accepted.emit()
    assert "differ" in dialog.message.text()
    dialog.repeat.setText("long enough phrase")
    dialog.buttons.accepted.emit()
    run(qloop, wait_until(lambda: dialog.result_info is not None, what="backup written"))
    manifest, _files = read_backup(tmp_path / "shop.rwbackup", "long enough phrase")
    assert manifest["network"] == "regtest" and "Backup written" in dialog.message.text()
