"""Settings → Staff: the shop's people (owner, managers, cashiers), their stores, PINs and window passwords.

Every change goes through ``StaffService`` with the unlocked person's actor (``actor()``), so the
service's rules decide (a manager may add and change only cashiers of their own stores; docs/staff.md);
the page only offers the roles ``may_manage`` allows. Refusals show beside the field they name
(name, role, store_ids, pin, password) or under the form. PINs and passwords are typed twice and never
shown; a person is deactivated (never deleted: the audit log keeps their name), after a confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
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
from app.core.staff import ROLE_LABELS, Actor, Permission, Role, may_manage
from app.ui import formatting
from app.ui.dialogs import confirm
from app.ui.field_errors import FieldErrors
from app.ui.ports import StaffPort, StoreList
from app.ui.tables import make_table
from app.ui.widget_names import muted, named

if TYPE_CHECKING:
    from app.core.records import Store
    from app.services.staff.people import Person
    from app.ui.tasks import Runner

COLUMNS = ("Name", "Role", "Stores", "Window password", "Locked until")
PIN_NOTE = "4 to 8 digits. Used at the kiosk and on the shop's terminals."
PASSWORD_NOTE = ("Optional, 8 to 200 characters. With a window password set, RedWaves starts locked and this "
                 "person unlocks the admin window with their name and password.")
EMPTY = "No people yet. Add the owner first, then managers and cashiers."


def store_names(person: Person, stores: dict[str, str]) -> str:
    if person.role is Role.OWNER and not person.store_ids:
        return "all stores"
    return ", ".join(stores.get(s, s) for s in person.store_ids) or "none"


def locked_text(person: Person, now: datetime | None = None) -> str:
    until = person.locked_until
    if until is None or until <= (now or datetime.now(UTC)):
        return ""
    return formatting.local_time(until, seconds=True)


def _secret(name: str) -> QLineEdit:
    return named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), name)


def check_twice(errors: FieldErrors, field: str, first: str, again: str, what: str) -> bool:
    """Both entries the same; otherwise say so beside the second one."""
    if first != again:
        errors.set(f"{field}_again", f"The two {what}s differ; type the same {what} twice.")
        return False
    return True


class PersonDialog(QDialog):
    """Add (name, role, stores, PIN twice, optional password twice) or edit (name, role, stores) a person."""

    saved = Signal(object)  # Person

    def __init__(self, staff: StaffPort, actor: Actor, stores: Sequence[Store], run: Runner,
                 person: Person | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("personDialog")
        self.setWindowTitle("Edit person" if person else "Add a person")
        self._staff, self._actor, self._run, self.person = staff, actor, run, person
        self.errors = FieldErrors()
        self.name = named(QLineEdit(person.name if person else ""), "personName")
        self.role = named(QComboBox(), "personRole")
        scope = sorted(actor.store_ids) if actor.store_ids is not None else ["every"]
        for role in Role:
            if may_manage(actor, role, scope) or (person and person.role is role):
                self.role.addItem(ROLE_LABELS[role], role.value)
        self.role.setCurrentIndex(max(0, self.role.findData((person.role if person else Role.CASHIER).value)))
        self.stores = named(QListWidget(), "personStores")
        self.stores.setMaximumHeight(110)
        chosen = set(person.store_ids) if person else ({stores[0].id} if len(stores) == 1 else set())
        for store in stores:
            item = QListWidgetItem(store.name)
            item.setData(Qt.ItemDataRole.UserRole, store.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if store.id in chosen else Qt.CheckState.Unchecked)
            self.stores.addItem(item)
        self.role.currentIndexChanged.connect(lambda _i: self._on_role_changed())
        self.pin, self.pin_again = _secret("personPin"), _secret("personPinAgain")
        self.password, self.password_again = _secret("personPassword"), _secret("personPasswordAgain")
        form = QFormLayout()
        form.addRow("Name", self.errors.row("name", self.name))
        form.addRow("Role", self.errors.row("role", self.role))
        form.addRow("Stores", self.errors.row("store_ids", self.stores))
        self.stores_note = muted("An owner works in every store.")
        form.addRow("", self.stores_note)
        if person is None:
            form.addRow("PIN", self.errors.row("pin", self.pin))
            form.addRow("PIN again", self.errors.row("pin_again", self.pin_again))
            form.addRow("", muted(PIN_NOTE))
            form.addRow("Window password", self.errors.row("password", self.password))
            form.addRow("Password again", self.errors.row("password_again", self.password_again))
            form.addRow("", muted(PASSWORD_NOTE))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = named(buttons.addButton("Save" if person else "Add person",
                                                   QDialogButtonBox.ButtonRole.AcceptRole), "personSave")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self._on_role_changed()
        self.resize(480, self.sizeHint().height())

    def chosen_role(self) -> Role:
        return Role(self.role.currentData() or Role.CASHIER)

    def chosen_stores(self) -> list[str]:
        items = (self.stores.item(i) for i in range(self.stores.count()))
        return [item.data(Qt.ItemDataRole.UserRole) for item in items if item.checkState() == Qt.CheckState.Checked]

    def set_stores(self, store_ids: Sequence[str]) -> None:
        for i in range(self.stores.count()):
            item = self.stores.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in store_ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _on_role_changed(self) -> None:
        owner = self.chosen_role() is Role.OWNER
        self.stores.setEnabled(not owner)
        self.stores_note.setVisible(owner)

    def _on_save_button_clicked(self) -> None:
        self.errors.clear()
        role, store_ids = self.chosen_role(), self.chosen_stores()
        if role is Role.OWNER:
            store_ids = []
        if self.person is not None:
            coro = self._staff.update(self.person.id, name=self.name.text(), role=role, store_ids=store_ids,
                                      actor=self._actor)
        else:
            pin, password = self.pin.text(), self.password.text()
            if not check_twice(self.errors, "pin", pin, self.pin_again.text(), "PIN"):
                return
            if not check_twice(self.errors, "password", password, self.password_again.text(), "password"):
                return
            coro = self._staff.add(self.name.text(), role, pin, store_ids=store_ids, password=password or None,
                                   actor=self._actor)
        self.save_button.setEnabled(False)
        self._run(coro, self._on_saved, name="person-save", parent=self, on_user_error=self._on_error)

    def _on_error(self, error: UserFacingError) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(error)

    def _on_saved(self, person: Person) -> None:
        self.pin.clear()
        self.pin_again.clear()
        self.password.clear()
        self.password_again.clear()
        self.saved.emit(person)
        self.accept()


class SecretDialog(QDialog):
    """A new PIN (``field`` "pin") or window password ("password"), typed twice, for one person."""

    saved = Signal()

    def __init__(self, person: Person, field: str, save: Callable[[str], Coroutine[Any, Any, None]], run: Runner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinResetDialog" if field == "pin" else "passwordDialog")
        what = "PIN" if field == "pin" else "window password"
        self.setWindowTitle(f"New {what} for {person.name}")
        self._field, self._what, self._save, self._run = field, what, save, run
        self.errors = FieldErrors()
        self.first, self.again = _secret(f"new_{field}"), _secret(f"new_{field}_again")
        form = QFormLayout()
        form.addRow(f"New {what}", self.errors.row(field, self.first))
        form.addRow("Again", self.errors.row(f"{field}_again", self.again))
        form.addRow("", muted(PIN_NOTE if field == "pin" else "8 to 200 characters."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = named(buttons.addButton(f"Set {what}", QDialogButtonBox.ButtonRole.AcceptRole),
                                 "secretSave")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def _on_save_button_clicked(self) -> None:
        self.errors.clear()
        value = self.first.text()
        if not check_twice(self.errors, self._field, value, self.again.text(), self._what.split()[-1]):
            return
        self._run(self._save(value), lambda _r: self._on_saved(), name="secret-save", parent=self,
                  on_user_error=self.errors.show)

    def _on_saved(self) -> None:
        self.first.clear()
        self.again.clear()
        self.saved.emit()
        self.accept()


class StaffPage(QWidget):
    """The people table and its actions; ``actor()`` is who the window is unlocked for."""

    changed = Signal()

    def __init__(self, staff: StaffPort, stores: StoreList, actor: Callable[[], Actor], run: Runner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._staff, self._stores, self._actor, self._run = staff, stores, actor, run
        self.people: list[Person] = []
        self.store_list: list[Store] = []
        self.dialog: QDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.table = make_table(COLUMNS, "peopleTable", stretch=2)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self._on_edit_clicked())
        self.empty = named(muted(EMPTY), "staffEmpty")
        self.status = named(QLabel(wordWrap=True), "staffStatus")
        self.status.setProperty("role", "ok")
        self.buttons: dict[str, QPushButton] = {}
        row = QGridLayout()  # two rows of three: the page fits an 800x480 screen
        for n, (name, text, slot) in enumerate((("addPerson", "Add person…", self._on_add_clicked),
                                 ("editPerson", "Edit…", self._on_edit_clicked),
                                 ("resetPin", "Reset PIN…", self._on_reset_pin_clicked),
                                 ("setPassword", "Set password…", self._on_set_password_clicked),
                                 ("clearPassword", "Clear password", self._on_clear_password_clicked),
                                 ("deactivatePerson", "Deactivate…", self._on_deactivate_clicked))):
            button = self.buttons[name] = named(QPushButton(text), name)
            button.clicked.connect(slot)
            row.addWidget(button, n // 3, n % 3)
        row.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(muted("Roles: an owner does everything; a manager runs their stores (products, invoices, "
                               "refund approval, reports, their cashiers, terminals); a cashier sells, sees "
                               "today's payments of their till and asks for refunds."))
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        if not self._actor().may(Permission.MANAGE_STAFF):  # hidden for this person; the service would refuse
            return
        self._run(self._load(), self._show, name="staff-load", parent=self)

    async def _load(self) -> tuple[list[Person], list[Store]]:
        return await self._staff.list(actor=self._actor()), await self._stores.list()

    def _show(self, loaded: tuple[list[Person], list[Store]]) -> None:
        people, self.store_list = loaded
        self.people = [p for p in people if p.active]
        names = {s.id: s.name for s in self.store_list}
        self.table.setRowCount(len(self.people))
        for r, person in enumerate(self.people):
            cells = (person.name, ROLE_LABELS[person.role], store_names(person, names),
                     "yes" if person.has_password else "no", locked_text(person))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, person.id)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not self.people)
        self.buttons["addPerson"].setEnabled(self._actor().may(Permission.MANAGE_STAFF))
        self._update_buttons()

    def selected(self) -> Person | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.people[rows[0].row()] if rows and rows[0].row() < len(self.people) else None

    def select(self, person_id: str) -> None:
        for r, person in enumerate(self.people):
            if person.id == person_id:
                self.table.selectRow(r)

    def _update_buttons(self) -> None:
        person = self.selected()
        for name in ("editPerson", "resetPin", "setPassword", "deactivatePerson"):
            self.buttons[name].setEnabled(person is not None)
        self.buttons["clearPassword"].setEnabled(person is not None and person.has_password)

    # -- actions -------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.open()

    def _on_add_clicked(self) -> None:
        self.status.clear()
        dialog = PersonDialog(self._staff, self._actor(), self.store_list, self._run, parent=self)
        dialog.saved.connect(lambda p: self._done(f"Added {p.name}."))
        self._open(dialog)

    def _on_edit_clicked(self) -> None:
        if (person := self.selected()) is not None:
            dialog = PersonDialog(self._staff, self._actor(), self.store_list, self._run, person, self)
            dialog.saved.connect(lambda p: self._done(f"Saved {p.name}."))
            self._open(dialog)

    def _secret(self, field: str) -> None:
        if (person := self.selected()) is None:
            return
        actor = self._actor()

        def save(value: str) -> Coroutine[Any, Any, None]:
            if field == "pin":
                return self._staff.set_pin(person.id, value, actor=actor)
            return self._staff.set_password(person.id, value, actor=actor)

        dialog = SecretDialog(person, field, save, self._run, self)
        what = "PIN" if field == "pin" else "window password"
        dialog.saved.connect(lambda: self._done(f"New {what} set for {person.name}."))
        self._open(dialog)

    def _on_reset_pin_clicked(self) -> None:
        self._secret("pin")

    def _on_set_password_clicked(self) -> None:
        self._secret("password")

    def _on_clear_password_clicked(self) -> None:
        if (person := self.selected()) is None:
            return

        def clear() -> None:
            self._run(self._staff.set_password(person.id, None, actor=self._actor()),
                      lambda _r: self._done(f"{person.name} has no window password now."), name="password-clear",
                      parent=self)

        self.confirm_box = confirm(self, "Clear the window password",
                f"Clear {person.name}'s window password? They can no longer unlock the admin window; with no "
                "window password left, RedWaves starts unlocked.", clear, yes_text="Clear password")

    def _on_deactivate_clicked(self) -> None:
        if (person := self.selected()) is None:
            return

        def deactivate() -> None:
            self._run(self._staff.update(person.id, active=False, actor=self._actor()),
                      lambda p: self._done(f"{p.name} is deactivated."), name="person-deactivate", parent=self)

        self.confirm_box = confirm(self, "Deactivate a person",
                f"Deactivate {person.name}? Their PIN and password stop working at once, on the kiosk and on "
                "every terminal (their sessions end). The audit log keeps what they did.", deactivate,
                yes_text="Deactivate")

    def _done(self, message: str) -> None:
        self.status.setText(message)
        self.changed.emit()
        self.reload()
