"""The window's lock screen: once any person has a window password, RedWaves starts here and File →
Lock (Ctrl+L) comes back here. A name and a password -> ``StaffService.window_login`` -> ``unlocked(Actor)``;
a wrong password or a lockout is said beside the password field (the service counts the tries and
keeps the lockout across restarts). Which views the person then sees: ``allowed_views``.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.core.errors import UserFacingError
from app.core.staff import Actor, Permission
from app.ui.field_errors import FieldErrors
from app.ui.ports import StaffPort
from app.ui.tasks import Runner
from app.ui.widget_names import named

VIEW_PERMISSIONS: dict[str, Permission | None] = {
    "Dashboard": Permission.VIEW_SALES, "Invoices": Permission.VIEW_SALES, "Payouts": Permission.APPROVE_REFUND,
    "Stores": Permission.MANAGE_STORE, "Wallets": Permission.ADMIN, "Products": Permission.MANAGE_PRODUCTS,
    "Settings": None, "About": None,
}
SETTINGS_PERMISSIONS: dict[str, Permission] = {
    "Staff": Permission.MANAGE_STAFF, "Terminals": Permission.MANAGE_TERMINALS, "Audit log": Permission.VIEW_AUDIT,
}  # every other Settings page: ADMIN (the owner)
ACTION_PERMISSIONS: dict[str, Permission] = {
    "newInvoice": Permission.MARK_INVOICE, "pointOfSale": Permission.SELL, "backup": Permission.ADMIN,
    "restore": Permission.ADMIN, "search": Permission.VIEW_SALES,
}


def settings_pages(actor: Actor, names: Iterable[str]) -> list[str]:
    return [n for n in names if actor.may(SETTINGS_PERMISSIONS.get(n, Permission.ADMIN))]


def allowed_views(actor: Actor, names: Iterable[str], settings_names: Iterable[str] = ()) -> list[str]:
    """The navigation entries ``actor`` may use; Settings only when one of its pages is theirs."""
    shown = []
    for name in names:
        permission = VIEW_PERMISSIONS.get(name)
        if name == "Settings":
            if settings_pages(actor, settings_names):
                shown.append(name)
        elif permission is None or actor.may(permission):
            shown.append(name)
    return shown


class LockScreen(QWidget):
    unlocked = Signal(object)  # Actor

    def __init__(self, staff: StaffPort, run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self._staff, self._run = staff, run
        self.errors = FieldErrors()
        title = QLabel("RedWaves is locked", alignment=Qt.AlignmentFlag.AlignCenter)
        title.setProperty("role", "h1")
        note = QLabel("The shop keeps serving. Unlock with your name and window password.", wordWrap=True,
                      alignment=Qt.AlignmentFlag.AlignCenter)
        note.setProperty("role", "muted")
        self.name = named(QLineEdit(), "lockName")
        self.password = named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "lockPassword")
        self.name.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self._on_unlock_clicked)
        self.password.textEdited.connect(lambda _t: self.errors.hide("password"))
        self.unlock_button = named(QPushButton("Unlock"), "unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._on_unlock_clicked)
        box = named(QFrame(), "lockBox")
        box.setProperty("role", "card")
        box.setFixedWidth(460)
        form = QFormLayout()
        form.addRow("Name", self.errors.row("name", self.name))
        form.addRow("Password", self.errors.row("password", self.password))
        form.addRow("", self.unlock_button)
        column = QVBoxLayout(box)
        column.addWidget(title)
        column.addWidget(note)
        column.addLayout(form)
        column.addWidget(self.errors.general)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def reset(self) -> None:
        self.password.clear()
        self.errors.clear()
        self.unlock_button.setEnabled(True)
        (self.password if self.name.text() else self.name).setFocus()

    def _on_unlock_clicked(self) -> None:
        self.errors.clear()
        name, password = self.name.text().strip(), self.password.text()
        if not name:
            self.errors.set("name", "Type your name.")
            return
        self.unlock_button.setEnabled(False)
        self._run(self._staff.window_login(name, password), self._on_unlocked, name="window-unlock", parent=self,
                  on_user_error=self._on_refused)

    def _on_refused(self, error: UserFacingError) -> None:
        self.unlock_button.setEnabled(True)
        self.password.clear()
        self.errors.set(error.field or "password", error.message)

    def _on_unlocked(self, actor: Actor) -> None:
        self.password.clear()
        self.unlock_button.setEnabled(True)
        self.unlocked.emit(actor)
