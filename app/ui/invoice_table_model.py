"""InvoiceTableModel: pages of Invoice snapshots, loaded lazily, refreshed row by row.

Holds frozen ``Invoice`` dataclasses from the invoice service (never ORM rows). The first page loads
on ``set_query``; further pages through Qt's ``canFetchMore``/``fetchMore`` as the view scrolls, so
100,000 invoices never load at once. Live updates replace only the rows whose invoice changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from app.core.errors import NotFound
from app.core.records import Invoice, Page
from app.core.statuses import ExceptionStatus
from app.ui import formatting
from app.ui.queries import InvoiceQuery
from app.ui.tasks import TaskOwner
from app.ui.theme import STATUS_LABELS, status_color

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
COLUMNS = ("Created", "Status", "Price", "Amount (BTC)", "Description", "Invoice", "Paid (BTC)", "Store")
COL_CREATED, COL_STATUS, COL_PRICE, COL_BTC, COL_DESCRIPTION, COL_ID, COL_PAID, COL_STORE = range(len(COLUMNS))
COLUMN_WIDTHS = (118, 168, 80, 122, 200, 110, 122, 110)
InvoiceRole = Qt.ItemDataRole.UserRole + 1

EXCEPTION_LABELS = {
    ExceptionStatus.PAID_PARTIAL: "underpaid",
    ExceptionStatus.PAID_OVER: "overpaid",
    ExceptionStatus.PAID_LATE: "paid late",
    ExceptionStatus.FAILED_CONFIRM: "failed to confirm",
    ExceptionStatus.MARKED: "marked",
}

Fetch = Callable[[InvoiceQuery, int, int], Coroutine[Any, Any, Page]]
Get = Callable[[str], Coroutine[Any, Any, Invoice]]
_Index = QModelIndex | QPersistentModelIndex


def status_text(invoice: Invoice) -> str:
    text = STATUS_LABELS.get(invoice.status, str(invoice.status))
    extra = EXCEPTION_LABELS.get(invoice.exception_status)
    return f"{text} · {extra}" if extra else text


def _dot(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(color)
    painter.setPen(color.darker(130))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class InvoiceTableModel(QAbstractTableModel):
    pageLoaded = Signal(int, int)  # rows loaded so far, total  # noqa: N815
    rowsRefreshed = Signal(list)  # invoice ids whose rows were replaced  # noqa: N815

    def __init__(self, fetch: Fetch, get: Get, tasks: TaskOwner, *, page_size: int = PAGE_SIZE,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._get = get
        self._tasks = tasks
        self._page_size = page_size
        self._rows: list[Invoice] = []
        self._index: dict[str, int] = {}
        self._total = 0
        self._query = InvoiceQuery()
        self._generation = 0
        self._loading = False
        self._store_names: dict[str, str] = {}
        self._icons: dict[str, QIcon] = {}
        self.pages_loaded = 0

    # -- data source ---------------------------------------------------------------------------

    @property
    def query(self) -> InvoiceQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def loading(self) -> bool:
        return self._loading

    def set_store_names(self, names: Mapping[str, str]) -> None:
        self._store_names = dict(names)
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_STORE), self.index(len(self._rows) - 1, COL_STORE))

    def set_query(self, query: InvoiceQuery) -> None:
        """Replace the filter: drop every row and load the first page."""
        self._query = query
        self._generation += 1
        self.beginResetModel()
        self._rows, self._index, self._total = [], {}, 0
        self.endResetModel()
        self._loading = False
        self._load_page(0)

    def reload(self) -> None:
        self.set_query(self._query)

    def _load_page(self, offset: int) -> None:
        self._loading = True
        generation = self._generation
        self._tasks.spawn(self._fetch(self._query, offset, self._page_size), name="invoices-page",
                          on_done=lambda page: self._on_page(generation, page))

    def _on_page(self, generation: int, page: Page) -> None:
        if generation != self._generation:
            return  # a newer query replaced this one
        self._loading = False
        self.pages_loaded += 1
        fresh = [inv for inv in page.items if inv.id not in self._index]
        self._total = max(page.total, len(self._rows) + len(fresh))
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for inv in fresh:
                self._index[inv.id] = len(self._rows)
                self._rows.append(inv)
            self.endInsertRows()
        self.pageLoaded.emit(len(self._rows), self._total)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self._loading and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._load_page(len(self._rows))

    # -- live updates --------------------------------------------------------------------------

    def refresh_ids(self, invoice_ids: Iterable[str]) -> None:
        """Re-read only the invoices this model shows (a payment, a status change)."""
        wanted = [i for i in invoice_ids if i in self._index]
        if wanted:
            generation = self._generation
            self._tasks.spawn(self._get_many(wanted), name="invoices-refresh",
                              on_done=lambda found: self._apply(generation, found))

    async def _get_many(self, ids: list[str]) -> list[Invoice]:
        found = []
        for invoice_id in ids:
            try:
                found.append(await self._get(invoice_id))
            except NotFound:
                logger.warning("invoice %s vanished", invoice_id)
        return found

    def _apply(self, generation: int, invoices: list[Invoice]) -> None:
        if generation != self._generation:
            return
        for inv in invoices:
            self.replace(inv)
        self.rowsRefreshed.emit([inv.id for inv in invoices])

    def replace(self, invoice: Invoice) -> bool:
        row = self._index.get(invoice.id)
        if row is None:
            return False
        self._rows[row] = invoice
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def add_created(self, invoice_id: str) -> None:
        """A new invoice: fetch it and put it on top if it matches the current filter."""
        generation = self._generation
        self._tasks.spawn(self._get(invoice_id), name="invoices-new",
                          on_done=lambda inv: self._insert_top(generation, inv))

    def _insert_top(self, generation: int, invoice: Invoice) -> None:
        if generation != self._generation or invoice.id in self._index or not self._query.matches(invoice):
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, invoice)
        self._index = {inv.id: i for i, inv in enumerate(self._rows)}
        self._total += 1
        self.endInsertRows()
        self.pageLoaded.emit(len(self._rows), self._total)

    # -- access --------------------------------------------------------------------------------

    def invoice_at(self, row: int) -> Invoice | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, invoice_id: str) -> int | None:
        return self._index.get(invoice_id)

    def loaded(self) -> list[Invoice]:
        return list(self._rows)

    # -- Qt model interface --------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        inv, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(inv, col)
        if role == InvoiceRole:
            return inv
        if col == COL_STATUS and role == Qt.ItemDataRole.ForegroundRole:
            return status_color(inv.status)
        if col == COL_STATUS and role == Qt.ItemDataRole.DecorationRole:
            key = str(inv.status)
            if key not in self._icons:
                self._icons[key] = _dot(status_color(inv.status))
            return self._icons[key]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_PRICE, COL_BTC, COL_PAID):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_ID:
                return inv.address
            if col == COL_CREATED:
                return formatting.local_time(inv.created_at, seconds=True)
        return None

    def _display(self, inv: Invoice, col: int) -> str:
        if col == COL_CREATED:
            return formatting.local_time(inv.created_at)
        if col == COL_ID:
            return inv.id
        if col == COL_STORE:
            return self._store_names.get(inv.store_id, inv.store_id)
        if col == COL_DESCRIPTION:
            parts = [p for p in (inv.order_id and f"#{inv.order_id}", inv.description) if p]
            return " · ".join(parts)
        if col == COL_PRICE:
            return formatting.fiat(inv.price, inv.currency)
        if col == COL_BTC:
            return formatting.btc(inv.amount_due_sat)
        if col == COL_STATUS:
            return status_text(inv)
        if col == COL_PAID:
            return formatting.btc(inv.amount_paid_sat) if inv.amount_paid_sat else ""
        return ""
