"""The fee choice before a payout transaction is built: Pay now, Bump fee, Export PSBT.

Shows what the transaction pays (each payout's address and amount, the total) and the wallet it
comes from, then the fee: next block / within an hour / within a day at the sat/vB Electrum's server
estimates (``payouts.fee_options``), or a custom sat/vB. For Pay now and Export PSBT it also shows the
transaction itself before anything is signed (coin control, ``payouts.plan``): the coins it spends
(txid:vout, amount), every output with the change, the fee, its rate and size, worked out again
whenever the fee choice changes; the action stays disabled until the plan for the current choice is
shown, and pays at the rate that plan used, spending those coins (``plan`` below). The action button
emits ``feeChosen``; the view calls the service and puts a refusal back here with ``show_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
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
from app.core.payouts import FeeChoice, FeeOptions, FeeTarget, Payout, PayoutPlan
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
REPLAN_DELAY_MS = 300  # typing a custom rate: one plan once the typing pauses
Planner = Callable[[FeeChoice], Coroutine[Any, Any, PayoutPlan]]


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


def _table(name: str, headers: tuple[str, str], rows: list[tuple[str, str]], tips: list[str] | None = None,
           ) -> QTableWidget:
    table = named(QTableWidget(0, 2), name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    fill(table, rows, tips)
    return table


def fill(table: QTableWidget, rows: list[tuple[str, str]], tips: list[str] | None = None) -> None:
    table.setRowCount(len(rows))
    for row, (first, second) in enumerate(rows):
        item = QTableWidgetItem(first)
        item.setToolTip(tips[row] if tips else first)
        table.setItem(row, 0, item)
        table.setItem(row, 1, QTableWidgetItem(second))
    table.resizeColumnsToContents()


def _h2(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "h2")
    return label


class FeeDialog(QDialog):
    feeChosen = Signal(object)  # FeeChoice  # noqa: N815

    def __init__(self, ctx: UiContext[object], payouts: PayoutsPort, wallet: Wallet, chosen: list[Payout], *,
                 title: str, action: str, balance: Coroutine[Any, Any, tuple[int, int]] | None = None,
                 planner: Planner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feeDialog")
        self.setWindowTitle(title)
        self._ctx, self._payouts, self.wallet, self.chosen = ctx, payouts, wallet, chosen
        self._planner = planner
        self.options: FeeOptions | None = None
        self.plan: PayoutPlan | None = None  # the transaction shown, for ``planned_for``
        self.planned_for: FeeChoice | None = None
        self._plan_seq = 0
        self._replan_timer = QTimer(self, singleShot=True, interval=REPLAN_DELAY_MS)
        self._replan_timer.timeout.connect(self.replan)
        self.errors = FieldErrors()
        total = sum(p.amount_sat for p in chosen)
        heading = named(QLabel(f"{len(chosen)} payout{'s' if len(chosen) != 1 else ''} from {wallet.name}, "
                               f"{formatting.btc(total)} in one transaction"), "feeHeading")
        heading.setProperty("role", "h2")
        heading.setWordWrap(True)
        self.outputs = _table("feeOutputs", ("Pays to", "Amount"),
                              [(p.destination, formatting.btc(p.amount_sat)) for p in chosen])
        self.inputs = _table("feeInputs", ("Spends (coin)", "Amount"), [])
        self.summary = QFormLayout()
        self.summary.setContentsMargins(0, 0, 0, 0)
        self.plan_state = named(QLabel(wordWrap=True), "feePlanState")
        self.plan_state.setProperty("role", "muted")
        self.change = named(QLabel(wordWrap=True), "feeChange")
        self.fee_line = named(QLabel(wordWrap=True), "feeTotal")
        self.summary.addRow("Change", self.change)
        self.summary.addRow("Fee", self.fee_line)
        coins = named(QLabel("Replace-by-fee is on; change goes back to this wallet." if planner is not None else
                             "Inputs: Electrum's coin chooser takes them from this wallet's confirmed coins (and "
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
        self.custom.textEdited.connect(self._on_custom_edited)
        custom_row = QHBoxLayout()
        custom_row.addWidget(self.custom)
        custom_row.addWidget(QLabel("sat/vB"))
        radios.addLayout(custom_row)
        box = QWidget()
        box.setLayout(radios)
        self.radios["custom"].toggled.connect(self.custom.setEnabled)
        self.group.buttonToggled.connect(self._on_fee_toggled)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.action = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.action.setObjectName("feeAction")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        what = QVBoxLayout()  # left: what the transaction does
        what.setContentsMargins(0, 0, 0, 0)
        what.addWidget(heading)
        what.addWidget(self.outputs, 3)
        what.addWidget(self.funds)
        if planner is not None:
            what.addWidget(self.inputs, 2)
            what.addWidget(self.plan_state)
            what.addLayout(self.summary)
        else:
            self.inputs.hide()
            self.plan_state.hide()
            self.change.hide()
            self.fee_line.hide()
        what.addWidget(coins)
        fee = QVBoxLayout()  # right: the fee
        fee.setContentsMargins(0, 0, 0, 0)
        fee.addWidget(_h2("Fee"))
        fee.addWidget(self.errors.row("fee", box))
        fee.addWidget(self.errors.general)
        fee.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(what, 3)
        columns.addLayout(fee, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
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
        if options is not None:
            self._fee_changed()

    @property
    def target(self) -> FeeTarget:
        checked = self.group.checkedButton()
        return next((t for t, _ in TARGETS if checked is self.radios[t]), "custom")

    def choose(self, target: FeeTarget, custom: str = "") -> None:
        self.custom.setText(custom)
        self.radios[target].setChecked(True)
        self._fee_changed()

    def _read(self) -> FeeChoice:
        """The fee chosen now; UserFacingError (shown beside the fee) when it cannot be used."""
        if self.target != "custom" and (self.options is None or estimate(self.options, self.target) is None):
            raise ValidationError("No estimate yet: wait for the server, or choose Custom.", code="invalid_fee_rate",
                                  field="fee")
        return read_fee(self.target, self.custom.text())

    # -- coin control ------------------------------------------------------------------------------

    def _on_fee_toggled(self, _button: QRadioButton, checked: bool) -> None:
        if checked:
            self._fee_changed()

    def _on_custom_edited(self, _text: str) -> None:
        self.errors.hide("fee")
        self._fee_changed(delay=True)

    def _fee_changed(self, *, delay: bool = False) -> None:
        """A new fee choice: the shown transaction is stale until planned again."""
        if self._planner is None:
            return
        self.plan, self.planned_for = None, None
        self.action.setEnabled(False)
        if delay:
            self._replan_timer.start()
        else:
            self._replan_timer.stop()
            self.replan()

    def replan(self) -> None:
        if self._planner is None or (self.options is None and self.target != "custom"):
            return
        try:
            fee = self._read()
        except UserFacingError as error:
            self.plan_state.setText(error.message)
            self.action.setEnabled(False)
            return
        self._plan_seq += 1
        seq = self._plan_seq
        self.plan_state.setText("Working out the transaction…")
        self._ctx.run(self._planner(fee), lambda plan: self._set_plan(seq, fee, plan), name="fee-plan", parent=self,
                      on_user_error=lambda e: self._plan_refused(seq, e))

    def _plan_refused(self, seq: int, error: UserFacingError) -> None:
        if seq == self._plan_seq:
            self.plan_state.setText(error.message)
            self.errors.set("fee" if error.field in ("fee", "fee_rate") else None, error.message)

    def _set_plan(self, seq: int, fee: FeeChoice, plan: PayoutPlan) -> None:
        if seq != self._plan_seq:
            return  # an older fee choice's answer
        self.plan, self.planned_for = plan, fee
        fill(self.inputs, [(f"{formatting.short(i.txid, 8)}:{i.vout}", formatting.btc(i.amount_sat))
                           for i in plan.inputs], [f"{i.outpoint} at {i.address}" for i in plan.inputs])
        payees = [(a, sat) for a, sat in plan.outputs if a != plan.change_address or sat != plan.change_sat]
        rows = [(a, formatting.btc(sat)) for a, sat in payees]
        if plan.change_address is not None and plan.change_sat:
            rows.append((f"change: {plan.change_address}", formatting.btc(plan.change_sat)))
        fill(self.outputs, rows)
        coins = len(plan.inputs)
        self.plan_state.setText(f"Spends {coins} coin{'s' if coins != 1 else ''}, "
                                f"{formatting.btc(plan.input_sat)}; nothing is signed until you confirm.")
        self.change.setText(f"{formatting.btc(plan.change_sat)} to {plan.change_address}" if plan.change_sat
                            else "none (the coins cover the payouts and the fee exactly)")
        self.fee_line.setText(f"{formatting.btc(plan.fee_sat)} ({plan.fee_rate} sat/vB, {plan.vsize} vB)")
        self.action.setEnabled(True)

    def chosen_fee(self) -> FeeChoice:
        """What the payment is made with: with a plan shown, the rate that plan resolved to (estimates move)."""
        if self.plan is not None:
            return FeeChoice("custom", self.plan.sat_per_vb)
        return self._read()

    def submit(self) -> None:
        self.errors.clear()
        try:
            fee = self._read()
        except UserFacingError as error:
            self.errors.show(error)
            return
        if self._planner is not None and (self.plan is None or self.planned_for != fee):
            self.errors.set("fee", "Wait for the transaction to be worked out for this fee.")
            self._fee_changed()
            return
        self.action.setEnabled(False)
        self.feeChosen.emit(self.chosen_fee())

    def show_error(self, error: UserFacingError) -> None:
        self.action.setEnabled(True)
        self.errors.set("fee" if error.field in ("fee", "fee_rate", "sat_per_vb") else None, error.message)
        if error.code == "plan_changed":
            self._fee_changed()
