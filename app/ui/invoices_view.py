"""InvoiceListView: filters + search, the lazily loaded table, the detail panel, CSV export."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.records import Store
from app.core.statuses import InvoiceStatus
from app.ui.context import WindowContext
from app.ui.csv_export import export_csv
from app.ui.dialogs import inform
from app.ui.invoice_detail import InvoiceDetailPanel
from app.ui.invoice_table_model import COL_DESCRIPTION, COLUMN_WIDTHS, InvoiceTableModel
from app.ui.queries import InvoiceQuery
from app.ui.theme import STATUS_LABELS
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 300
NARROW_TABLE_PX = 240  # the table's height when the detail panel is under it (the page scrolls)
NARROW_PX = 900  # below this width the filters stack and the detail panel goes under the table


class InvoiceListView(QWidget):
    newInvoiceRequested = Signal()  # noqa: N815

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        invoices = ctx.services.invoices
        self.model = InvoiceTableModel(lambda q, offset, limit: invoices.list(q, offset=offset, limit=limit),
                                       invoices.get, ctx.tasks, parent=self)
        self.detail = InvoiceDetailPanel(ctx)
        self._build_filters()
        self.table = self._build_table()
        self._count = named(QLabel(), "invoiceCount")
        self._count.setProperty("role", "muted")
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self._wire()
        self._layout()

    def _build_filters(self) -> None:
        self.store_combo = named(QComboBox(), "storeFilter")
        self.store_combo.addItem("All stores", None)
        self.status_combo = named(QComboBox(), "statusFilter")
        self.status_combo.addItem("Any status", None)
        self.status_combo.addItem("Open (waiting, paid, confirming)", ("pending", "paid", "confirmed"))
        for status in InvoiceStatus:
            self.status_combo.addItem(STATUS_LABELS[status], (str(status),))
        for combo in (self.store_combo, self.status_combo):  # long store names must not widen the window
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.use_dates = named(QCheckBox("From"), "useDates")
        today = QDate.currentDate()
        self.date_from = named(QDateEdit(today.addDays(-30)), "dateFrom")
        self.date_to = named(QDateEdit(today), "dateTo")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.search = named(QLineEdit(clearButtonEnabled=True), "invoiceSearch")
        self.search.setPlaceholderText("Search id, order, description, address, email  (Ctrl+F)")
        self.new_button = named(QPushButton("New invoice"), "newInvoice")
        self.new_button.setToolTip("Ctrl+N")
        self.export_button = named(QPushButton("Export CSV…"), "exportCsv")
        self.export_emails = named(QCheckBox("Include buyer e-mails"), "exportBuyerEmails")
        self.export_emails.setToolTip("Buyer e-mails are personal data: off, the CSV has no buyer_email column.")

    def _build_table(self) -> QTableView:
        table = named(QTableView(), "invoiceTable")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(col, width)
        header.setSectionResizeMode(COL_DESCRIPTION, QHeaderView.ResizeMode.Interactive)
        return table

    def _wire(self) -> None:
        self.store_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.status_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.use_dates.toggled.connect(self._on_use_dates_toggled)
        self.date_from.dateChanged.connect(self._on_filter_changed)
        self.date_to.dateChanged.connect(self._on_filter_changed)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self.apply_filters)
        self.new_button.clicked.connect(self.newInvoiceRequested.emit)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.model.pageLoaded.connect(self._on_model_page_loaded)
        self.model.rowsRefreshed.connect(self.detail.refresh_if_shown)
        bridge = self._ctx.bridge
        bridge.invoicesChanged.connect(self.model.refresh_ids)
        bridge.invoiceCreated.connect(self.model.add_created)

    def _layout(self) -> None:
        filters, actions = QHBoxLayout(), QHBoxLayout()
        for widget in (self.store_combo, self.status_combo, self.use_dates, self.date_from, QLabel("to"),
                       self.date_to):
            filters.addWidget(widget)
        filters.addStretch(1)
        actions.addWidget(self.search, 1)
        actions.addWidget(self.new_button)
        bar = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        bar.addLayout(filters)
        bar.addLayout(actions, 1)
        self._bar = bar
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        under = QHBoxLayout()  # the export of what the table lists, beside its count (not in the filter bar)
        under.addWidget(self._count, 1)
        under.addWidget(self.export_emails)
        under.addWidget(self.export_button)
        left_layout.addLayout(under)
        splitter = named(QSplitter(Qt.Orientation.Horizontal), "invoiceSplitter")
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 360])
        self.splitter = splitter
        splitter.setChildrenCollapsible(False)
        self._narrow: bool | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    # -- filters -------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        narrow = event.size().width() < NARROW_PX
        if narrow != self._narrow:  # small screens: filters above the search, the detail under the table
            self._narrow = narrow
            self._bar.setDirection(QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight)
            self.splitter.setOrientation(Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal)
            self.splitter.setSizes([NARROW_TABLE_PX, self.detail.minimumSizeHint().height()] if narrow else [640, 360])
            self.table.setMinimumHeight(NARROW_TABLE_PX if narrow else 0)

    def set_stores(self, stores: list[Store]) -> None:
        current = self.store_combo.currentData()
        self.store_combo.blockSignals(True)
        self.store_combo.clear()
        self.store_combo.addItem("All stores", None)
        for store in stores:
            self.store_combo.addItem(store.name, store.id)
        index = self.store_combo.findData(current)
        self.store_combo.setCurrentIndex(max(index, 0))
        self.store_combo.blockSignals(False)
        self.model.set_store_names({s.id: s.name for s in stores})

    def current_query(self) -> InvoiceQuery:
        created_from = created_to = None
        if self.use_dates.isChecked():
            local = datetime.now().astimezone().tzinfo
            first, last = self.date_from.date(), self.date_to.date()
            start = datetime(first.year(), first.month(), first.day(), tzinfo=local)
            end = datetime(last.year(), last.month(), last.day(), tzinfo=local) + timedelta(days=1)
            created_from, created_to = start.astimezone(UTC), end.astimezone(UTC)
        status = self.status_combo.currentData()
        return InvoiceQuery(store_id=self.store_combo.currentData(), status=tuple(status) if status else None,
                            created_from=created_from, created_to=created_to,
                            text=self.search.text().strip() or None)

    def apply_filters(self) -> None:
        self.detail.clear()
        self.model.set_query(self.current_query())

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _on_filter_changed(self, *_args: object) -> None:
        self.apply_filters()

    def _on_use_dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply_filters()

    def _on_search_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    def _on_model_page_loaded(self, loaded: int, total: int) -> None:
        noun = "invoice" if total == 1 else "invoices"
        self._count.setText(f"{total:,} {noun}" + (f" · {loaded:,} loaded (scroll for more)" if loaded < total else ""))

    def _on_table_selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {i.row() for i in selected.indexes()}
        invoice = self.model.invoice_at(min(rows)) if rows else None
        self.detail.show_invoice(invoice.id if invoice else None)

    def select_invoice(self, invoice_id: str) -> bool:
        row = self.model.row_of(invoice_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # -- export --------------------------------------------------------------------------------

    def _on_export_button_clicked(self) -> None:
        dialog = QFileDialog(self, "Export invoices to CSV", str(Path.home() / "invoices.csv"), "CSV files (*.csv)")
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.open()

    def export_to(self, path: Path) -> None:
        invoices = self._ctx.services.invoices
        self.export_button.setEnabled(False)

        def done(count: int) -> None:
            self.export_button.setEnabled(True)
            inform(self, "Export finished", f"{count:,} invoices written to {path}.")

        services = self._ctx.services
        include = self.export_emails.isChecked()

        async def export() -> int:
            names = {p.id: p.name for p in await services.staff.list(actor=self._ctx.actor)}
            names |= {t.id: t.name for t in await services.terminals.list(actor=self._ctx.actor)}
            return await export_csv(lambda q, o, n: invoices.list(q, offset=o, limit=n), self.current_query(), path,
                                    include_buyer_email=include, names=names)

        self._ctx.run(export(), done, name="export-csv", parent=self)
