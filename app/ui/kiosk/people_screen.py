"""With people (Settings → Staff), the kiosk starts and lets go with a person's PIN instead of the merchant PIN.

``PeopleScreen``: "Who is selling?" (start) or "Who lets the kiosk go?" (leave, refund): one big button
per person; then the PIN page (kiosk/pin_dialog.py) checks that person's PIN through
``StaffService.check_pin`` (``PersonPin``: the same tries-left and lockout answers as the merchant PIN,
kept on the person's row). Who may let the kiosk go: the person selling, or a manager or the owner of
the store (``may_release``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from app.core.staff import Actor, Permission, Role
from app.ui.kiosk.widgets import button, label
from app.ui.ports import KioskStaff

if TYPE_CHECKING:
    from app.services.staff.people import Person, PinResult

COLUMNS = 3


@dataclass(frozen=True)
class LockState:
    ok: bool
    attempts_left: int
    locked_for_s: int


def sellers(staff: KioskStaff, people: Sequence[Person], store_id: str) -> list[Person]:
    """The active people who may sell in ``store_id``."""
    return [p for p in people if p.active and staff.actor_of(p).may(Permission.SELL, store_id)]


def may_release(person: Person, seller: Actor | None) -> bool:
    """The person selling, or a manager / the owner (of the store: ``sellers`` already checked it)."""
    return (seller is not None and person.id == seller.person_id) or person.role in (Role.MANAGER, Role.OWNER)


class PersonPin:
    """The PIN page's guard for one person (``state`` / ``verify`` as PinGuard); ``actor`` after a good PIN."""

    def __init__(self, staff: KioskStaff, person: Person) -> None:
        self._staff = staff
        self.person = person
        self.actor: Actor | None = None

    async def state(self) -> LockState:
        until = self.person.locked_until
        left = max(0, int((until - datetime.now(UTC)).total_seconds() + 0.999)) if until else 0
        return LockState(ok=False, attempts_left=0, locked_for_s=left)

    async def verify(self, pin: str) -> PinResult:
        result = await self._staff.check_pin(self.person.id, pin)
        self.actor = result.actor if result.ok else None
        return result


class PeopleScreen(QWidget):
    picked = Signal(object)  # Person
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskPeople")
        self.reason = "start"
        self.people: list[Person] = []
        self.title = label(name="peopleTitle", role="title", center=True, wrap=True)
        self.grid = QGridLayout()
        self.grid.setSpacing(8)
        self.buttons: list[QWidget] = []
        self.back_button = button("Back to RedWaves", name="peopleBack", on_click=self.back.emit)
        self.back_button.setMaximumHeight(64)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.grid, 1)
        layout.addWidget(self.back_button)

    def show_people(self, people: Sequence[Person], reason: str, title: str, back_text: str) -> None:
        self.reason, self.people = reason, list(people)
        self.title.setText(title)
        self.back_button.setText(back_text)
        for old in self.buttons:
            self.grid.removeWidget(old)
            old.deleteLater()
        self.buttons = []
        for n, person in enumerate(self.people):
            b = button(person.name, name=f"person_{n}", role="primary" if reason == "start" else "",
                       on_click=partial(self.picked.emit, person))
            b.setMaximumHeight(96)
            self.grid.addWidget(b, n // COLUMNS, n % COLUMNS)
            self.buttons.append(b)

    def pick(self, name: str) -> None:
        """Tap the button of ``name`` (tests)."""
        person = next(p for p in self.people if p.name == name)
        self.picked.emit(person)
