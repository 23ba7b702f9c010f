"""Payouts: what the shop sends (claimed refunds, suppliers), approved and paid from here.

The list (newest first, filtered by state) follows ``payout.*`` / ``refund.*`` events through the
bridge. Buttons act on the selected rows: **New payout…**, **Approve** (several at once), **Cancel
payout**, and by the wallet they pay from: a hot wallet (kind ``seed``) gets **Pay now…** (one
transaction for every selected approved payout, a fee choice, what will be signed shown first) and
**Bump fee…** for a stuck broadcast payout; a watch-only wallet gets **Export PSBT…** (file, base64,
to sign on the hardware wallet) and **Import signed PSBT…** (checked against what was exported, then
broadcast). Pay now and Export PSBT show the planned transaction (coins spent, outputs, change, fee)
before anything is signed (``payouts.plan``). A broadcast payout shows its confirmations ("2 of 6"); it
becomes Confirmed (final) at the settled depth (``payout_settled_confirmations``); the list reloads on
each new block while one is settling. The services refuse what is not allowed; their message shows
under the buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.payouts import FeeChoice, Payout, PayoutStatus, PayoutTx, PsbtExport
from app.core.records import Page, Store, Wallet
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.payouts_new import NewPayoutDialog
from app.ui.payouts_pay import FeeDialog
from app.ui.ports import PayoutServices
from app.ui.psbt_dialog import PsbtExportDialog, PsbtImportDialog
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.chain.models import ChainState
    from app.services.events import OutboxEvent

logger = logging.getLogger(__name__)

COLUMNS = ("Created", "Pays to", "Amount", "Wallet", "Status", "Confirmations", "Transaction")
NARROW_PX = 900  # below this width the Created and Transaction columns hide (their text stays in the tooltip)
HIDE_NARROW = (0, 6)
STATUS_TEXT = {PayoutStatus.AWAITING_APPROVAL: "Awaiting approval", PayoutStatus.APPROVED: "Approved",
               PayoutStatus.IN_PROGRESS: "Transaction built", PayoutStatus.BROADCAST: "Broadcast",
               PayoutStatus.CONFIRMED: "Confirmed", PayoutStatus.CANCELLED: "Cancelled",
               PayoutStatus.FAILED: "Failed"}
PAGE_SIZE = 200
RELOAD_DELAY_MS = 150


def is_hot(wallet: Wallet | None) -> bool:
    """A wallet whose keys are here (a seed) signs itself; any other is watch-only (PSBT)."""
    return wallet is not None and wallet.kind == "seed"


class PayoutsView(QWidget):
    payoutsChanged = Signal()  # noqa: N815

    def __init__(self, ctx: UiContext[PayoutServices], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payoutsView")
        self._ctx = ctx
        self._payouts = ctx.services.payouts
        self.items: list[Payout] = []
        self.wallets: dict[str, Wallet] = {}
        self.stores: list[Store] = []
        self.dialog: QWidget | None = None
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        title = QLabel("Payouts")
        title.setProperty("role", "h1")
        self.state = named(QComboBox(), "payoutState")
        self.state.addItem("All states", None)
        for status, text in STATUS_TEXT.items():
            self.state.addItem(text, status.value)
        self.state.currentIndexChanged.connect(lambda _i: self.reload())
        self.table = named(QTableWidget(0, len(COLUMNS)), "payoutsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the address gives way, elided
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.buttons: dict[str, QPushButton] = {}
        rows = ((("new", "New payout…", self._on_new_clicked), ("approve", "Approve", self._on_approve_clicked),
                 ("cancel", "Cancel payout", self._on_cancel_clicked)),
                (("pay", "Pay now…", self._on_pay_clicked), ("export", "Export PSBT…", self._on_export_clicked),
                 ("import", "Import signed PSBT…", self._on_import_clicked),
                 ("bump", "Bump fee…", self._on_bump_clicked)))
        self.message = named(QLabel(wordWrap=True), "payoutsMessage")
        self.count = named(QLabel(), "payoutsCount")
        self.count.setProperty("role", "muted")
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.state)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        for specs in rows:
            row = QHBoxLayout()
            for key, text, slot in specs:
                button = named(QPushButton(text), f"payout_{key}")
                button.clicked.connect(slot)
                self.buttons[key] = button
                row.addWidget(button)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(self.message)
        ctx.bridge.outboxEvent.connect(self._on_bridge_outbox_event)
        ctx.bridge.chainStateChanged.connect(self._on_bridge_chain_state_changed)
        self._tip: int | None = None
        self._update_buttons()

    # -- loading -----------------------------------------------------------------------------------

    def reload(self) -> None:
        self._reload_timer.stop()
        raw = self.state.currentData()
        status = PayoutStatus(raw) if raw else None
        self._ctx.run(self._load(status), self._on_loaded, name="payouts-load", parent=self)

    async def _load(self, status: PayoutStatus | None) -> tuple[Page, list[Wallet], list[Store]]:
        services = self._ctx.services
        page = await self._payouts.list(status=status, limit=PAGE_SIZE)
        return page, await services.wallets.list(), await services.stores.list()

    def _on_loaded(self, result: tuple[Page, list[Wallet], list[Store]]) -> None:
        page, wallets, self.stores = result
        self.wallets = {w.id: w for w in wallets}
        selected = set(self.selected_ids())
        self.items = list(page.items)
        self.table.setRowCount(len(self.items))
        for row, payout in enumerate(self.items):
            self._fill_row(row, payout)
            if payout.id in selected:
                self.table.selectRow(row)
        self.count.setText(f"{page.total} payout{'s' if page.total != 1 else ''}"
                           + (f" (showing the newest {len(self.items)})" if page.total > len(self.items) else ""))
        self._update_buttons()

    def _fill_row(self, row: int, p: Payout) -> None:
        wallet = self.wallets.get(p.wallet_id)
        status = STATUS_TEXT.get(p.status, p.status.value) + (f": {p.error}" if p.error else "")
        label = p.label or ("refund" if p.refund_id else "")
        values = (formatting.local_time(p.created_at), f"{label} · {p.destination}" if label else p.destination,
                  formatting.btc(p.amount_sat), wallet.name if wallet else p.wallet_id,
                  status, self.confirmations_text(p), formatting.short(p.payout_tx_id, 6) if p.payout_tx_id else "")
        tips = {0: f"created {values[0]}", 3: "hot wallet" if is_hot(wallet) else "watch-only: signs a PSBT",
                5: f"final at {self._settled()} confirmations" if p.status is PayoutStatus.BROADCAST else "",
                6: f"transaction {p.payout_tx_id}" if p.payout_tx_id else ""}
        for col, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setToolTip(" · ".join(t for t in (text, tips.get(col, "")) if t and t != text) or text)
            self.table.setItem(row, col, item)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        narrow = self.width() < NARROW_PX
        for col in HIDE_NARROW:
            self.table.setColumnHidden(col, narrow)

    def _settled(self) -> int:
        return self._ctx.settings.payout_settled_confirmations

    def confirmations_text(self, p: Payout) -> str:
        """"2 of 6" while settling; the count once confirmed; empty before broadcast."""
        if p.status is PayoutStatus.BROADCAST:
            return f"{p.confirmations} of {self._settled()}"
        if p.status is PayoutStatus.CONFIRMED:
            return str(p.confirmations) if p.confirmations else "settled"
        return ""

    def _on_bridge_chain_state_changed(self, state: ChainState | None) -> None:
        tip = state.tip_height if state is not None else None
        if tip != self._tip:
            self._tip = tip
            if any(p.status is PayoutStatus.BROADCAST or p.status is PayoutStatus.CONFIRMED for p in self.items):
                self._reload_timer.start()  # confirmations moved

    def _on_bridge_outbox_event(self, event: OutboxEvent) -> None:
        if event.type.startswith(("payout.", "refund.")):
            self._reload_timer.start()  # a burst of events is one reload

    # -- selection ---------------------------------------------------------------------------------

    def selected(self) -> list[Payout]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.items[r] for r in rows if r < len(self.items)]

    def selected_ids(self) -> list[str]:
        return [p.id for p in self.selected()] if self.table.selectionModel() else []

    def select_ids(self, ids: Sequence[str]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, payout in enumerate(self.items):
            if payout.id in ids:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _one_wallet(self, payouts: list[Payout]) -> Wallet | None:
        ids = {p.wallet_id for p in payouts}
        return self.wallets.get(ids.pop()) if len(ids) == 1 else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        wallet = self._one_wallet(chosen)
        statuses = {p.status for p in chosen}
        one = chosen[0] if len(chosen) == 1 else None
        b = self.buttons
        b["approve"].setEnabled(bool(chosen) and statuses == {PayoutStatus.AWAITING_APPROVAL})
        b["cancel"].setEnabled(one is not None and one.status in (PayoutStatus.AWAITING_APPROVAL,
                                                                   PayoutStatus.APPROVED, PayoutStatus.IN_PROGRESS))
        approved = bool(chosen) and statuses == {PayoutStatus.APPROVED} and wallet is not None
        b["pay"].setEnabled(approved and is_hot(wallet))
        b["export"].setEnabled(approved and not is_hot(wallet))
        b["import"].setEnabled(one is not None and one.status == PayoutStatus.IN_PROGRESS
                               and one.payout_tx_id is not None and not is_hot(wallet))
        b["bump"].setEnabled(one is not None and one.status == PayoutStatus.BROADCAST and one.confirmations == 0
                             and one.payout_tx_id is not None and is_hot(wallet))
        b["pay"].setToolTip("" if wallet is None or is_hot(wallet) else "A watch-only wallet signs elsewhere: "
                                                                         "use Export PSBT…")

    # -- actions -----------------------------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _refused(self, error: UserFacingError) -> None:
        self.say(error.message, error=True)
        self.reload()

    def _done(self, text: str) -> None:
        self.say(text)
        self.reload()
        self.payoutsChanged.emit()

    def _on_new_clicked(self) -> None:
        dialog = NewPayoutDialog(self._ctx, self._payouts, self.stores, list(self.wallets.values()),
                                 self._ctx.settings.network, self)
        dialog.payoutCreated.connect(lambda p: self._done(
            f"Payout of {formatting.btc(p.amount_sat)} to {formatting.short(p.destination)} created: "
            f"{STATUS_TEXT[p.status].lower()}."))
        self.dialog = dialog
        dialog.open()

    def _on_approve_clicked(self) -> None:
        ids = self.selected_ids()
        self._ctx.run(self._payouts.approve(ids, actor=self._ctx.caller()),
                      lambda done: self._done(f"Approved {len(done)} payout{'s' if len(done) != 1 else ''}."),
                      name="payouts-approve", parent=self, on_user_error=self._refused)

    def _on_cancel_clicked(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self._ctx.run(self._payouts.cancel(chosen[0].id, actor=self._ctx.actor),
                          lambda p: self._done("Payout cancelled."),
                          name="payouts-cancel", parent=self, on_user_error=self._refused)

    def _fee_dialog(self, title: str, action: str, payouts: list[Payout], *, plan: bool = False) -> FeeDialog:
        wallet = self._one_wallet(payouts)
        assert wallet is not None
        chain = self._ctx.services.chain
        balance = chain.wallet_balance(wallet.id) if chain is not None else None
        ids = [p.id for p in payouts]
        dialog = FeeDialog(self._ctx, self._payouts, wallet, payouts, title=title, action=action, balance=balance,
                           planner=(lambda fee: self._payouts.plan(ids, fee)) if plan else None, parent=self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_pay_clicked(self) -> None:
        chosen = self.selected()
        dialog = self._fee_dialog("Pay now", "Sign and broadcast", chosen, plan=True)
        dialog.feeChosen.connect(lambda fee: self.pay_now([p.id for p in chosen], fee, dialog))

    def pay_now(self, ids: list[str], fee: FeeChoice, dialog: FeeDialog | None = None) -> None:
        def paid(tx: PayoutTx) -> None:
            if dialog is not None:
                dialog.accept()
            self._done(f"Broadcast {tx.txid}: {len(ids)} payout{'s' if len(ids) != 1 else ''} in one transaction, "
                       f"fee {formatting.btc(tx.fee_sat)} ({tx.fee_rate} sat/vB).")

        inputs = dialog.plan.outpoints if dialog is not None and dialog.plan is not None else None
        self._ctx.run(self._payouts.pay_hot(ids, fee, inputs=inputs), paid, name="payouts-pay", parent=self,
                      on_user_error=dialog.show_error if dialog is not None else self._refused)

    def _on_bump_clicked(self) -> None:
        chosen = self.selected()
        dialog = self._fee_dialog("Bump fee", "Replace with a higher fee", chosen)
        tx_id = chosen[0].payout_tx_id
        assert tx_id is not None

        def bumped(tx: PayoutTx) -> None:
            dialog.accept()
            self._done(f"Replaced by {tx.txid} at {tx.fee_rate} sat/vB (fee {formatting.btc(tx.fee_sat)}).")

        dialog.feeChosen.connect(lambda fee: self._ctx.run(self._payouts.bump_fee(tx_id, fee), bumped,
                                                           name="payouts-bump", parent=self,
                                                           on_user_error=dialog.show_error))

    def _on_export_clicked(self) -> None:
        chosen = self.selected()
        dialog = self._fee_dialog("Export PSBT", "Build the PSBT", chosen, plan=True)
        ids = [p.id for p in chosen]

        def built(export: PsbtExport) -> None:
            dialog.accept()
            self.show_export(export)

        dialog.feeChosen.connect(lambda fee: self._ctx.run(self._payouts.export_psbt(ids, fee), built,
                                                           name="payouts-export", parent=self,
                                                           on_user_error=dialog.show_error))

    def show_export(self, export: PsbtExport) -> PsbtExportDialog:
        self._done(f"PSBT built for {len(export.outputs)} payout{'s' if len(export.outputs) != 1 else ''}: sign it, "
                   "then use Import signed PSBT…")
        dialog = PsbtExportDialog(export, self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_import_clicked(self) -> None:
        chosen = self.selected()
        tx_id = chosen[0].payout_tx_id if len(chosen) == 1 else None
        if tx_id is None:
            return
        same_tx = [p for p in self.items if p.payout_tx_id == tx_id]
        dialog = PsbtImportDialog(self._ctx, self._payouts, tx_id, same_tx, self)
        dialog.imported.connect(lambda tx: self._done(f"Signed PSBT accepted: broadcast {tx.txid}."))
        self.dialog = dialog
        dialog.open()
