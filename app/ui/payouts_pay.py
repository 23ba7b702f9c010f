"""The fee choice before a payout transaction is built: Pay now, Bump fee, Export PSBT.

Shows what the transaction pays (each payout's address and amount, the total) and the wallet it
comes from, then the fee: next block / within an hour / within a day at the sat/vB Electrum's server
estimates (``payouts.fee_options``), or a custom sat/vB. The action button emits ``feeChosen``; the
view calls the service and puts a refusal back here with ``show_error``.
"""

from __future__ import annotations

from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError, ValidationError
from app.core.payouts import FeeChoice, FeeOptions, FeeTarget, Payout
from app.core.records import Wallet
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.field_errors import FieldErrors
from app.ui.formatting import parse_amount
from app.ui.ports import PayoutsPort
from app.ui.widget_names import named

TARGETS: tuple[tuple[FeeTarget, str], ...] = (("next_block", "Next block"), ("hour", "Within an hour"),
                                              ("day", "Within a day"), ("custom", "Custom"))
MAX_FEE_RATE = Decimal(10_000)


def estimate(options: FeeOptions, target: FeeTarget) -> Decimal | None:
    return {"next_block": options.next_block, "hour": options.hour, "day": options.day}.get(target)


def read_fee(target: FeeTarget, custom: str) -> FeeChoice:
    if target != "custom":
        return FeeChoice(target)
    try:
        rate = parse_amount(custom, decimal_point=QLocale().decimalPoint())
    except ValueError:
        rate = Decimal(0)
    if not 0 < rate <= MAX_FEE_RATE:
        raise ValidationError(f"Enter a fee rate in sat/vB, like 12 or 3.5 (at most {MAX_FEE_RATE}).",
                              code="invalid_fee_rate", field="fee")
    return FeeChoice("custom", rate)


class FeeDialog(QDialog):
    feeChosen = Signal(object)  # FeeChoice  # noqa: N815

    def __init__(self, ctx: UiContext[object], payouts: PayoutsPort, wallet: Wallet, chosen: list[Payout], *,
                 title: str, action: str, balance: Coroutine[Any, Any, tuple[int, int]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feeDialog")
        self.setWindowTitle(title)
        self._ctx, self._payouts, self.wallet, self.chosen = ctx, payouts, wallet, chosen
        self.options: FeeOptions | None = None
        self.errors = FieldErrors()
        total = sum(p.amount_sat for p in chosen)
        heading = named(QLabel(f"{len(chosen)} payout{'s' if len(chosen) != 1 else ''} from {wallet.name}, "
                               f"{formatting.btc(total)} in one transaction"), "feeHeading")
        heading.setProperty("role", "h2")
        heading.setWordWrap(True)
        self.outputs = named(QTableWidget(len(chosen), 2), "feeOutputs")
        self.outputs.setHorizontalHeaderLabels(("Pays to", "Amount"))
        self.outputs.verticalHeader().hide()
        self.outputs.horizontalHeader().setStretchLastSection(True)
        for row, p in enumerate(chosen):
            self.outputs.setItem(row, 0, QTableWidgetItem(p.destination))
            self.outputs.setItem(row, 1, QTableWidgetItem(formatting.btc(p.amount_sat)))
        self.outputs.resizeColumnsToContents()
        self.outputs.setMaximumHeight(140)
        coins = named(QLabel("Inputs: Electrum's coin chooser takes them from this wallet's confirmed coins (and "
                             "the change of its own payouts), never a coin another unconfirmed payout spends; "
                             "change goes back to this wallet. Replace-by-fee is on."), "feeCoins")
        coins.setWordWrap(True)
        coins.setProperty("role", "muted")
        self.funds = named(QLabel(wordWrap=True), "feeFunds")
        self.group = QButtonGroup(self)
        radios = QVBoxLayout()
        radios.setContentsMargins(0, 0, 0, 0)
        self.radios: dict[str, QRadioButton] = {}
        for target, text in TARGETS:
            radio = named(QRadioButton(text), f"fee_{target}")
            radio.setProperty("target", target)
            self.group.addButton(radio)
            self.radios[target] = radio
            radios.addWidget(radio)
        self.custom = named(QLineEdit(), "feeCustom")
        self.custom.setEnabled(False)
        self.custom.textEdited.connect(lambda _t: self.errors.hide("fee"))
        custom_row = QHBoxLayout()
        custom_row.addWidget(self.custom)
        custom_row.addWidget(QLabel("sat/vB"))
        radios.addLayout(custom_row)
        box = QWidget()
        box.setLayout(radios)
        self.radios["custom"].toggled.connect(self.custom.setEnabled)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.action = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.action.setObjectName("feeAction")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.outputs)
        layout.addWidget(self.funds)
        layout.addWidget(coins)
        fee_title = QLabel("Fee")
        fee_title.setProperty("role", "h2")
        layout.addWidget(fee_title)
        layout.addWidget(self.errors.row("fee", box))
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.radios["hour"].setChecked(True)
        self._set_estimates(None)
        ctx.run(payouts.fee_options(wallet.id), self._set_estimates, name="fee-options", parent=self,
                on_user_error=lambda e: self.errors.set("fee", e.message))
        self.funds.setVisible(balance is not None)
        if balance is not None:
            self.funds.setText("Reading the wallet's balance…")
            ctx.run(balance, self._set_balance, name="fee-balance", parent=self,
                    on_user_error=lambda e: self.funds.setText(e.message))

    def _set_balance(self, balance: tuple[int, int]) -> None:
        confirmed, unconfirmed = balance
        total = sum(p.amount_sat for p in self.chosen)
        text = f"{self.wallet.name} holds {formatting.btc(confirmed)} confirmed"
        text += f" and {formatting.btc(unconfirmed)} unconfirmed" if unconfirmed else ""
        text += f"; this sends {formatting.btc(total)} plus the fee."
        self.funds.setText(text)

    def _set_estimates(self, options: FeeOptions | None) -> None:
        self.options = options
        for target, text in TARGETS[:3]:
            rate = estimate(options, target) if options is not None else None
            radio = self.radios[target]
            radio.setText(f"{text}: {rate} sat/vB" if rate is not None else
                          f"{text}: {'asking the server…' if options is None else 'no estimate'}")
            radio.setEnabled(rate is not None)
        checked = self.group.checkedButton()
        if options is not None and (checked is None or not checked.isEnabled()):
            self.radios["custom"].setChecked(True)

    @property
    def target(self) -> FeeTarget:
        checked = self.group.checkedButton()
        return next((t for t, _ in TARGETS if checked is self.radios[t]), "custom")

    def choose(self, target: FeeTarget, custom: str = "") -> None:
        self.radios[target].setChecked(True)
        self.custom.setText(custom)

    def submit(self) -> None:
        self.errors.clear()
        if self.target != "custom" and (self.options is None or estimate(self.options, self.target) is None):
            self.errors.set("fee", "No estimate yet: wait for the server, or choose Custom.")
            return
        try:
            fee = read_fee(self.target, self.custom.text())
        except UserFacingError as error:
            self.errors.show(error)
            return
        self.action.setEnabled(False)
        self.feeChosen.emit(fee)

    def show_error(self, error: UserFacingError) -> None:
        self.action.setEnabled(True)
        self.errors.set("fee" if error.field in ("fee", "fee_rate", "sat_per_vb") else None, error.message)
