"""Wallets: type, fingerprint, addresses handed out (next_index), balance when the chain is available,
and a warning when a run of unused handed-out addresses reached the wallet's gap limit (a wallet app
restoring the same keys stops scanning after that many unused addresses in a row)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import AppError, UserFacingError
from app.core.records import Wallet
from app.ui import formatting
from app.ui.context import WindowContext
from app.ui.wallet_form import SCRIPT_NAMES, WalletKeyForm
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

COLUMNS = ("Name", "Type", "Fingerprint", "Key", "Addresses used", "Gap limit", "Balance")


@dataclass(frozen=True)
class GapExposure:
    """``unused_run`` unused handed-out addresses in a row (AddressUsage.max_unused_run) against the gap limit."""

    name: str
    gap_limit: int
    unused_run: int

    @property
    def exposed(self) -> bool:
        return self.unused_run >= self.gap_limit

    @property
    def needed_gap_limit(self) -> int:
        """A restore scans past ``unused_run`` unused addresses only with a larger gap limit."""
        return self.unused_run + 1


def gap_warning(exposures: list[GapExposure]) -> str:
    lines = [f"⚠ {e.name}: {e.unused_run} addresses in a row were handed out and not paid (gap limit "
             f"{e.gap_limit}). A wallet restored from its seed in another wallet app may not see payments beyond "
             f"{e.gap_limit} unused addresses; raise the gap limit there to at least {e.needed_gap_limit}."
             for e in exposures if e.exposed]
    return "\n".join(lines)


class AddWalletDialog(QDialog):
    walletAdded = Signal(object)  # noqa: N815

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addWalletDialog")
        self.setWindowTitle("Add a wallet")
        self._ctx = ctx
        self.form = WalletKeyForm(ctx.services.wallets)
        self.error = named(QLabel(wordWrap=True), "error")
        self.error.setProperty("role", "error")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.addButton("Add wallet", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        buttons.accepted.connect(self._on_add_button_clicked)
        buttons.rejected.connect(self.reject)
        self.form.validityChanged.connect(self.add_button.setEnabled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(640, 380)

    def _on_add_button_clicked(self) -> None:
        self.add_button.setEnabled(False)
        coro = self._ctx.services.wallets.add_wallet(self.form.name.text(), self.form.key_text())
        self._ctx.run(coro, self._on_added, name="wallet-add", on_user_error=self._on_failed)

    def _on_added(self, wallet: Wallet) -> None:
        self.walletAdded.emit(wallet)
        self.accept()

    def _on_failed(self, error: UserFacingError) -> None:
        self.add_button.setEnabled(True)
        self.error.setText(error.message)


class WalletsView(QWidget):
    walletsChanged = Signal()  # noqa: N815

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.wallets: list[Wallet] = []
        self.balances: dict[str, tuple[int, int]] = {}
        self.exposures: list[GapExposure] = []
        self.table = named(QTableWidget(0, len(COLUMNS)), "walletTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.warning = named(QLabel(wordWrap=True), "gapWarning")
        self.warning.setProperty("role", "warning")
        self.warning.hide()
        add = named(QPushButton("Add wallet…"), "addWallet")
        add.clicked.connect(self._on_add_button_clicked)
        title = QLabel("Wallets")
        title.setProperty("role", "h1")
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(add)
        note = QLabel("Watch-only: RedWaves holds public keys only and cannot spend. Each invoice gets a fresh "
                      "address; addresses are never reused.")
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warning)

    def reload(self) -> None:
        self._ctx.run(self._load(), self._show, name="wallets")

    async def _load(self) -> list[Wallet]:
        wallets = await self._ctx.services.wallets.list()
        chain = self._ctx.services.chain
        exposures = []
        for w in wallets:
            usage = await self._ctx.services.address_usage.usage(w.id, limit=1)
            exposures.append(GapExposure(w.name, usage.gap_limit, usage.max_unused_run))
        self.exposures = exposures
        self.balances = {}
        if chain is not None:
            for w in wallets:
                try:
                    self.balances[w.id] = await chain.wallet_balance(w.id)
                except (AppError, RuntimeError) as exc:  # chain not running / wallet not open yet
                    logger.debug("no balance for %s: %s", w.id, exc)
        return wallets

    def _show(self, wallets: list[Wallet]) -> None:
        self.wallets = wallets
        self.table.setRowCount(len(wallets))
        for row, w in enumerate(wallets):
            balance = self.balances.get(w.id)
            balance_text = "chain not available"
            if balance is not None:
                confirmed, unconfirmed = balance
                balance_text = formatting.btc(confirmed) + (f" (+{formatting.btc(unconfirmed)} unconfirmed)"
                                                            if unconfirmed else "")
            values = (w.name, f"{w.kind} · {SCRIPT_NAMES.get(w.script_type, w.script_type)}", w.fingerprint,
                      w.key_hint, str(w.next_index), str(w.gap_limit), balance_text)
            for col, text in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(text))
        text = gap_warning(self.exposures)
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def _on_dialog_wallet_added(self, _wallet: Wallet) -> None:
        self.reload()
        self.walletsChanged.emit()

    def _on_add_button_clicked(self) -> None:
        dialog = AddWalletDialog(self._ctx, self)
        dialog.walletAdded.connect(self._on_dialog_wallet_added)
        dialog.open()
        self.add_dialog = dialog
