"""The dashboard's "Sales per person and terminal": who sold how much, where, with tips, over today /
7 days / 30 days (``InvoiceService.sales_by_person``, the same sums as the CSV export's created_by,
terminal and tip columns). Shown once the shop has people or terminals: sales nobody in particular
made (the API, the owner's window without a password) are the "RedWaves" row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.staff import Actor
from app.ui import formatting
from app.ui.ports import InvoicesPort
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.core.staff import PersonSales
    from app.ui.tasks import Runner

PERIODS = (("Today", 1), ("7 days", 7), ("30 days", 30))
COLUMNS = ("Person", "Terminal", "Sales", "Amount", "Tips")


def money_text(amounts: dict[str, Decimal], sat: int | None = None) -> str:
    parts = [formatting.fiat(amount, code) for code, amount in sorted(amounts.items())]
    if sat is not None:
        parts.append(formatting.btc(sat))
    return " · ".join(parts) or "—"


def rows_of(sales: Sequence[PersonSales]) -> list[tuple[str, str, str, str, str]]:
    return [(s.person_name, s.terminal_name or ("—" if s.terminal_id is None else s.terminal_id), f"{s.count:,}",
             money_text(dict(s.fiat), s.sat), money_text(dict(s.tips))) for s in sales]


class StaffSalesPanel(QFrame):
    loaded = Signal()

    def __init__(self, invoices: InvoicesPort, actor: Callable[[], Actor], run: Runner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setObjectName("staffSales")
        self._invoices, self._actor, self._run = invoices, actor, run
        self.days = 1
        self.sales: list[PersonSales] = []
        caption = QLabel("Sales per person and terminal")
        caption.setProperty("role", "h2")
        self.group = QButtonGroup(self)
        head = QHBoxLayout()
        head.addWidget(caption, 1)
        for text, days in PERIODS:
            b = named(QPushButton(text), f"staffSales{days}")
            b.setCheckable(True)
            b.setChecked(days == self.days)
            b.clicked.connect(lambda _c=False, d=days: self.show_days(d))
            self.group.addButton(b)
            head.addWidget(b)
        self.table = named(QTableWidget(0, len(COLUMNS)), "staffSalesTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(120)
        self.empty = named(QLabel("No sales in this period."), "staffSalesEmpty")
        self.empty.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        self.hide()  # until a sale by a person or at a terminal exists

    def show_days(self, days: int) -> None:
        self.days = days
        for b in self.group.buttons():
            b.setChecked(b.objectName() == f"staffSales{days}")
        self.reload()

    def reload(self) -> None:
        days = self.days
        self._run(self._load(days), lambda sales: self._show(days, sales), name="dashboard-staff-sales",
                  on_user_error=lambda _e: self.hide())

    async def _load(self, days: int) -> tuple[bool, list[PersonSales]]:
        actor = self._actor()
        month = await self._invoices.sales_by_person(30, actor=actor)
        shown = month if days == 30 else await self._invoices.sales_by_person(days, actor=actor)
        return any(s.person_id or s.terminal_id for s in month), shown

    def _show(self, days: int, loaded: tuple[bool, list[PersonSales]]) -> None:
        if days != self.days:
            return
        staffed, self.sales = loaded
        self.setVisible(staffed)
        rows = rows_of(self.sales)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.loaded.emit()
