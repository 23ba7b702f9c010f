"""Settings → Audit log: who did what, when, from which terminal. Read-only: nobody edits it (the
database refuses UPDATE and DELETE on it), this page only reads and exports.

Filters: person, terminal, store, and a date range (local days, both included). Newest first, 200 rows a
page with **Show more**. **Export CSV…** writes the same filtered log through ``AuditLog.export_csv``
(formula-safe cells) to a file chosen in a save dialog.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.staff import Actor, Permission
from app.ui import formatting
from app.ui.field_errors import FieldErrors
from app.ui.ports import AuditPort, StaffPort, StoreList, TerminalsPort
from app.ui.tables import make_table
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.core.records import Store
    from app.services.staff.audit import AuditEntry
    from app.services.staff.people import Person
    from app.services.staff.terminals import Terminal
    from app.ui.tasks import Runner

COLUMNS = ("Time", "Person", "Terminal", "Action", "Target", "Detail")
PAGE = 200
DEFAULT_DAYS = 30
ACTIONS = {
    "invoice.create": "created an invoice", "invoice.mark": "marked an invoice", "refund.create": "made a refund",
    "refund.request": "requested a refund", "refund.approve": "approved a refund", "refund.cancel": "cancelled a refund",
    "payout.approve": "approved a payout", "payout.cancel": "cancelled a payout", "payout.pay": "paid a payout",
    "product.change": "changed a product", "store.change": "changed a store", "staff.add": "added a person",
    "staff.update": "changed a person", "staff.pin": "set a PIN", "staff.password": "set a window password",
    "terminal.add": "added a terminal", "terminal.code": "made a pairing code", "terminal.pair": "paired a terminal",
    "terminal.revoke": "revoked a terminal", "login": "logged in", "login.failed": "failed to log in",
    "logout": "logged out", "kiosk.start": "started the kiosk", "kiosk.leave": "left the kiosk",
    "window.unlock": "unlocked the window", "window.unlock_failed": "failed to unlock the window",
}


def action_text(action: str) -> str:
    return ACTIONS.get(action, action)


def detail_text(detail: dict[str, object], names: dict[str, str] | None = None) -> str:
    """``name: Ben, store_ids: Corner Café``: ids the page knows are shown by name."""
    known = names or {}

    def value(v: object) -> str:
        if isinstance(v, str):
            return known.get(v, v)
        if isinstance(v, list):
            return " + ".join(value(x) for x in v) or "none"
        return str(v) if isinstance(v, int | float | bool) or v is None else json.dumps(v, default=str)

    return ", ".join(f"{k}: {value(v)}" for k, v in sorted(detail.items()))


def day_start(day: date) -> datetime:
    """Local midnight of ``day`` as an aware datetime."""
    return datetime.combine(day, time.min).astimezone()


def _combo(name: str) -> QComboBox:
    combo = named(QComboBox(), name)
    combo.addItem("All", None)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)  # long names are elided, the page never grows sideways
    return combo


def _date(name: str, day: date) -> QDateEdit:
    edit = named(QDateEdit(QDate(day.year, day.month, day.day)), name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class AuditPage(QWidget):
    def __init__(self, audit: AuditPort, staff: StaffPort, terminals: TerminalsPort, stores: StoreList,
                 actor: Callable[[], Actor], run: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._audit, self._staff, self._terminals, self._stores = audit, staff, terminals, stores
        self._actor, self._run = actor, run
        self.entries: list[AuditEntry] = []
        self.names: dict[str, str] = {}  # ids of people, terminals and stores -> their names (the Target column)
        self.more = False
        self.errors = FieldErrors()
        self.person, self.terminal, self.store = _combo("auditPerson"), _combo("auditTerminal"), _combo("auditStore")
        today = date.today()
        self.since = _date("auditSince", today - timedelta(days=DEFAULT_DAYS - 1))
        self.until = _date("auditUntil", today)
        for combo in (self.person, self.terminal, self.store):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        for edit in (self.since, self.until):
            edit.dateChanged.connect(lambda _d: self.apply_filters())
        self.table = make_table(COLUMNS, "auditTable", stretch=len(COLUMNS) - 1, single_selection=False)
        self.count = named(QLabel(), "auditCount")
        self.count.setProperty("role", "muted")
        self.status = named(QLabel(wordWrap=True), "auditStatus")
        self.status.setProperty("role", "ok")
        self.more_button = named(QPushButton("Show more"), "auditMore")
        self.more_button.clicked.connect(lambda: self._load_page(len(self.entries)))
        self.export_button = named(QPushButton("Export CSV…"), "auditExport")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.export_dialog: QFileDialog | None = None
        filters = QGridLayout()
        for col, (caption, widget) in enumerate((("Person", self.person), ("Terminal", self.terminal),
                                                 ("Store", self.store))):
            filters.addWidget(QLabel(caption), 0, 2 * col)
            filters.addWidget(widget, 0, 2 * col + 1)
        filters.addWidget(QLabel("From"), 1, 0)
        filters.addWidget(self.errors.row("since", self.since), 1, 1)
        filters.addWidget(QLabel("To"), 1, 2)
        filters.addWidget(self.errors.row("until", self.until), 1, 3)
        filters.addWidget(self.export_button, 1, 5)
        filters.setColumnStretch(6, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.status)
        note = QLabel("Read-only: every action of a person, the kiosk and the terminals is kept here, and nobody "
                      "can change or delete a row.", wordWrap=True)
        note.setProperty("role", "muted")
        layout.addWidget(note)

    # -- filters -------------------------------------------------------------------------------

    def reload(self) -> None:
        if not self._actor().may(Permission.VIEW_AUDIT):  # hidden for this person; the service would refuse
            return
        self._run(self._load_choices(), self._on_choices, name="audit-choices", parent=self)

    async def _load_choices(self) -> tuple[list[Person], list[Terminal], list[Store]]:
        actor = self._actor()
        people = await self._staff.list(actor=actor) if actor.may(Permission.MANAGE_STAFF) else []
        terminals = await self._terminals.list(actor=actor) if actor.may(Permission.MANAGE_TERMINALS) else []
        return people, terminals, await self._stores.list()

    def _on_choices(self, loaded: tuple[list[Person], list[Terminal], list[Store]]) -> None:
        people, terminals, stores = loaded
        self.names = {p.id: p.name for p in people} | {t.id: t.name for t in terminals} | {s.id: s.name for s in stores}
        for combo, items in ((self.person, [(p.name, p.id) for p in people]),
                             (self.terminal, [(t.name, t.id) for t in terminals]),
                             (self.store, [(s.name, s.id) for s in stores])):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:  # keep the leading "All"
                combo.removeItem(combo.count() - 1)
            for text, value in items:
                combo.addItem(text, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)
        self.apply_filters()

    def filters(self) -> dict[str, Any]:
        since, until = self.since.date().toPython(), self.until.date().toPython()
        assert isinstance(since, date) and isinstance(until, date)
        return {"person_id": self.person.currentData(), "terminal_id": self.terminal.currentData(),
                "store_id": self.store.currentData(), "since": day_start(since),
                "until": day_start(until + timedelta(days=1))}

    def apply_filters(self) -> None:
        self.errors.clear()
        if self.until.date() < self.since.date():
            self.errors.set("until", "The last day is before the first one.")
            return
        self._load_page(0)

    def _load_page(self, offset: int) -> None:
        flt = self.filters()
        self._run(self._audit.list(**flt, limit=PAGE + 1, offset=offset, actor=self._actor()),
                  lambda entries: self._show(offset, entries), name="audit-load", parent=self,
                  on_user_error=self.errors.show)

    def _show(self, offset: int, entries: list[AuditEntry]) -> None:
        self.more = len(entries) > PAGE
        self.entries = self.entries[:offset] + entries[:PAGE]
        self.table.setRowCount(len(self.entries))
        for r, entry in enumerate(self.entries[offset:], start=offset):
            target = self.target_text(entry)
            cells = (formatting.local_time(entry.at, seconds=True), entry.person_name, entry.terminal_name or "",
                     action_text(entry.action), target, detail_text(entry.detail, self.names))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (3, 4, 5):
                    item.setToolTip(entry.action if c == 3 else text)
                self.table.setItem(r, c, item)
        n = len(self.entries)
        self.count.setText("No entries match these filters." if not n
                           else f"{n} entr{'y' if n == 1 else 'ies'}{' (more below)' if self.more else ''}")
        self.more_button.setVisible(self.more)

    def target_text(self, entry: AuditEntry) -> str:
        """"person Ben", "invoice inv_…": the name when the page knows it, else the id."""
        target = entry.target_id or ""
        named_as = self.names.get(target, target)
        return f"{entry.target_type} {named_as}" if entry.target_type else named_as

    # -- export --------------------------------------------------------------------------------

    def _on_export_clicked(self) -> None:
        dialog = QFileDialog(self, "Export the audit log to CSV", str(Path.home() / "audit-log.csv"),
                             "CSV files (*.csv)")
        dialog.setObjectName("auditExportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        self.export_dialog = dialog
        dialog.open()

    def export_to(self, path: Path) -> None:
        self.status.clear()
        self.errors.clear()
        self._run(self._export(path), lambda rows: self.status.setText(f"Saved {rows:,} entries to {path}."),
                  name="audit-export", parent=self, on_user_error=self.errors.show)

    async def _export(self, path: Path) -> int:
        text = await self._audit.export_csv(**self.filters(), actor=self._actor())
        await asyncio.to_thread(path.write_text, text, encoding="utf-8", newline="")
        return max(0, len(text.splitlines()) - 1)

