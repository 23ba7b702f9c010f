"""Dashboard: sales today / 7 / 30 days (fiat and BTC) with a chart, open invoices, recent payments,
and the chain connection with sync progress. Reloads (debounced) when the bridge reports activity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.records import Invoice, Page
from app.ui import formatting
from app.ui.chart import Bar, SalesChart
from app.ui.context import WindowContext
from app.ui.health_status import chain_detail
from app.ui.invoice_table_model import status_text
from app.ui.queries import InvoiceQuery
from app.ui.sales import SOLD, SalesSummary, Totals, load_sales, merge_recent
from app.ui.staff_sales import StaffSalesPanel
from app.ui.widget_names import named

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.chain.models import ChainState
    from app.core.chain_route import ResolvedRoute

RELOAD_DEBOUNCE_MS = 1500
NARROW_PX = 760  # below this width the dashboard stacks its cards and panels
OPEN = ("pending", "paid", "confirmed")


def card(title: str, value: QLabel, sub: QLabel) -> QFrame:
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    caption = QLabel(title)
    caption.setProperty("role", "muted")
    value.setProperty("role", "big")
    sub.setProperty("role", "muted")
    for widget in (caption, value, sub):
        layout.addWidget(widget)
    return frame


def _fiat_text(totals: Totals) -> str:
    if not totals.fiat:
        return formatting.btc(totals.sat) if totals.sat else "—"
    return "  ".join(formatting.fiat(amount, code) for code, amount in sorted(totals.fiat.items()))


class SyncStatusWidget(QFrame):
    """Chain connection, tip height and a progress bar while the wallets catch up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.headline = named(QLabel("Chain: starting…"), "chainHeadline")
        self.headline.setProperty("role", "h2")
        self.detail = named(QLabel(wordWrap=True), "chainDetail")
        self.detail.setProperty("role", "muted")
        self.progress = named(QProgressBar(textVisible=True), "syncProgress")
        self.progress.hide()
        self._max_pending = 0
        self.route: Callable[[], ResolvedRoute | None] = lambda: None  # Dashboard: services.chain_route
        layout = QVBoxLayout(self)
        for widget in (self.headline, self.detail, self.progress):
            layout.addWidget(widget)

    def set_state(self, state: ChainState | None) -> None:
        if state is None:
            self.headline.setText("Chain: not available")
            return
        pending = state.pending_requests
        if not state.connected:
            self.headline.setText("● Offline — not connected to an Electrum server")
            self.headline.setStyleSheet("color: #D32F2F;")
        elif not state.synced:
            self.headline.setText("● Connected, synchronizing…")
            self.headline.setStyleSheet("color: #B26A00;")
        else:
            self.headline.setText("● Connected and up to date")
            self.headline.setStyleSheet("color: #2E7D32;")
        self.detail.setText(chain_detail(self.route(), state))  # the route first: who learns the addresses
        if state.connected and not state.synced:
            self._max_pending = max(self._max_pending, pending)
            self.progress.setRange(0, max(self._max_pending, 1) if pending else 0)
            self.progress.setValue(self._max_pending - pending)
            self.progress.setFormat(f"{pending} wallet requests outstanding" if pending else "waiting for server")
            self.progress.show()
        else:
            self._max_pending = 0
            self.progress.hide()


