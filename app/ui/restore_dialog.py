"""File > Restore from backup…: an encrypted backup restored into an empty data directory, then
"Restart into it".

As `redwaves restore` (app/backup_cli.py), a backup goes only into a data directory that holds no
RedWaves data: the dialog asks for an empty (or new) folder and `BackupService.restore` refuses a
directory with a database for the backup's network, this window's own (in use) included. The window
keeps serving from its own directory meanwhile; "Restart into it" quits and starts RedWaves on the
restored directory (`relaunch_command`, run by the controller once this instance has stopped).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError, ValidationError
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.field_errors import FieldErrors
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.services.admin.backup import RestoredBackup
    from app.ui.ports import BackupFiles

logger = logging.getLogger(__name__)


def relaunch_command(data_dir: Path, network: str, *, devnet: bool = False) -> list[str]:
    """The command line that opens RedWaves on a restored data directory."""
    argv = [sys.executable, "-m", "app", "--data-dir", str(data_dir), "--network", network]
    return argv + (["gui", "--devnet"] if devnet and network == "regtest" else [])


def spawn_detached(argv: Sequence[str]) -> None:
    """Start RedWaves as its own process, which outlives this one (this one is quitting: a failure is logged)."""
    try:
        subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        logger.exception("could not start RedWaves again: %s", " ".join(argv))


def _suggested_dir(current: Path) -> Path:
    return current.parent / f"{current.name}-restored-{datetime.now().strftime('%Y%m%d-%H%M')}"


def _is_empty_dir(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _created(text: str) -> str:
    try:
        return formatting.local_time(datetime.fromisoformat(text))
    except ValueError:
        return text or "an unknown date"


class RestoreDialog(QDialog):
    restartRequested = Signal(object)  # noqa: N815  # the RestoredBackup to open

    def __init__(self, ctx: UiContext[object], backups: BackupFiles, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setWindowTitle("Restore from a backup")
        self._ctx = ctx
        self._backups = backups
        self.result_info: RestoredBackup | None = None
        self.errors = FieldErrors()
        self.file_edit = named(QLineEdit(), "restoreFile")
        self.passphrase = named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "restorePassphrase")
        self.dir_edit = named(QLineEdit(str(_suggested_dir(ctx.settings.data_dir))), "restoreDataDir")
        intro = QLabel(f"A backup is restored only into an empty data directory, as “redwaves restore” does: "
                       f"nothing is overwritten. This window keeps serving from {ctx.settings.data_dir} until "
                       "you restart RedWaves into the restored directory.", wordWrap=True)
        form = QFormLayout()
        form.addRow("Backup file", self._with_button(self.errors.row("file", self.file_edit), self._on_file_clicked))
        form.addRow("Passphrase", self.errors.row("passphrase", self.passphrase))
        form.addRow("Restore into", self._with_button(self.errors.row("data_dir", self.dir_edit),
                                                      self._on_dir_clicked))
        self.progress = named(QProgressBar(textVisible=False), "restoreProgress")
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.message = named(QLabel(wordWrap=True), "restoreMessage")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = named(self.buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole),
                                    "restoreButton")
        self.restart_button = named(QPushButton("Restart into it"), "restartInto")
        self.restart_button.hide()
        self.restart_button.clicked.connect(self._on_restart_button_clicked)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.restart_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout.addLayout(row)
        self.resize(620, 300)

    @staticmethod
    def _with_button(field: QWidget, on_click: Callable[[], None]) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        browse = QPushButton("Choose…")
        browse.clicked.connect(on_click)
        row.addWidget(browse)
        return box

    def _on_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Backup file", self.file_edit.text() or str(Path.home()),
                                              "RedWaves backups (*.rwbackup);;All files (*)")
        if path:
            self.file_edit.setText(path)

    def _on_dir_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "An empty folder for the restored data", str(Path.home()))
        if path:
            self.dir_edit.setText(path)

    def check(self) -> tuple[Path, str, Path]:
        """The file, passphrase and target directory, or a ValidationError naming the field."""
        file_text, passphrase, dir_text = self.file_edit.text().strip(), self.passphrase.text(), self.dir_edit.text()
        if not file_text:
            raise ValidationError("Choose the backup file (.rwbackup).", field="file")
        path = Path(file_text).expanduser()
        if not path.is_file():
            raise ValidationError(f"There is no file at {path}.", field="file")
        if not passphrase:
            raise ValidationError("Enter the passphrase the backup was written with.", field="passphrase")
        if not dir_text.strip():
            raise ValidationError("Choose an empty folder for the restored data.", field="data_dir")
        target = Path(dir_text.strip()).expanduser().absolute()
        current = self._ctx.settings.data_dir.absolute()
        if target == current or current in target.parents:
            raise ValidationError("RedWaves is using this data directory now: choose a new, empty folder.",
                                  field="data_dir")
        if not _is_empty_dir(target):
            raise ValidationError(f"{target} is not empty: choose a new or empty folder (a restore never "
                                  "overwrites data).", field="data_dir")
        return path, passphrase, target

    def _on_buttons_accepted(self) -> None:
        self.errors.clear()
        try:
            path, passphrase, target = self.check()
        except ValidationError as error:
            self.errors.show(error)
            return
        self.restore_button.setEnabled(False)
        self.progress.show()
        self.message.setText("Decrypting and restoring the backup…")
        self._ctx.run(asyncio.to_thread(self._backups.restore, path, passphrase, data_dir=target), self._on_done,
                      name="restore", parent=self, on_user_error=self._on_failed)

    def _on_failed(self, error: UserFacingError) -> None:
        self.progress.hide()
        self.message.clear()
        self.restore_button.setEnabled(True)
        self.errors.show(error)

    def _on_done(self, restored: RestoredBackup) -> None:
        self.result_info = restored
        self.progress.hide()
        self.passphrase.clear()
        for edit in (self.file_edit, self.passphrase, self.dir_edit):
            edit.setEnabled(False)
        self.message.setProperty("role", "ok")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(
            f"Restored the {restored.network} backup of {_created(restored.created_at)} ({restored.invoices} "
            f"invoices) into {restored.network_dir}.\n\n“Restart into it” quits this RedWaves and opens the "
            f"restored one. To open it yourself later: redwaves --data-dir {restored.data_dir} "
            f"--network {restored.network}")
        self.restore_button.hide()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.restart_button.show()
        self.restart_button.setFocus()

    def _on_restart_button_clicked(self) -> None:
        if self.result_info is not None:
            self.restartRequested.emit(self.result_info)
            self.accept()
