"""Small fakes for widget tests: an in-memory invoice service and a UiContext around it.

mypy checks this module (pyproject [tool.mypy] files): the fakes must satisfy the Protocols in
app/ui/ports.py that the real services satisfy, so a renamed method fails in both places.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from app.core.errors import InvalidAmount, InvalidTransition, InvoiceNotFound
from app.core.records import Invoice, Page
from app.core.sales import SOLD, SalesSummary, summarize
from app.core.statuses import ExceptionStatus, InvoiceStatus
from app.services.events import OutboxEvent
from app.services.ports import StaticUrls
from app.ui.context import UiContext
from app.ui.ports import EventSource, InvoicesPort, InvoicingServices, UiSettings
from app.ui.queries import InvoiceQuery

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_invoice(n: int, *, status: InvoiceStatus = InvoiceStatus.PENDING, store_id: str = "sto_a",
                 created_at: datetime | None = None, paid_sat: int = 0) -> Invoice:
    created = created_at or T0 - timedelta(minutes=n)
    return Invoice(
        id=f"inv{n:06d}", store_id=store_id, wallet_id="wal_1", address=f"bcrt1qaddress{n}", derivation_index=n,
        price=Decimal("10.00"), currency="USD", rate=Decimal("50000"), rate_source="manual", amount_due_sat=20000,
        order_id=f"order-{n}", description=f"item {n}", buyer_email=None, items=(), metadata={}, redirect_url=None,
        notification_url=None, speed_policy=1, underpaid_tolerance_pct=Decimal(0), status=status,
        exception_status=ExceptionStatus.NONE, amount_paid_sat=paid_sat, amount_confirmed_sat=0,
        created_at=created, expires_at=created + timedelta(minutes=15),
        monitoring_until=created + timedelta(days=1), paid_at=created if paid_sat else None, confirmed_at=None,
        completed_at=None)


class FakeInvoices:
    """Newest first, like the real service; counts calls so tests can assert paging."""

    def __init__(self, count: int = 0) -> None:
        self.items: dict[str, Invoice] = {}
        for n in range(count):
            inv = make_invoice(n)
            self.items[inv.id] = inv
        self.list_calls: list[tuple[int, int]] = []
        self.get_calls: list[str] = []

    def _sorted(self, q: InvoiceQuery) -> list[Invoice]:
        found = [i for i in self.items.values() if q.matches(i)]
        return sorted(found, key=lambda i: (i.created_at, i.id), reverse=True)

    async def list(self, q: InvoiceQuery | None = None, *, offset: int = 0, limit: int = 50) -> Page:
        self.list_calls.append((offset, limit))
        rows = self._sorted(q or InvoiceQuery())
        return Page(items=tuple(rows[offset:offset + limit]), total=len(rows), offset=offset, limit=limit)

    async def get(self, invoice_id: str) -> Invoice:
        self.get_calls.append(invoice_id)
        try:
            return self.items[invoice_id]
        except KeyError:
            raise InvoiceNotFound("Invoice not found.") from None

    async def create(self, store_id: str, *, price: Decimal | str | int, currency: str | None = None,
                     order_id: str | None = None, description: str = "", buyer_email: str | None = None,
                     metadata: Mapping[str, Any] | None = None, items: Sequence[Mapping[str, Any]] = ()) -> Invoice:
        text = str(price)
        if not text or not text.replace(".", "", 1).isdigit():
            raise InvalidAmount("Enter a price like 12.50.", field="price")
        inv = replace(make_invoice(len(self.items) + 1000, store_id=store_id, created_at=datetime.now(UTC)),
                      price=Decimal(text), currency=currency or "USD", description=description or "",
                      order_id=order_id, buyer_email=buyer_email, items=tuple(dict(i) for i in items),
                      metadata=dict(metadata or {}))
        self.items[inv.id] = inv
        return inv

    async def mark(self, invoice_id: str, target: InvoiceStatus | str) -> Invoice:
        inv = await self.get(invoice_id)
        if inv.status != InvoiceStatus.PENDING:
            raise InvalidTransition("Only a pending invoice can be cancelled.")
        inv = replace(inv, status=InvoiceStatus(str(target)))
        self.items[invoice_id] = inv
        return inv

    async def sales_summary(self, *, days: int = 30, store_id: str | None = None) -> SalesSummary:
        sold = [i for i in self.items.values() if i.status in SOLD and store_id in (None, i.store_id)]
        return SalesSummary(summarize(sold, days, datetime.now().astimezone().date()).days)

    def set_status(self, invoice_id: str, status: InvoiceStatus, paid_sat: int = 20000) -> Invoice:
        inv = replace(self.items[invoice_id], status=status, amount_paid_sat=paid_sat, paid_at=datetime.now(UTC))
        self.items[invoice_id] = inv
        return inv


class FakeEvents:
    def __init__(self) -> None:
        self.subscribers: list[Callable[[OutboxEvent], None]] = []

    def subscribe(self, callback: Callable[[OutboxEvent], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def publish(self, event: OutboxEvent) -> None:
        for callback in list(self.subscribers):
            callback(event)


class FakeServices:
    """``InvoicingServices`` (the invoice dialogs) plus the events the bridge follows."""

    def __init__(self, invoices: FakeInvoices | None = None) -> None:
        self.invoices = invoices or FakeInvoices()
        self.events = FakeEvents()
        self.urls = StaticUrls({"private": "http://127.0.0.1:8470"})


class FakeSettings:
    network = "regtest"
    devnet = True
    gui_minimize_to_tray = True
    electrum_server = None
    electrum_oneserver = False
    electrum_proxy = None

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.network_dir = data_dir / "regtest"
        self.log_dir = self.network_dir / "logs"


def fake_context(tmp_path: Path, services: FakeServices | None = None) -> UiContext[FakeServices]:
    from app.ui.bridge import EventBridge
    from app.ui.icons import app_icon
    from app.ui.tasks import TaskOwner
    from app.ui.tray import TrayNotifier

    services = services or FakeServices()
    bridge = EventBridge(services.events)
    return UiContext(services=services, settings=FakeSettings(tmp_path), tasks=TaskOwner("test"), bridge=bridge,
                     tray=TrayNotifier(app_icon()), qsettings=QSettings(str(tmp_path / "gui.ini"),
                                                                         QSettings.Format.IniFormat))


def _conforms(invoices: FakeInvoices, events: FakeEvents, services: FakeServices, settings: FakeSettings) -> None:
    """Never called: mypy proves the fakes satisfy the Protocols the real services satisfy."""
    _i: InvoicesPort = invoices
    _e: EventSource = events
    _s: InvoicingServices = services
    _t: UiSettings = settings
