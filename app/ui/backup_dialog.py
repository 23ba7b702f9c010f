"""File > Back up…: an encrypted backup of everything, written while RedWaves keeps serving."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.ui.context import UiContext

if TYPE_CHECKING:
    from app.services.admin.backup import BackupInfo
    from app.services.ports import BackupWriter

MIN_PASSPHRASE = 8


class BackupDialog(QDialog):
    def __init__(self, ctx: UiContext[object], backups: BackupWriter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Back up RedWaves")
        self._ctx = ctx
        self._backups = backups
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        self.path_edit = QLineEdit(str(Path.home() / f"redwaves-{ctx.settings.network}-{stamp}.rwbackup"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("Invoices, payments, settings, wallet files and secrets, encrypted with your "
                              "passphrase. Keep the passphrase safe: without it the backup cannot be read.")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Repeat", self.repeat)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.result_info: BackupInfo | None = None

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Backup file", self.path_edit.text(), "RedWaves backups (*.rwbackup)")
        if path:
            self.path_edit.setText(path)

    def validation_error(self) -> str | None:
        if not self.path_edit.text().strip():
            return "Choose a file."
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            return f"Use a passphrase of at least {MIN_PASSPHRASE} characters."
        if self.passphrase.text() != self.repeat.text():
            return "The passphrases differ."
        return None

    def _on_buttons_accepted(self) -> None:
        problem = self.validation_error()
        if problem:
            self.message.setText(problem)
            return
        self.buttons.setEnabled(False)
        self.message.setText("Writing the backup…")
        path = Path(self.path_edit.text().strip()).expanduser()
        self._ctx.run(asyncio.to_thread(self._backups.create, path, self.passphrase.text()), self._on_done, name="backup",
                      parent=self, on_user_error=self._on_failed)

    def _on_done(self, info: BackupInfo) -> None:
        self.result_info = info
        self.message.setText(f"Backup written: {info.path} ({info.invoices} invoices).")
        self.buttons.setEnabled(True)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.accept)

    def _on_failed(self, error: UserFacingError) -> None:
        self.message.setText(str(error))
        self.buttons.setEnabled(True)
