"""The Lightning node's channels (shown on Settings → Lightning): a table, Open channel…, Close… and
Force close… (each asks first), Refresh.

Everything goes through ``LightningControl`` (the real one is ``LightningService``): its refusals
(invalid_node_uri, invalid_amount_sat, peer_unreachable, not_enough_funds, ...) show beside the field
they name in the Open channel dialog, or under the table. Amounts are whole satoshis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.lightning import MAX_CHANNEL_SAT
from app.ui.dialogs import confirm, lay_out_form_dialog
from app.ui.field_errors import FieldErrors
from app.ui.formatting import short
from app.ui.ports import LightningControl
from app.ui.tables import make_table
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.chain.models import ChannelView
    from app.ui.tasks import Runner

COLUMNS = ("Peer", "State", "Capacity", "Our balance", "Their balance", "Can send", "Can receive")
MIN_CHANNEL_SAT = 20_000  # Electrum's minimum funding, as LightningService checks it
COOPERATIVE_STATES = frozenset({"OPEN"})
FORCE_STATES = frozenset({"OPEN", "FUNDED", "SHUTDOWN", "CLOSING"})
STATE_WORDS = {"PREOPENING": "opening (not broadcast yet)", "OPENING": "opening (waiting for confirmations)",
               "FUNDED": "funded (waiting for the peer)", "OPEN": "open", "SHUTDOWN": "closing (agreeing)",
               "CLOSING": "closing", "FORCE_CLOSING": "force closing", "REDEEMED": "closed (swept)",
               "CLOSED": "closed"}
CLOSE_TEXT = ("Close the channel with {peer}? RedWaves and the peer sign one closing transaction together; "
              "your {local} return to the wallet once it confirms.")
FORCE_TEXT = ("Force close the channel with {peer}? Do this only when the peer does not answer. RedWaves "
              "broadcasts its latest channel state alone: your {local} stay locked for about 144 blocks (about "
              "one day) after it confirms before they return to the wallet, and you pay the closing fee.")
OPEN_NOTE = (f"Funded from the Lightning wallet's coins by an on-chain transaction; usable after 3 "
             f"confirmations. {MIN_CHANNEL_SAT:,} to {MAX_CHANNEL_SAT:,} sat. A push gives the peer that part "
             f"of the channel at once (a payment to them), so you can receive that much right away.")


def sat(amount: int) -> str:
    return f"{amount:,} sat"


def read_sat(text: str) -> int | None:
    """'1,234 567' -> 1234567; None when it is not a whole number of satoshis."""
    digits = text.strip().replace(",", "").replace(" ", "").replace("\u202f", "").replace("_", "")
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


class OpenChannelDialog(QDialog):
    """Peer ``nodeid@host:port``, amount, optional push: ``LightningControl.open_channel``."""

    opened = Signal(object)  # ChannelView

    def __init__(self, lightning: LightningControl, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("openChannelDialog")
        self.setWindowTitle("Open a Lightning channel")
        self._lightning = lightning
        self._run = run
        self.errors = FieldErrors()
        self.peer = named(QLineEdit(), "channelPeer")
        self.peer.setPlaceholderText("nodeid@host:port")
        self.amount = named(QLineEdit(), "channelAmount")
        self.amount.setPlaceholderText("e.g. 500000")
        self.push = named(QLineEdit(), "channelPush")
        self.push.setPlaceholderText("0")
        for field, line in (("connect", self.peer), ("amount_sat", self.amount), ("push_sat", self.push)):
            line.textEdited.connect(lambda _t, f=field: self.errors.hide(f))
        form = QFormLayout()
        form.addRow("Peer", self.errors.row("connect", self.peer))
        form.addRow("Amount (sat)", self.errors.row("amount_sat", self.amount))
        form.addRow("Push to the peer (sat)", self.errors.row("push_sat", self.push))
        self.open_button = lay_out_form_dialog(self, form, OPEN_NOTE, self.errors.general,
                                               confirm_text="Open channel", confirm_name="openChannelConfirm",
                                               on_confirm=self._on_open_button_clicked)

    def values(self) -> tuple[str, int, int] | None:
        """(connect, amount_sat, push_sat) as typed, or None with the error beside its field."""
        self.errors.clear()
        amount = read_sat(self.amount.text())
        push = read_sat(self.push.text()) if self.push.text().strip() else 0
        if amount is None:
            self.errors.set("amount_sat", "Enter the amount in whole satoshis, e.g. 500000.")
        elif push is None:
            self.errors.set("push_sat", "Enter the push in whole satoshis, or leave it empty.")
        if amount is None or push is None:
            return None
        return self.peer.text().strip(), amount, push

    def _on_open_button_clicked(self) -> None:
        values = self.values()
        if values is None:
            return
        connect, amount, push = values
        self.open_button.setEnabled(False)
        self.open_button.setText("Opening…")
        self._run(self._lightning.open_channel(connect, amount, push_sat=push), self._on_opened,
                  name="lightning-open", parent=self, on_user_error=self._on_failed)

    def _on_opened(self, channel: ChannelView) -> None:
        self.opened.emit(channel)
        self.accept()

    def _on_failed(self, error: UserFacingError) -> None:
        self.open_button.setEnabled(True)
        self.open_button.setText("Open channel")
        self.errors.show(error)


class ChannelsView(QWidget):
    """The channel table and its buttons; ``changed`` asks the page to read the node again."""

    changed = Signal()

    def __init__(self, lightning: LightningControl, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lightning = lightning
        self._run = run
        self.channels: list[ChannelView] = []
        self.running = False
        self.table = make_table(COLUMNS, "channelTable", stretch=1)  # the state words take the spare width
        self.table.setMinimumHeight(150)
        self.table.itemSelectionChanged.connect(self._sync)
        self.empty = named(QLabel(wordWrap=True), "channelsEmpty")
        self.empty.setProperty("role", "muted")
        self.status = named(QLabel(wordWrap=True), "channelStatus")
        self.status.setProperty("role", "ok")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = named(QLabel(wordWrap=True), "channelError")
        self.error.setProperty("role", "error")
        self.error.hide()
        self.open_button = named(QPushButton("Open channel…"), "openChannel")
        self.close_button = named(QPushButton("Close…"), "closeChannel")
        self.force_button = named(QPushButton("Force close…"), "forceCloseChannel")
        refresh = named(QPushButton("Refresh"), "refreshChannels")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.close_button.clicked.connect(lambda: self._ask_close(force=False))
        self.force_button.clicked.connect(lambda: self._ask_close(force=True))
        refresh.clicked.connect(self.changed.emit)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.open_button, self.close_button, self.force_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        self.show_channels((), running=False)

    def show_channels(self, channels: Sequence[ChannelView], *, running: bool) -> None:
        selected = self.selected()
        self.channels, self.running = list(channels), running
        self.table.setRowCount(len(self.channels))
        for row, c in enumerate(self.channels):
            cells = (short(c.peer_id, 8), STATE_WORDS.get(c.state, c.state.lower()), sat(c.capacity_sat),
                     sat(c.local_sat), sat(c.remote_sat), sat(c.can_send_sat), sat(c.can_receive_sat))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 0:
                    item.setToolTip(c.peer_id)
                item.setData(Qt.ItemDataRole.UserRole, c.channel_id)
                self.table.setItem(row, column, item)
            if selected is not None and c.channel_id == selected.channel_id:
                self.table.selectRow(row)
        self.empty.setText("" if self.channels else
                           "No channels yet. Open one to a peer (you pay for it and can send at once), or ask "
                           "a peer to open one to you (then you can receive)." if running else
                           "Turn Lightning on above to open channels.")
        self.empty.setVisible(not self.channels)
        self._sync()

    def selected(self) -> ChannelView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.channels[rows[0].row()] if rows and rows[0].row() < len(self.channels) else None

    def _sync(self) -> None:
        chosen = self.selected()
        self.open_button.setEnabled(self.running)
        self.close_button.setEnabled(self.running and chosen is not None and chosen.state in COOPERATIVE_STATES)
        self.force_button.setEnabled(self.running and chosen is not None and chosen.state in FORCE_STATES)

    def _show_error(self, error: UserFacingError) -> None:
        self.status.clear()
        self.error.setText(error.message)
        self.error.show()

    def _on_open_button_clicked(self) -> None:
        self.error.hide()
        self.dialog = OpenChannelDialog(self._lightning, self._run, self)
        self.dialog.opened.connect(self._on_opened)
        self.dialog.open()

    def _on_opened(self, channel: ChannelView) -> None:
        self.status.setText(f"Opening a channel of {sat(channel.capacity_sat)} with {short(channel.peer_id, 8)}: "
                            f"funding transaction {short(channel.funding_txid, 8)}. It is usable after 3 "
                            "confirmations.")
        self.changed.emit()

    def _ask_close(self, *, force: bool) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        self.error.hide()
        text = (FORCE_TEXT if force else CLOSE_TEXT).format(peer=short(chosen.peer_id, 8), local=sat(chosen.local_sat))
        self.confirm_box = confirm(self, "Force close channel" if force else "Close channel", text,
                                   self._closer(chosen, force), yes_text="Force close" if force else "Close")

    def _closer(self, chosen: ChannelView, force: bool) -> Callable[[], None]:
        def close() -> None:
            self._run(self._lightning.close_channel(chosen.channel_id, force=force),
                      lambda txid: self._on_closed(chosen, force, txid), name="lightning-close", parent=self,
                      on_user_error=self._show_error)
        return close

    def _on_closed(self, chosen: ChannelView, force: bool, txid: str) -> None:
        how = ("Force closing; the funds return after about 144 blocks" if force
               else "Closing; the funds return once it confirms")
        self.status.setText(f"{how}. Channel with {short(chosen.peer_id, 8)}, closing transaction {short(txid, 8)}.")
        self.changed.emit()
