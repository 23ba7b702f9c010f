"""Settings → Lightning: which wallet runs the shop's Lightning node, Turn on / Turn off, the node id
(and ``nodeid@host:port`` when it listens) with Copy, how it is set up (listen address, trampoline or
gossip, incoming channels: read-only, from config.toml), what it can receive now, and its channels
(app/ui/lightning_view.py).

One node per RedWaves, on one hot (seed) p2wpkh wallet (docs/lightning.md). Without such a wallet the
page says so and offers **Add a hot wallet…** (the seed goes into Electrum's encrypted wallet file, as
``WalletService.add_hot_wallet`` keeps it). Refusals (channels_open, lightning_on_other_wallet, ...)
show beside the control.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.ui.dialogs import lay_out_form_dialog
from app.ui.field_errors import FieldErrors
from app.ui.lightning_view import ChannelsView
from app.ui.ports import HotWallets, LightningControl, UiSettings
from app.ui.screen_fit import scroll_inside
from app.ui.widget_names import muted, named

if TYPE_CHECKING:
    from app.chain.models import LightningNodeInfo
    from app.core.records import Wallet
    from app.services.lightning.service import LightningStatus
    from app.ui.tasks import Runner

NEEDS_HOT = ("Lightning needs a hot wallet of the native segwit kind (p2wpkh, addresses starting bc1q): one "
             "whose seed RedWaves keeps, because the node signs channel transactions with the wallet's keys. "
             "A wallet added from its public key is watch-only and cannot run it. Add one from its seed phrase "
             "with Add a hot wallet…; keep in it only what your channels need.")
SETUP_NOTE = ("These three are read when RedWaves starts, from config.toml in the data directory "
              "(lightning_listen, lightning_gossip, lightning_allow_incoming) or REDWAVES_LIGHTNING_LISTEN, "
              "REDWAVES_LIGHTNING_GOSSIP, REDWAVES_LIGHTNING_ALLOW_INCOMING. Restart RedWaves to change them.")
CANNOT_RECEIVE = "You cannot receive over Lightning yet: open a channel or ask a peer to open one to you."
HOT_NOTE = ("The seed is written only into Electrum's wallet file, encrypted with a random password kept in "
            "this computer's keyring; the database keeps the public key. Anyone who controls this computer "
            "can spend from it. An Electrum segwit seed or a BIP39 seed (native segwit account m/84'/…).")


def receive_text(status: LightningStatus) -> str:
    """Inbound liquidity said plainly."""
    if status.info is None:
        return "Lightning is not running, so it cannot receive."
    if status.can_receive_sat > 0:
        return f"You can receive up to {status.can_receive_sat:,} sat over Lightning now."
    return CANNOT_RECEIVE


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def send_text(info: LightningNodeInfo) -> str:
    return (f"You can send up to {info.can_send_sat:,} sat; {_count(len(info.channels), 'channel')}, "
            f"{_count(info.peers, 'peer')} connected.")


def state_text(status: LightningStatus, names: dict[str, str]) -> str:
    if status.wallet_id is None:
        return "Lightning is off. Turn it on to offer instant payments on the invoices of the stores that opt in."
    name = names.get(status.wallet_id, status.wallet_id)
    if status.info is None:
        return f"Lightning is turned on for “{name}”, but the node is not running: {status.problem}"
    return f"Lightning runs on the wallet “{name}”."


class AddHotWalletDialog(QDialog):
    """Name and seed phrase: ``WalletService.add_hot_wallet(name, seed, script_type="p2wpkh")``."""

    added = Signal(object)  # Wallet

    def __init__(self, wallets: HotWallets, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addHotWalletDialog")
        self.setWindowTitle("Add a hot wallet for Lightning")
        self._wallets = wallets
        self._run = run
        self.errors = FieldErrors()
        self.name = named(QLineEdit("Lightning wallet"), "hotWalletName")
        self.seed = named(QPlainTextEdit(), "hotWalletSeed")
        self.seed.setFixedHeight(64)
        self.seed.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.seed.textChanged.connect(lambda: self.errors.hide("seed"))
        form = QFormLayout()
        form.addRow("Wallet name", self.errors.row("name", self.name))
        form.addRow("Seed phrase", self.errors.row("seed", self.seed))
        self.add_button = lay_out_form_dialog(self, form, HOT_NOTE, self.errors.general,
                                              confirm_text="Add hot wallet", confirm_name="addHotWalletConfirm",
                                              on_confirm=self._on_add_button_clicked)

    def reject(self) -> None:
        self.seed.clear()  # a seed typed and cancelled does not stay in the widget
        super().reject()

    def _on_add_button_clicked(self) -> None:
        self.errors.clear()
        seed = " ".join(self.seed.toPlainText().split())
        if not seed:
            self.errors.set("seed", "Type the wallet's seed phrase (12 to 24 words).")
            return
        self.add_button.setEnabled(False)
        self._run(self._wallets.add_hot_wallet(self.name.text(), seed, script_type="p2wpkh"), self._on_added,
                  name="hot-wallet-add", parent=self, on_user_error=self._on_failed)

    def _on_added(self, wallet: Wallet) -> None:
        self.seed.clear()
        self.added.emit(wallet)
        self.accept()

    def _on_failed(self, error: UserFacingError) -> None:
        self.add_button.setEnabled(True)
        field = {"keys": "seed", "wallet_name": "name"}.get(error.field or "", error.field)
        self.errors.set(field, error.message)


def _copy_row(line: QLineEdit, button: QPushButton) -> QWidget:
    line.setReadOnly(True)
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(line.text()))
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(line, 1)
    row.addWidget(button)
    return box


class LightningPage(QWidget):
    def __init__(self, lightning: LightningControl, wallets: HotWallets, settings: UiSettings, run: Runner) -> None:
        super().__init__()
        self._lightning = lightning
        self._wallets = wallets
        self._settings = settings
        self._run = run
        self.status: LightningStatus | None = None
        self.names: dict[str, str] = {}
        self._prefer: str | None = None  # a hot wallet just added: chosen in the combo
        self.errors = FieldErrors()
        self.state = named(QLabel(wordWrap=True), "lightningState")
        self.state.setProperty("role", "h2")
        self.wallet = named(QComboBox(), "lightningWallet")
        self.wallet.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.wallet.setMinimumContentsLength(18)
        self.turn_on = named(QPushButton("Turn on"), "lightningOn")
        self.turn_off = named(QPushButton("Turn off"), "lightningOff")
        self.turn_on.clicked.connect(self._on_turn_on_clicked)
        self.turn_off.clicked.connect(self._on_turn_off_clicked)
        self.needs_hot = named(muted(NEEDS_HOT), "lightningNeedsHot")
        self.add_hot = named(QPushButton("Add a hot wallet…"), "addHotWallet")
        self.add_hot.clicked.connect(self._on_add_hot_clicked)
        self.done = named(QLabel(wordWrap=True), "lightningDone")
        self.done.setProperty("role", "ok")
        self.done.hide()
        self.hot_done = named(QLabel(wordWrap=True), "hotWalletDone")  # the same outcomes where no switch shows
        self.hot_done.setProperty("role", "ok")
        self.hot_done.hide()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.node_id = named(QLineEdit(), "lightningNodeId")
        self.node_id.setFont(mono)
        self.connect_uri = named(QLineEdit(), "lightningConnect")
        self.connect_uri.setFont(mono)
        self.onion_uri = named(QLineEdit(), "lightningOnionConnect")
        self.onion_uri.setFont(mono)
        self.receive = named(QLabel(wordWrap=True), "lightningReceive")
        self.send = named(muted(), "lightningSend")
        self.listen = named(QLabel(wordWrap=True), "lightningListen")
        self.routing = named(QLabel(wordWrap=True), "lightningRouting")
        self.incoming = named(QLabel(wordWrap=True), "lightningIncoming")
        self.channels = ChannelsView(lightning, run)
        self.channels.changed.connect(self.reload)
        self._build()

    def _build(self) -> None:
        control = QWidget()
        row = QHBoxLayout(control)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.wallet, 1)
        row.addWidget(self.turn_on)
        row.addWidget(self.turn_off)
        self.control_row = QWidget()  # the switch, with its refusal (beside it) and its outcome under it
        control_column = QVBoxLayout(self.control_row)
        control_column.setContentsMargins(0, 0, 0, 0)
        control_column.setSpacing(2)
        control_column.addWidget(self.errors.row("wallet_id", control))
        control_column.addWidget(self.errors.general)
        control_column.addWidget(self.done)
        node = QGroupBox("Node")
        form = self.form = QFormLayout(node)
        form.addRow(self.state)
        form.addRow("Wallet", self.control_row)
        hot = QWidget()
        hot_row = QVBoxLayout(hot)
        hot_row.setContentsMargins(0, 0, 0, 0)
        hot_row.addWidget(self.needs_hot)
        hot_row.addWidget(self.add_hot, 0, Qt.AlignmentFlag.AlignLeft)
        hot_row.addWidget(self.hot_done)
        self.hot_box = hot
        form.addRow(hot)
        self.node_row = _copy_row(self.node_id, named(QPushButton("Copy"), "copyNodeId"))
        form.addRow("Node id", self.node_row)
        self.connect_row = _copy_row(self.connect_uri, named(QPushButton("Copy"), "copyConnect"))
        form.addRow("Peers connect to", self.connect_row)
        self.onion_row = _copy_row(self.onion_uri, named(QPushButton("Copy"), "copyOnionConnect"))
        form.addRow("Over Tor", self.onion_row)
        liquidity = QWidget()
        liquidity_column = QVBoxLayout(liquidity)
        liquidity_column.setContentsMargins(0, 0, 0, 0)
        liquidity_column.addWidget(self.receive)
        liquidity_column.addWidget(self.send)
        form.addRow("Receive", liquidity)
        setup = QGroupBox("Set-up")
        setup_form = QFormLayout(setup)
        setup_form.addRow("Listens for peers", self.listen)
        setup_form.addRow("Routing", self.routing)
        setup_form.addRow("Incoming channels", self.incoming)
        setup_form.addRow(muted(SETUP_NOTE, "lightningSetupNote"))
        channels = QGroupBox("Channels")
        channel_column = QVBoxLayout(channels)
        channel_column.addWidget(self.channels)
        content = QWidget()
        column = QVBoxLayout(content)
        for box in (node, setup, channels):
            column.addWidget(box)
        column.addStretch(1)
        scroll_inside(self, content)

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self._run(self._load(), self._on_loaded, name="lightning-status", parent=self,
                  on_user_error=self._show_error)

    async def _load(self) -> tuple[LightningStatus, list[Wallet]]:
        return await self._lightning.status(), await self._lightning.eligible_wallets()

    def _on_loaded(self, loaded: tuple[LightningStatus, list[Wallet]]) -> None:
        status, eligible = loaded
        self.show_status(status, eligible)

    def show_status(self, status: LightningStatus, eligible: list[Wallet]) -> None:
        self.status = status
        self.names = {w.id: w.name for w in eligible}
        current = status.wallet_id or self._prefer or self.wallet.currentData()
        self.wallet.clear()
        for w in eligible:
            self.wallet.addItem(f"{w.name} ({w.fingerprint})", w.id)
        index = self.wallet.findData(current)
        self.wallet.setCurrentIndex(max(index, 0))
        self.state.setText(state_text(status, self.names))
        on = status.wallet_id is not None
        self.wallet.setEnabled(not on)
        self.turn_on.setVisible(not on or status.info is None)  # start again after a failed start
        self.turn_on.setEnabled(bool(eligible))
        self.turn_off.setVisible(on)
        self.form.setRowVisible(self.control_row, bool(eligible) or on)
        self.form.setRowVisible(self.hot_box, not eligible and not on)
        info = status.info
        self.node_id.setText(info.node_id if info else "")
        self.node_id.setCursorPosition(0)
        uri = f"{info.node_id}@{info.listen}" if info and info.listen else ""
        self.connect_uri.setText(uri)
        self.connect_uri.setCursorPosition(0)
        self.form.setRowVisible(self.node_row, info is not None)
        self.form.setRowVisible(self.connect_row, bool(uri))
        self.onion_uri.setText(status.onion_connect or "")
        self.onion_uri.setCursorPosition(0)
        self.form.setRowVisible(self.onion_row, bool(status.onion_connect))
        self.receive.setText(receive_text(status))
        self.send.setText(send_text(info) if info else "")
        self.send.setVisible(bool(info and info.channels))
        self._show_setup(status)
        self.channels.show_channels(info.channels if info else (), running=info is not None)

    def _show_setup(self, status: LightningStatus) -> None:
        info, s = status.info, self._settings
        listen = (info.listen if info else s.lightning_listen) or ""
        gossip = info.gossip if info else s.lightning_gossip
        incoming = info.incoming_allowed if info else s.lightning_allow_incoming
        self.listen.setText(f"yes, on {listen}" if listen else
                            "no: peers cannot connect to the shop; the node connects to them (lightning_listen "
                            "is empty)")
        self.routing.setText("gossip: the node downloads the network's channel graph and finds routes itself"
                             if gossip else "trampoline: payments are routed by the peers (no gossip download)")
        self.incoming.setText("allowed: peers may open channels to the shop (so it can receive)" if incoming
                              else "refused: only channels the shop opens itself")

    # -- actions -------------------------------------------------------------------------------
    def _start(self) -> None:
        self.errors.clear()
        self._say("")

    def _say(self, text: str) -> None:
        for label in (self.done, self.hot_done):
            label.setText(text)
            label.setVisible(bool(text))

    def _show_error(self, error: UserFacingError) -> None:
        self.errors.show(error)

    def _on_turn_on_clicked(self) -> None:
        self._start()
        wallet_id = (self.status.wallet_id if self.status and self.status.wallet_id else None) \
            or self.wallet.currentData()
        if not wallet_id:
            self.errors.set("wallet_id", "Choose the wallet that runs the node.")
            return
        self.turn_on.setEnabled(False)
        self.turn_on.setText("Starting…")
        self._run(self._lightning.enable(wallet_id), lambda s: self._on_switched(s, "Lightning is on."),
                  name="lightning-on", parent=self, on_user_error=self._on_switch_failed)

    def _on_turn_off_clicked(self) -> None:
        self._start()
        self.turn_off.setEnabled(False)
        self._run(self._lightning.disable(), lambda s: self._on_switched(
            s, "Lightning is off: new invoices get no Lightning invoice."), name="lightning-off", parent=self,
            on_user_error=self._on_switch_failed)

    def _reset_buttons(self) -> None:
        self.turn_on.setText("Turn on")
        self.turn_on.setEnabled(True)
        self.turn_off.setEnabled(True)

    def _on_switched(self, _status: LightningStatus, message: str) -> None:
        self._reset_buttons()
        self._say(message)
        self.reload()  # with the eligible wallets again

    def _on_switch_failed(self, error: UserFacingError) -> None:
        self._reset_buttons()
        self.errors.show(error)

    def _on_add_hot_clicked(self) -> None:
        self._start()
        self.hot_dialog = AddHotWalletDialog(self._wallets, self._run, self)
        self.hot_dialog.added.connect(self._on_hot_added)
        self.hot_dialog.open()

    def _on_hot_added(self, wallet: Wallet) -> None:
        self._prefer = wallet.id
        self._say(f"Added the hot wallet “{wallet.name}”. Turn on to start the node on it.")
        self.reload()
