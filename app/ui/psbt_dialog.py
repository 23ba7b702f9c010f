"""Watch-only payouts: the unsigned PSBT out to the signer, the signed one back in.

**Export** (``PsbtExportDialog``): what the signer must show (each output and amount, the fee), the
PSBT as base64 text with **Copy**, **Save file…** (binary BIP174, ``<id>.psbt``: Electrum, Sparrow,
Coldcard, Trezor Suite open it) and, when it fits one code, a QR of the base64 text (Electrum and
Sparrow scan it). No animated (BBQr / UR) encoder is installed here, so a larger PSBT goes by file
or text only.
**Import** (``PsbtImportDialog``): the outputs the signed PSBT must pay, then the PSBT pasted (base64)
or opened from a file; **Check and broadcast** hands it to ``payouts.import_psbt``, which refuses any
difference (another address, another amount, change elsewhere) with its reason shown beside the text.
File dialogs open with ``open()``, never ``exec()``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError, ValidationError
from app.core.payouts import Payout, PayoutTx, PsbtExport
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.field_errors import FieldErrors
from app.ui.ports import PayoutsPort
from app.ui.qr import QrLabel
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

MAX_QR_CHARS = 1500  # base64 in byte mode at level M (version ~30); denser is hard to scan from a screen
MAX_PSBT_BYTES = 4 * 1024 * 1024
PSBT_MAGIC = b"psbt\xff"


def outputs_table(rows: Sequence[tuple[str, int]], name: str) -> QTableWidget:
    table = named(QTableWidget(len(rows), 2), name)
    table.setHorizontalHeaderLabels(("Pays to", "Amount"))
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    for row, (address, sat) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(address))
        table.setItem(row, 1, QTableWidgetItem(formatting.btc(sat)))
    table.resizeColumnsToContents()
    rows_px = sum(table.rowHeight(r) for r in range(min(len(rows), 3)))
    table.setMaximumHeight(table.horizontalHeader().sizeHint().height() + rows_px + 6)
    return table


def read_psbt_file(path: Path) -> str | bytes:
    """A .psbt file: binary BIP174 as bytes, a base64 text file as its text; ValidationError otherwise."""
    data = path.read_bytes()[:MAX_PSBT_BYTES + 1]
    if len(data) > MAX_PSBT_BYTES:
        raise ValidationError("This file is too large to be a PSBT.", code="invalid_psbt", field="psbt")
    if data.startswith(PSBT_MAGIC):
        return data
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ValidationError("This file is not a PSBT (neither binary BIP174 nor base64 text).",
                              code="invalid_psbt", field="psbt") from None


class PsbtExportDialog(QDialog):
    def __init__(self, export: PsbtExport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("psbtExportDialog")
        self.setWindowTitle("Export PSBT")
        self.export = export
        self.saved_to: Path | None = None
        self.file_dialog: QFileDialog | None = None
        total = sum(sat for _a, sat in export.outputs)
        heading = named(QLabel(f"Sign this on the wallet that holds the keys: {len(export.outputs)} output"
                               f"{'s' if len(export.outputs) != 1 else ''}, {formatting.btc(total)}, fee "
                               f"{formatting.btc(export.fee_sat)}. Check the signer shows the same."), "psbtHeading")
        heading.setWordWrap(True)
        self.text = named(QPlainTextEdit(export.psbt_base64), "psbtText")
        self.text.setReadOnly(True)
        self.qr = QrLabel(260, grow=True, min_px=240)
        fits = len(export.psbt_base64) <= MAX_QR_CHARS
        if fits:
            self.qr.set_payload(export.psbt_base64)
        self.qr.setVisible(fits)
        self.qr_note = named(QLabel("Scan the QR with the signer, or use the file or the text." if fits else
                                    "Too large for one QR code: use the file or the text."), "psbtQrNote")
        self.qr_note.setProperty("role", "muted")
        self.status = named(QLabel(wordWrap=True), "psbtStatus")
        save = named(QPushButton("Save file…"), "psbtSave")
        save.clicked.connect(self._on_save_clicked)
        copy = named(QPushButton("Copy base64"), "psbtCopy")
        copy.clicked.connect(self._on_copy_clicked)
        close = named(QPushButton("Close"), "psbtClose")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (save, copy):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(outputs_table(export.outputs, "psbtOutputs"))
        body = QHBoxLayout()
        body.addWidget(self.text, 1)
        body.addWidget(self.qr, 1)
        layout.addLayout(body, 1)
        layout.addWidget(self.qr_note)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.export.psbt_base64)
        self.status.setText("PSBT copied as base64.")

    def _on_save_clicked(self) -> None:
        dialog = QFileDialog(self, "Save the PSBT", self.export.filename, "PSBT (*.psbt)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda path: self.save_to(Path(path)))
        self.file_dialog = dialog
        dialog.open()

    def save_to(self, path: Path) -> Path:
        """Write the binary PSBT (BIP174) to ``path``."""
        path.write_bytes(base64.b64decode(self.export.psbt_base64))
        self.saved_to = path
        self.status.setText(f"Saved to {path}. Sign it, then use Import signed PSBT….")
        logger.info("PSBT of payout tx %s saved to %s", self.export.payout_tx_id, path)
        return path


class PsbtImportDialog(QDialog):
    imported = Signal(object)  # the PayoutTx, broadcast  # noqa: N815

    def __init__(self, ctx: UiContext[object], payouts: PayoutsPort, payout_tx_id: str, expected: list[Payout],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("psbtImportDialog")
        self.setWindowTitle("Import signed PSBT")
        self._ctx, self._payouts, self.payout_tx_id = ctx, payouts, payout_tx_id
        self.errors = FieldErrors()
        self.file_dialog: QFileDialog | None = None
        self._from_file: bytes | None = None
        heading = named(QLabel("The signed PSBT must pay exactly this (change back to this wallet); anything "
                               "else is refused. Then it is broadcast."), "importHeading")
        heading.setWordWrap(True)
        self.text = named(QPlainTextEdit(), "signedPsbt")
        self.text.textChanged.connect(self._on_text_changed)
        self.source = named(QLabel(), "importSource")
        self.source.setProperty("role", "muted")
        open_file = named(QPushButton("Open file…"), "psbtOpen")
        open_file.clicked.connect(self._on_open_clicked)
        self.broadcast = named(QPushButton("Check and broadcast"), "psbtBroadcast")
        self.broadcast.clicked.connect(self.submit)
        cancel = named(QPushButton("Cancel"), "psbtCancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(open_file)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.broadcast)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(outputs_table([(p.destination, p.amount_sat) for p in expected], "importExpected"))
        layout.addWidget(QLabel("Signed PSBT (paste base64, or open the file)"))
        layout.addWidget(self.errors.row("psbt", self.text), 1)
        layout.addWidget(self.source)
        layout.addWidget(self.errors.general)
        layout.addLayout(buttons)

    def _on_text_changed(self) -> None:
        if self._from_file is not None and self.text.toPlainText():
            self._from_file = None
            self.source.clear()
        self.errors.hide("psbt")

    def _on_open_clicked(self) -> None:
        dialog = QFileDialog(self, "Open the signed PSBT", "", "PSBT (*.psbt *.txt);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.load_file(Path(path)))
        self.file_dialog = dialog
        dialog.open()

    def load_file(self, path: Path) -> None:
        self.errors.clear()
        try:
            data = read_psbt_file(path)
        except (OSError, UserFacingError) as error:
            self.errors.set("psbt", error.message if isinstance(error, UserFacingError)
                            else f"Cannot read {path}: {error.strerror}")
            return
        if isinstance(data, bytes):
            self.text.clear()
            self._from_file = data
            self.source.setText(f"{path.name}: binary PSBT, {len(data):,} bytes.")
        else:
            self.text.setPlainText(data)
            self.source.setText(f"Read from {path.name}.")

    def signed(self) -> str | bytes:
        if self._from_file is not None:
            return self._from_file
        text = "".join(self.text.toPlainText().split())
        if not text:
            raise ValidationError("Paste the signed PSBT, or open its file.", code="invalid_psbt", field="psbt")
        try:
            base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("This is not base64 text: paste the PSBT as the signer exported it.",
                                  code="invalid_psbt", field="psbt") from None
        return text

    def submit(self) -> None:
        self.errors.clear()
        try:
            signed = self.signed()
        except UserFacingError as error:
            self.errors.show(error)
            return
        self.broadcast.setEnabled(False)

        def refused(error: UserFacingError) -> None:
            self.broadcast.setEnabled(True)
            self.errors.set("psbt", error.message)

        def done(tx: PayoutTx) -> None:
            self.imported.emit(tx)
            self.accept()

        self._ctx.run(self._payouts.import_psbt(self.payout_tx_id, signed), done, name="psbt-import", parent=self,
                      on_user_error=refused)
