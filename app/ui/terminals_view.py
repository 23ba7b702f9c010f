"""Settings → Terminals: phones and tablets paired as tills of one store (the web terminal at /t/).

**Add terminal…** (name, store, the people allowed to log in there) -> ``TerminalService.add`` -> the
pairing dialog: the QR of the one-time pairing URL (``<public base>/t/pair?code=…``), the code in big
letters for typing by hand, the URL to copy, and a countdown to its expiry (10 minutes). **New code**
makes another (the old one stops). **Revoke** ends the device's token and its sessions at once, after
a confirmation. The table shows each terminal's state and when and from which address it was last seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.staff import Actor, Permission, Role
from app.ui import formatting
from app.ui.dialogs import confirm
from app.ui.field_errors import FieldErrors
from app.ui.ports import StaffPort, StoreList, TerminalsPort
from app.ui.qr import QrLabel
from app.ui.tables import make_table
from app.ui.widget_names import muted, named

if TYPE_CHECKING:
    from app.core.records import Store
    from app.services.staff.people import Person
    from app.services.staff.terminals import PairingCode, Terminal
    from app.ui.tasks import Runner

COLUMNS = ("Name", "Store", "People", "State", "Last seen")
STATES = {"waiting": "waiting for pairing", "paired": "paired", "revoked": "revoked"}
NO_URL = ("Other devices cannot reach this RedWaves yet: turn on the LAN checkout or Tor in Settings → Shop "
          "network, then press New code. The code alone can be typed at /t/pair on the shop's address.")
EMPTY = "No terminals yet. Add one, then scan its pairing QR with the phone or tablet that will be the till."


def seen_text(terminal: Terminal) -> str:
    if terminal.last_seen_at is None:
        return "never"
    where = f" from {terminal.last_seen_address}" if terminal.last_seen_address else ""
    return f"{formatting.local_time(terminal.last_seen_at)}{where}"


def may_sell_in(person: Person, store_id: str) -> bool:
    return person.active and (person.role is Role.OWNER and not person.store_ids or store_id in person.store_ids)


class PairingPanel(QWidget):
    """The pairing QR, the code in big letters, the URL (Copy) and the seconds left."""

    expired = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code: PairingCode | None = None
        self.qr = named(QrLabel(240, grow=True, min_px=150), "pairingQr")
        self.code_label = named(QLabel(alignment=Qt.AlignmentFlag.AlignCenter), "pairingCode")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(26)
        font.setWeight(QFont.Weight.Bold)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.code_label.setFont(font)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url = named(QLineEdit(readOnly=True), "pairingUrl")
        self.copy = named(QPushButton("Copy"), "copyPairingUrl")
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.url.text()))
        self.no_url = named(muted(NO_URL), "pairingNoUrl")
        self.expiry = named(QLabel(alignment=Qt.AlignmentFlag.AlignCenter), "pairingExpiry")
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._tick)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.copy)
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(muted("Open the camera of the phone or tablet and scan the code, or type the code at "
                             "the pairing page. It works once."))
        side.addWidget(self.code_label)
        side.addWidget(self.expiry)
        side.addLayout(url_row)
        side.addWidget(self.no_url)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.qr, 1)
        layout.addLayout(side, 1)

    def show_code(self, code: PairingCode) -> None:
        self.code = code
        self.code_label.setText(code.code)
        self.url.setText(code.url or "")
        self.url.setCursorPosition(0)
        has_url = code.url is not None
        for widget in (self.url, self.copy):
            widget.setVisible(has_url)
        self.no_url.setVisible(not has_url)
        self.qr.set_payload(code.url or code.code)
        self.qr.show()
        self._tick()
        self._timer.start()

    def seconds_left(self, now: datetime | None = None) -> int:
        if self.code is None:
            return 0
        return max(0, int((self.code.expires_at - (now or datetime.now(UTC))).total_seconds()))

    def _tick(self) -> None:
        left = self.seconds_left()
        if left > 0:
            m, s = divmod(left, 60)
            self.expiry.setText(f"Expires in {m}:{s:02d}")
            self.expiry.setProperty("role", "muted")
        else:
            self._timer.stop()
            self.qr.hide()
            self.expiry.setText("This code has expired. Press New code for another.")
            self.expiry.setProperty("role", "error")
            self.expired.emit()
        self.expiry.style().unpolish(self.expiry)
        self.expiry.style().polish(self.expiry)


class PairingDialog(QDialog):
    """Shows a terminal's pairing code; **New code** replaces it."""

    def __init__(self, terminals: TerminalsPort, terminal: Terminal, code: PairingCode, actor: Actor, run: Runner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairingDialog")
        self.setWindowTitle(f"Pair “{terminal.name}”")
        self._terminals, self.terminal, self._actor, self._run = terminals, terminal, actor, run
        self.errors = FieldErrors()
        self.panel = PairingPanel()
        self.panel.show_code(code)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.new_code = named(buttons.addButton("New code", QDialogButtonBox.ButtonRole.ActionRole), "newPairingCode")
        self.new_code.clicked.connect(self._on_new_code_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.errors.general)
        layout.addWidget(buttons)
        self.resize(640, 360)

    def _on_new_code_clicked(self) -> None:
        self.errors.clear()
        self._run(self._terminals.new_pairing_code(self.terminal.id, actor=self._actor), self.panel.show_code,
                  name="pairing-code", parent=self, on_user_error=self.errors.show)


class AddTerminalDialog(QDialog):
    """Name, store and the people allowed to log in there -> ``added(Terminal, PairingCode)``."""

    added = Signal(object, object)

    def __init__(self, terminals: TerminalsPort, actor: Actor, stores: Sequence[Store], people: Sequence[Person],
                 run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addTerminalDialog")
        self.setWindowTitle("Add a terminal")
        self._terminals, self._actor, self._run, self._people = terminals, actor, run, list(people)
        self.errors = FieldErrors()
        self.name = named(QLineEdit(), "terminalName")
        self.store = named(QComboBox(), "terminalStore")
        for store in stores:
            if actor.may(Permission.MANAGE_TERMINALS, store.id):
                self.store.addItem(store.name, store.id)
        self.people = named(QListWidget(), "terminalPeople")
        self.people.setMaximumHeight(130)
        self.store.currentIndexChanged.connect(lambda _i: self._fill_people())
        form = QFormLayout()
        form.addRow("Name", self.errors.row("name", self.name))
        form.addRow("Store", self.errors.row("store_id", self.store))
        form.addRow("People", self.errors.row("person_ids", self.people))
        form.addRow("", muted("A name the staff recognise (“Counter tablet”), and who may log in on this terminal "
                              "with their PIN (people of this store)."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = named(buttons.addButton("Add and pair", QDialogButtonBox.ButtonRole.AcceptRole),
                                "addTerminalConfirm")
        self.add_button.clicked.connect(self._on_add_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self._fill_people()
        self.resize(460, self.sizeHint().height())

    def _fill_people(self) -> None:
        self.people.clear()
        store_id = self.store.currentData()
        for person in self._people:
            if store_id and may_sell_in(person, store_id):
                item = QListWidgetItem(person.name)
                item.setData(Qt.ItemDataRole.UserRole, person.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if person.role is Role.CASHIER else Qt.CheckState.Unchecked)
                self.people.addItem(item)

    def chosen_people(self) -> list[str]:
        items = (self.people.item(i) for i in range(self.people.count()))
        return [i.data(Qt.ItemDataRole.UserRole) for i in items if i.checkState() == Qt.CheckState.Checked]

    def set_people(self, person_ids: Sequence[str]) -> None:
        for i in range(self.people.count()):
            item = self.people.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in person_ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _on_add_clicked(self) -> None:
        self.errors.clear()
        store_id = self.store.currentData()
        if not store_id:
            self.errors.set("store_id", "Add a store first: a terminal sells for one store.")
            return
        self.add_button.setEnabled(False)
        self._run(self._terminals.add(self.name.text(), store_id, self.chosen_people(), actor=self._actor),
                  self._on_added, name="terminal-add", parent=self, on_user_error=self._on_error)

    def _on_error(self, error: UserFacingError) -> None:
        self.add_button.setEnabled(True)
        self.errors.show(error)

    def _on_added(self, result: tuple[Terminal, PairingCode]) -> None:
        self.added.emit(*result)
        self.accept()


class TerminalsPage(QWidget):
    def __init__(self, terminals: TerminalsPort, staff: StaffPort, stores: StoreList, actor: Callable[[], Actor],
                 run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._terminals, self._staff, self._stores, self._actor, self._run = terminals, staff, stores, actor, run
        self.terminals: list[Terminal] = []
        self.people: list[Person] = []
        self.store_list: list[Store] = []
        self.dialog: QDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.table = make_table(COLUMNS, "terminalsTable", stretch=2)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty = named(muted(EMPTY), "terminalsEmpty")
        self.status = named(QLabel(wordWrap=True), "terminalsStatus")
        self.status.setProperty("role", "ok")
        self.errors = FieldErrors()
        self.add_button = named(QPushButton("Add terminal…"), "addTerminal")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.code_button = named(QPushButton("New code…"), "terminalNewCode")
        self.code_button.clicked.connect(self._on_new_code_clicked)
        self.revoke_button = named(QPushButton("Revoke…"), "revokeTerminal")
        self.revoke_button.clicked.connect(self._on_revoke_clicked)
        row = QHBoxLayout()
        for button in (self.add_button, self.code_button, self.revoke_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.status)
        self._update_buttons()

    def reload(self) -> None:
        if not self._actor().may(Permission.MANAGE_TERMINALS):  # hidden for this person; the service would refuse
            return
        self._run(self._load(), self._show, name="terminals-load", parent=self)

    async def _load(self) -> tuple[list[Terminal], list[Person], list[Store]]:
        actor = self._actor()
        terminals = await self._terminals.list(actor=actor)
        people = await self._staff.list(actor=actor) if actor.may(Permission.MANAGE_STAFF) else []
        return terminals, people, await self._stores.list()

    def _show(self, loaded: tuple[list[Terminal], list[Person], list[Store]]) -> None:
        self.terminals, self.people, self.store_list = loaded
        stores = {s.id: s.name for s in self.store_list}
        names = {p.id: p.name for p in self.people}
        self.table.setRowCount(len(self.terminals))
        for r, terminal in enumerate(self.terminals):
            cells = (terminal.name, stores.get(terminal.store_id, terminal.store_id),
                     ", ".join(names.get(p, p) for p in terminal.person_ids) or "nobody",
                     STATES.get(terminal.state, terminal.state), seen_text(terminal))
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.empty.setVisible(not self.terminals)
        self._update_buttons()

    def selected(self) -> Terminal | None:
        model = self.table.selectionModel()
        rows = model.selectedRows() if model else []
        return self.terminals[rows[0].row()] if rows and rows[0].row() < len(self.terminals) else None

    def select(self, terminal_id: str) -> None:
        for r, terminal in enumerate(self.terminals):
            if terminal.id == terminal_id:
                self.table.selectRow(r)

    def _update_buttons(self) -> None:
        terminal = self.selected()
        live = terminal is not None and terminal.state != "revoked"
        self.code_button.setEnabled(live)
        self.revoke_button.setEnabled(live)

    def _on_add_clicked(self) -> None:
        self.status.clear()
        self.errors.clear()
        dialog = AddTerminalDialog(self._terminals, self._actor(), self.store_list, self.people, self._run, self)
        dialog.added.connect(self._on_added)
        self.dialog = dialog
        dialog.open()

    def _on_added(self, terminal: Terminal, code: PairingCode) -> None:
        self.status.setText(f"Added {terminal.name}. Scan its pairing code with the device.")
        self.reload()
        self._show_pairing(terminal, code)

    def _show_pairing(self, terminal: Terminal, code: PairingCode) -> None:
        self.dialog = PairingDialog(self._terminals, terminal, code, self._actor(), self._run, self)
        self.dialog.finished.connect(lambda _r: self.reload())
        self.dialog.open()

    def _on_new_code_clicked(self) -> None:
        if (terminal := self.selected()) is None:
            return
        self.errors.clear()
        self._run(self._terminals.new_pairing_code(terminal.id, actor=self._actor()),
                  lambda code: self._show_pairing(terminal, code), name="terminal-code", parent=self,
                  on_user_error=self.errors.show)

    def _on_revoke_clicked(self) -> None:
        if (terminal := self.selected()) is None:
            return

        def revoke() -> None:
            self._run(self._terminals.revoke(terminal.id, actor=self._actor()),
                      lambda t: self._done(f"{t.name} is revoked: it can no longer sell."), name="terminal-revoke",
                      parent=self, on_user_error=self.errors.show)

        self.confirm_box = confirm(
            self, "Revoke a terminal",
            f"Revoke “{terminal.name}”? The device stops at once: whoever is logged in there is logged out, and "
            "it cannot sell again until it is added and paired anew.", revoke, yes_text="Revoke")

    def _done(self, message: str) -> None:
        self.status.setText(message)
        self.reload()
