"""WalletKeyForm: paste an xpub (or a descriptor), validated as you type, with the first addresses.

``validate_keys`` and ``preview_addresses`` are pure key arithmetic (about 2 ms), no DB, no network:
they run on the GUI thread, debounced. A rejected key is explained beside the key field in the error
colour (``errors``, a FieldErrors: ``keysError``, ``wallet_nameError``); ``feedback`` under it says
what a good key is (green ✓) or, while the field is empty, what is needed to continue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.core.errors import UserFacingError
from app.ui.field_errors import FieldErrors
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.chain.keys import WalletDescriptor
    from app.services.wallets.wallets import WalletService

VALIDATE_DEBOUNCE_MS = 250
PREVIEW_COUNT = 5
SCRIPT_NAMES = {"p2wpkh": "native segwit (bc1q…)", "p2wpkh-p2sh": "wrapped segwit (3…)", "p2pkh": "legacy (1…)",
                "p2tr": "taproot (bc1p…)", "p2wsh": "native segwit multisig", "p2wsh-p2sh": "wrapped segwit multisig"}
EMPTY_KEY_HINT = "Paste your wallet's public key to continue."
EMPTY_NAME_HINT = "Give the wallet a name to continue."
FIELDS = {"keys": "keys", "wallet_name": "wallet_name", "name": "wallet_name", "threshold": "keys"}


class WalletKeyForm(QWidget):
    validityChanged = Signal(bool)  # noqa: N815

    def __init__(self, wallets: WalletService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wallets = wallets
        self.valid = False
        self.descriptor: WalletDescriptor | None = None
        self.addresses: list[str] = []
        self.errors = FieldErrors()
        self.name = named(QLineEdit("Shop wallet"), "walletName")
        self.keys = named(QPlainTextEdit(), "walletKeys")
        self.keys.setToolTip("Your wallet's extended public key (xpub / zpub / vpub…) or an output descriptor. "
                             "Never a seed or private key.")
        self.keys.setFixedHeight(70)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.keys.setFont(mono)
        self.feedback = named(QLabel(wordWrap=True), "keyFeedback")
        self.preview = named(QLabel(wordWrap=True), "addressPreview")
        self.preview.setFont(QFont(mono))
        self._timer = QTimer(self, singleShot=True, interval=VALIDATE_DEBOUNCE_MS)
        self._timer.timeout.connect(self.validate_now)
        self.keys.textChanged.connect(self._on_keys_text_changed)
        self.name.textChanged.connect(self._on_name_text_changed)
        layout = QFormLayout(self)
        layout.addRow("Wallet name", self.errors.row("wallet_name", self.name))
        layout.addRow("Public key", self.errors.row("keys", self.keys))
        layout.addRow("", self.feedback)
        layout.addRow("First addresses", self.preview)
        hint = QLabel("Compare these with the receive addresses your own wallet shows: they must match.")
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        layout.addRow("", hint)
        self._show(EMPTY_KEY_HINT, "muted")

    def key_text(self) -> str:
        return self.keys.toPlainText().strip()

    def _on_keys_text_changed(self) -> None:
        self._timer.start()

    def _on_name_text_changed(self, text: str) -> None:
        if text.strip():
            self.errors.hide("wallet_name")
        else:
            self.errors.set("wallet_name", EMPTY_NAME_HINT)
        self.validityChanged.emit(self.complete())

    def complete(self) -> bool:
        """A valid key and a name: what the wizard's Next and the Add button wait for."""
        return self.valid and bool(self.name.text().strip())

    def validate_now(self) -> bool:
        self._timer.stop()
        text = self.key_text()
        valid = False
        self.errors.hide("keys")
        self.preview.setText("")
        self.descriptor, self.addresses = None, []
        if not text:
            self._show(EMPTY_KEY_HINT, "muted")
        else:
            try:
                self.descriptor = self._wallets.validate_keys(text)
                self.addresses = self._wallets.preview_addresses(text, PREVIEW_COUNT)
            except UserFacingError as exc:
                self.descriptor, self.addresses = None, []
                self._show("", "muted")
                self.errors.set("keys", f"✗ {exc.message}")
            else:
                valid = True
                d = self.descriptor
                script = SCRIPT_NAMES.get(d.script_type, d.script_type)
                self._show(f"✓ Valid {d.kind} key · {script} · fingerprint {d.fingerprint}", "ok")
                self.preview.setText("\n".join(f"{i}: {a}" for i, a in enumerate(self.addresses)))
        if valid != self.valid:
            self.valid = valid
            self.validityChanged.emit(self.complete())
        return valid

    def show_error(self, error: UserFacingError) -> bool:
        """Put a save-time error (e.g. "already added") beside its field; False if it names no field here."""
        field = FIELDS.get(error.field or "")
        if field is None:
            return False
        if field == "keys":
            self._show("", "muted")
        self.errors.set(field, f"✗ {error.message}" if field == "keys" else error.message)
        return True

    def _show(self, text: str, role: str) -> None:
        self.feedback.setText(text)
        self.feedback.setVisible(bool(text))
        self.feedback.setProperty("role", role)
        self.feedback.style().unpolish(self.feedback)
        self.feedback.style().polish(self.feedback)