class Dashboard(QWidget):
    newInvoiceRequested = Signal()  # noqa: N815
    posRequested = Signal()  # noqa: N815
    invoiceActivated = Signal(str)  # noqa: N815
    loaded = Signal()

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.summary: SalesSummary | None = None
        self.counts_loaded = False
        self.values = {k: named(QLabel("…"), f"sales_{k}") for k in ("today", "week", "month", "open")}
        self.subs = {k: named(QLabel(), f"sales_{k}_sub") for k in self.values}
        self.chart = SalesChart()
        self.recent = named(QListWidget(), "recentPayments")
        self.recent.itemActivated.connect(self._on_recent_item_activated)
        self.sync = SyncStatusWidget()
        self.sync.route = lambda: ctx.services.chain_route.current().running
        self.staff_sales = StaffSalesPanel(ctx.services.invoices, lambda: ctx.actor, ctx.run)  # staff_sales.py
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_DEBOUNCE_MS)
        self._reload_timer.timeout.connect(lambda: self.reload(full=False))
        self._loading = False
        self._again: str | None = None
        self._layout()
        bridge = ctx.bridge
        for signal in (bridge.paymentReceived, bridge.statusChanged):
            signal.connect(self._on_bridge_activity)
        bridge.invoiceCreated.connect(self._on_bridge_activity)
        bridge.chainStateChanged.connect(self.sync.set_state)
        if ctx.services.chain is None:
            self.sync.set_state(None)

    def _layout(self) -> None:
        title = QLabel("Dashboard")
        title.setProperty("role", "h1")
        new_button = named(QPushButton("New invoice"), "dashboardNewInvoice")
        new_button.clicked.connect(self.newInvoiceRequested.emit)
        pos_button = named(QPushButton("Point of sale"), "posButton")
        pos_button.clicked.connect(self.posRequested.emit)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(pos_button)
        head.addWidget(new_button)
        self._cards_grid = QGridLayout()
        self._cards = [card(caption, self.values[key], self.subs[key])
                       for key, caption in (("today", "Today"), ("week", "Last 7 days"),
                                            ("month", "Last 30 days"), ("open", "Open invoices"))]
        recent_box = QVBoxLayout()
        recent_caption = QLabel("Recent payments")
        recent_caption.setProperty("role", "h2")
        recent_box.addWidget(recent_caption)
        recent_box.addWidget(self.recent)
        lower = self._lower = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        chart_frame = QFrame()
        chart_frame.setProperty("role", "card")
        QVBoxLayout(chart_frame).addWidget(self.chart)
        lower.addWidget(chart_frame, 3)
        lower.addLayout(recent_box, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.sync)
        layout.addLayout(self._cards_grid)
        layout.addLayout(lower, 1)
        layout.addWidget(self.staff_sales)
        self._columns = 0
        self._reflow(self.width())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._reflow(event.size().width())

    def _reflow(self, width: int) -> None:
        """Four cards in a row and the chart beside the recent payments on a wide window; two by two
        and stacked on a small screen (800x480 shop displays)."""
        columns = 4 if width >= NARROW_PX else 2
        if columns == self._columns:
            return
        self._columns = columns
        for n, frame in enumerate(self._cards):
            self._cards_grid.addWidget(frame, n // columns, n % columns)
        self._lower.setDirection(QBoxLayout.Direction.LeftToRight if columns == 4 else QBoxLayout.Direction.TopToBottom)

    # -- loading -------------------------------------------------------------------------------

    def reload(self, *, full: bool = True) -> None:
        """Counts and recent payments first (fast), then the sales figures. Full: recount 30 days;
        otherwise (live activity) only today and yesterday are recounted and merged."""
        self._ctx.run(self._load_counts(), self._on_counts_loaded, name="dashboard-counts")
        self.staff_sales.reload()
        if self._loading:
            self._again = self._again if self._again == "full" else ("full" if full else "recent")
            return
        self._loading = True
        self._ctx.run(self._load_sales(full), self._on_sales_loaded, name="dashboard-sales",
                      on_user_error=lambda e: self._done_loading())

    async def _load_counts(self) -> tuple[Page, Page]:
        invoices = self._ctx.services.invoices
        open_page = await invoices.list(InvoiceQuery(status=OPEN), offset=0, limit=1)
        recent = await invoices.list(InvoiceQuery(status=SOLD), offset=0, limit=8)
        return open_page, recent

    async def _load_sales(self, full: bool) -> SalesSummary:
        invoices = self._ctx.services.invoices
        history = self.summary
        if full or history is None or history.days[-1].day != date.today():
            return await load_sales(invoices, days=30)
        return merge_recent(history, await load_sales(invoices, days=2))

    def _done_loading(self) -> None:
        self._loading = False
        again, self._again = self._again, None
        if again:
            self.reload(full=again == "full")

    def _on_counts_loaded(self, result: tuple[Page, Page]) -> None:
        open_page, recent = result
        self.values["open"].setText(f"{open_page.total:,}")
        self.subs["open"].setText("waiting, paid or confirming")
        self._show_recent(list(recent.items))
        self.counts_loaded = True

    def _on_sales_loaded(self, summary: SalesSummary) -> None:
        self.summary = summary
        self._done_loading()
        for key, days in (("today", 1), ("week", 7), ("month", 30)):
            totals = summary.totals(days)
            self.values[key].setText(_fiat_text(totals))
            self.subs[key].setText(f"{formatting.btc(totals.sat)} · {totals.count} sale{'s' * (totals.count != 1)}")
        self._show_chart(summary)
        self.loaded.emit()

    def _show_chart(self, summary: SalesSummary) -> None:
        codes = sorted({c for d in summary.days for c in d.fiat})
        code = codes[0] if len(codes) == 1 else None
        bars = []
        for day in summary.days:
            if code:
                amount = day.fiat.get(code, Decimal(0))
                value, caption = amount, formatting.fiat(amount, code) if amount else "no sales"
            else:
                value, caption = Decimal(day.sat), formatting.btc(day.sat)
            bars.append(Bar(day.day.strftime("%m-%d"), value, caption))
        note = " (partial: too many invoices to count here)" if summary.truncated else ""
        self.chart.set_bars(bars, f"Sales per day, last 30 days ({code or 'BTC'}){note}")

    def _show_recent(self, invoices: list[Invoice]) -> None:
        self.recent.clear()
        if not invoices:
            self.recent.addItem(QListWidgetItem("No payments yet. Create an invoice with Ctrl+N."))
            return
        for inv in invoices:
            text = (f"{formatting.fiat(inv.price, inv.currency)}  ·  {formatting.btc(inv.amount_paid_sat)}\n"
                    f"{inv.id} · {status_text(inv)} · {formatting.relative(inv.paid_at or inv.created_at)}")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, inv.id)
            self.recent.addItem(item)

    def _on_bridge_activity(self, *_args: object) -> None:
        if not self._reload_timer.isActive():
            self._reload_timer.start()

    def _on_recent_item_activated(self, item: QListWidgetItem) -> None:
        invoice_id = item.data(Qt.ItemDataRole.UserRole)
        if invoice_id:
            self.invoiceActivated.emit(invoice_id)
