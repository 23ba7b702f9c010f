"""New payout…: pay a supplier (or anyone) directly from one of the store's wallets.

The address is checked as it is typed (``app.core.btc_address.validate_address``: bech32/bech32m/base58,
checksum, this network) and the error shows beside it; the amount is BTC or sat (either decimal
separator). **Create** asks ``payouts.create``: under the store's auto-approve limit the payout is
approved at once, otherwise it waits for **Approve** in the list.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.btc_address import validate_address
from app.core.errors import UserFacingError, ValidationError
from app.core.money import btc_to_sat
from app.core.payouts import Payout
from app.core.records import Store, Wallet
from app.ui.context import UiContext
from app.ui.field_errors import FieldErrors
from app.ui.formatting import parse_amount
from app.ui.ports import PayoutsPort
from app.ui.widget_names import named

FIELD_ALIASES = {"address": "destination", "amount_sat": "amount", "wallet_id": "wallet", "store_id": "store"}


def read_sat(text: str, unit: str) -> int:
    """The amount typed in ``unit`` ("BTC" or "sat") -> int sat; ValidationError beside ``amount``."""
    try:
        value = parse_amount(text, decimal_point=QLocale().decimalPoint())
        sat = btc_to_sat(value) if unit == "BTC" else int(value)
        if unit != "BTC" and value != sat:
            raise ValueError("fractional sat")
    except (ValueError, UserFacingError):
        raise ValidationError("Enter an amount like 0.0015 BTC or 150000 sat.", code="invalid_amount",
                              field="amount") from None
    if sat <= 0:
        raise ValidationError("Enter an amount above zero.", code="invalid_amount", field="amount")
    return sat


class NewPayoutDialog(QDialog):
    payoutCreated = Signal(object)  # the Payout  # noqa: N815

    def __init__(self, ctx: UiContext[object], payouts: PayoutsPort, stores: list[Store], wallets: list[Wallet],
                 network: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newPayoutDialog")
        self.setWindowTitle("New payout")
        self._ctx, self._payouts, self._network = ctx, payouts, network
        self._wallets = {w.id: w for w in wallets}
        self.errors = FieldErrors()
        self.store = named(QComboBox(), "payoutStore")
        for store in stores:
            if not store.archived:
                self.store.addItem(store.name, store)
        self.wallet = named(QComboBox(), "payoutWallet")
        self.store.currentIndexChanged.connect(self._on_store_current_index_changed)
        self.destination = named(QLineEdit(), "payoutDestination")
        self.destination.textEdited.connect(self._on_destination_text_edited)
        self.amount = named(QLineEdit(), "payoutAmount")
        self.unit = named(QComboBox(), "payoutUnit")
        self.unit.addItems(["BTC", "sat"])
        amount_row = QHBoxLayout()
        amount_row.setContentsMargins(0, 0, 0, 0)
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.unit)
        amount_box = QWidget()
        amount_box.setLayout(amount_row)
        self.label = named(QLineEdit(), "payoutLabel")
        form = QFormLayout()
        form.addRow("Store", self.errors.row("store", self.store))
        form.addRow("Pay from", self.errors.row("wallet", self.wallet))
        form.addRow("To address", self.errors.row("destination", self.destination))
        form.addRow("Amount", self.errors.row("amount", amount_box))
        form.addRow("Label", self.errors.row("label", self.label))
        hint = QLabel("Payouts under the store's auto-approve limit (Stores → Refunds) are approved at once; "
                      "others wait for Approve.")
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = buttons.addButton("Create payout", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("createPayout")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self._on_store_current_index_changed(0)

    def _on_store_current_index_changed(self, _index: int) -> None:
        self.wallet.clear()
        store = self.store.currentData()
        for wallet_id in store.wallet_ids if isinstance(store, Store) else ():
            wallet = self._wallets.get(wallet_id)
            if wallet is not None:
                kind = "hot wallet" if wallet.kind == "seed" else "watch-only: sign a PSBT"
                self.wallet.addItem(f"{wallet.name} ({kind})", wallet.id)

    def _on_destination_text_edited(self, text: str) -> None:
        self.errors.hide("destination")
        if text.strip():
            try:
                validate_address(text, self._network)
            except UserFacingError as error:
                self.errors.set("destination", error.message)
                self.destination.setFocus()

    def show_error(self, error: UserFacingError) -> None:
        field = FIELD_ALIASES.get(error.field or "", error.field)
        self.errors.set(field if field in ("store", "wallet", "destination", "amount", "label") else None,
                        error.message)

    def submit(self) -> None:
        self.errors.clear()
        store, wallet_id = self.store.currentData(), self.wallet.currentData()
        try:
            if not isinstance(store, Store):
                raise ValidationError("Create a store first.", code="no_store", field="store")
            if not wallet_id:
                raise ValidationError("This store has no wallet to pay from.", code="no_wallet", field="wallet")
            address = validate_address(self.destination.text(), self._network)
            sat = read_sat(self.amount.text(), self.unit.currentText())
        except UserFacingError as error:
            self.show_error(error)
            return
        self.create_button.setEnabled(False)

        def refused(error: UserFacingError) -> None:
            self.create_button.setEnabled(True)
            self.show_error(error)

        def created(payout: Payout) -> None:
            self.payoutCreated.emit(payout)
            self.accept()

        self._ctx.run(self._payouts.create(store.id, str(wallet_id), address, sat, label=self.label.text().strip(),
                                           actor=self._ctx.caller()),
                      created, name="payout-create", parent=self, on_user_error=refused)

