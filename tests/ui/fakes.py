"""Small fakes for widget tests: an in-memory invoice service and a UiContext around it.

mypy checks this module (pyproject [tool.mypy] files): the fakes must satisfy the Protocols in
app/ui/ports.py that the real services satisfy, so a renamed method fails in both places.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from app.core.chain_route import ChainRoute, RouteInputs, resolve
from app.core.closed_payments import ClosedPayment
from app.core.errors import InvalidAmount, InvalidTransition, InvoiceNotFound, StoreNotFound, UserFacingError
from app.core.invoice_limits import DEFAULT_LIMIT, InvoicePreview, LargeInvoiceLimit, check_limit
from app.core.money import format_btc, is_fiat, normalize_currency, parse_price, price_to_sat, sat_to_fiat
from app.core.records import Invoice, Page, Store
from app.core.sales import SOLD, SalesSummary, summarize
from app.core.staff import SYSTEM, Actor, PersonSales
from app.core.statuses import ExceptionStatus, InvoiceStatus
from app.net.electrum_probe import ProbeResult
from app.net.exposure_state import ExposureState, LanChange, TlsChange, TorChange
from app.net.tor import TorState, TorStatus
from app.services.admin.pos import MemoryPinStorage, PinGuard, PosService
from app.services.chain_route import ChainRouteState
from app.services.events import OutboxEvent
from app.services.ports import StaticUrls
from app.ui.context import UiContext
from app.ui.ports import (
    ChainRouteControl,
    DevnetPort,
    EventSource,
    ExposureControl,
    InvoiceDialogServices,
    InvoicesPort,
    InvoicingServices,
    UiSettings,
)
from app.ui.queries import InvoiceQuery
from tests.ui.fakes_refunds import FakeRefunds

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAKE_RATE = Decimal("50000")  # fiat per BTC for every fiat currency in the fakes


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
        self.limit = DEFAULT_LIMIT
        self.actors: list[Actor] = []  # who created each invoice (the kiosk's person)

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
                     metadata: Mapping[str, Any] | None = None, items: Sequence[Mapping[str, Any]] = (),
                     actor: Actor = SYSTEM, tip: Decimal | None = None) -> Invoice:
        self.actors.append(actor)
        text = str(price)
        if not text or not text.replace(".", "", 1).isdigit():
            raise InvalidAmount("Enter a price like 12.50.", field="price")
        inv = replace(make_invoice(len(self.items) + 1000, store_id=store_id, created_at=datetime.now(UTC)),
                      price=Decimal(text), currency=currency or "USD", description=description or "",
                      order_id=order_id, buyer_email=buyer_email, items=tuple(dict(i) for i in items),
                      metadata=dict(metadata or {}))
        self.items[inv.id] = inv
        return inv

    async def mark(self, invoice_id: str, target: InvoiceStatus | str, *, actor: Actor = SYSTEM) -> Invoice:
        inv = await self.get(invoice_id)
        if inv.status != InvoiceStatus.PENDING:
            raise InvalidTransition("Only a pending invoice can be cancelled.")
        inv = replace(inv, status=InvoiceStatus(str(target)))
        self.items[invoice_id] = inv
        return inv

    async def sales_summary(self, *, days: int = 30, store_id: str | None = None) -> SalesSummary:
        sold = [i for i in self.items.values() if i.status in SOLD and store_id in (None, i.store_id)]
        return SalesSummary(summarize(sold, days, datetime.now().astimezone().date()).days)

    async def sales_by_person(self, days: int = 30, store_id: str | None = None, *,
                              actor: Actor = SYSTEM) -> builtins.list[PersonSales]:
        return []  # no people in these fakes (tests/ui/test_dashboard_staff.py uses the real service)

    async def preview(self, store_id: str, *, price: Decimal | str | int,
                      currency: str | None = None) -> InvoicePreview:
        """The real money rules at FAKE_RATE, and the limit kept in memory."""
        code = normalize_currency(currency or "USD")
        amount = parse_price(price, code)
        sat = price_to_sat(amount, code, FAKE_RATE if is_fiat(code) else None)
        limit, above = self.limit, None
        if sat > limit.btc_sat:
            above = f"{format_btc(limit.btc_sat)} BTC"
        elif limit.fiat is not None:
            value = amount if code == limit.fiat_currency else sat_to_fiat(sat, FAKE_RATE, limit.fiat_currency)
            above = f"{limit.fiat:,} {limit.fiat_currency}" if value > limit.fiat else None
        return InvoicePreview(price=amount, currency=code, amount_due_sat=sat,
                              rate=FAKE_RATE if is_fiat(code) else None, above_limit=above)

    async def large_invoice_limit(self) -> LargeInvoiceLimit:
        return self.limit

    async def set_large_invoice_limit(self, limit: LargeInvoiceLimit) -> LargeInvoiceLimit:
        self.limit = check_limit(limit)
        return self.limit

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


def make_store(store_id: str = "sto_a", name: str = "Corner Shop", currency: str = "EUR") -> Store:
    return Store(store_id, name, currency, 1, 900, 86400, Decimal(0), "manual", Decimal(0), ("wal_1",))


class FakeStoreLookup:
    def __init__(self, *stores: Store) -> None:
        self.items = {s.id: s for s in stores or (make_store(),)}

    async def get(self, store_id: str) -> Store:
        try:
            return self.items[store_id]
        except KeyError:
            raise StoreNotFound("Store not found.") from None


class FakeDevnet:
    """Records "Pay with devnet" / "Mine a block"; ``on_pay`` lets a test move the fake invoice on."""

    def __init__(self) -> None:
        self.paid: list[tuple[str, int]] = []
        self.mined = 0
        self.on_pay: Callable[[str, int], None] | None = None

    async def pay(self, address: str, sat: int) -> str:
        self.paid.append((address, sat))
        if self.on_pay is not None:
            self.on_pay(address, sat)
        return f"{len(self.paid):064x}"

    async def mine(self, n: int = 1) -> list[str]:
        self.mined += n
        return [f"{self.mined:064x}"]


class FakeExposureControl:
    """``ExposureControl`` in memory: applies changes to an ``ExposureState``; ``fail_next`` makes the next
    apply raise (e.g. ``PortInUse(..., field="public_port")``) and leaves the state as it was."""

    def __init__(self, state: ExposureState | None = None) -> None:
        self.state = state or ExposureState(config_file=Path("/data/config.toml"))
        self.calls: list[object] = []
        self.fail_next: UserFacingError | None = None
        self.subscribers: list[Callable[[ExposureState], None]] = []

    def current(self) -> ExposureState:
        return self.state

    def subscribe(self, callback: Callable[[ExposureState], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def publish(self, state: ExposureState) -> None:
        self.state = state
        for callback in list(self.subscribers):
            callback(state)

    def _apply(self, change: object, **values: Any) -> ExposureState:
        self.calls.append(change)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        self.publish(replace(self.state, **values))
        return self.state

    async def set_lan(self, enabled: bool) -> None:
        s = self.state
        await self.apply_lan(LanChange(enabled, s.public_host, s.public_port, s.public_url or ""))

    async def set_tor(self, enabled: bool) -> None:
        await self.apply_tor(TorChange(enabled, self.state.tor_mode, self.state.tor_control))

    async def apply_lan(self, change: LanChange) -> ExposureState:
        url = f"http://{change.host}:{change.port}" if change.enabled else None
        return self._apply(change, lan_enabled=change.enabled, public_host=change.host, public_port=change.port,
                           public_url=change.public_url or None, serving_url=url, lan_urls=(url,) if url else ())

    async def apply_tls(self, change: TlsChange) -> ExposureState:
        return self._apply(change, tls_enabled=change.enabled, tls_cert=change.cert_path, tls_key=change.key_path)

    async def apply_tor(self, change: TorChange) -> ExposureState:
        status = TorStatus(TorState.BOOTSTRAPPING) if change.enabled else None
        return self._apply(change, tor_enabled=change.enabled, tor_mode=change.mode, tor_control=change.control,
                           tor=status)


class FakeChainRoute:
    """``ChainRouteControl`` in memory: ``apply`` records (route, server) and becomes the running route;
    ``fail_next`` makes the next test/apply raise; ``probe_result`` is what a test answers."""

    def __init__(self, state: ChainRouteState | None = None) -> None:
        self.state = state or ChainRouteState(
            route=None, server=None, running=resolve(RouteInputs(network="mainnet", tor_available=True)),
            tor_available=True, devnet=False, locked={}, config_file=Path("/data/config.toml"), pending_restart=False)
        self.applied: list[tuple[str, str]] = []
        self.tested: list[tuple[str, str]] = []
        self.fail_next: UserFacingError | None = None
        self.probe_result: ProbeResult | None = None

    def current(self) -> ChainRouteState:
        return self.state

    def _fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    async def test(self, route: str, server: str, *, timeout_s: float = 15.0) -> ProbeResult:
        self.tested.append((route, server))
        self._fail()
        assert self.probe_result is not None, "set probe_result first"
        return self.probe_result

    async def apply(self, route: str, server: str) -> ChainRouteState:
        self.applied.append((route, server))
        self._fail()
        running = resolve(RouteInputs(network="mainnet", route=route, server=server or None, tor_available=True))
        self.state = replace(self.state, route=ChainRoute(route), server=server or None, running=running)
        return self.state


class FakeClosedWatch:
    """``ClosedPaymentsPort`` in memory: ``found`` is what a chain check "finds" per invoice id."""

    def __init__(self) -> None:
        self.recorded: dict[str, list[ClosedPayment]] = {}
        self.found: dict[str, list[ClosedPayment]] = {}
        self.checked: list[str] = []

    async def payments_of(self, invoice_ids: Sequence[str]) -> dict[str, list[ClosedPayment]]:
        return {i: list(self.recorded[i]) for i in invoice_ids if i in self.recorded}

    async def check_invoice(self, invoice_id: str) -> list[ClosedPayment]:
        self.checked.append(invoice_id)
        self.recorded.setdefault(invoice_id, []).extend(self.found.pop(invoice_id, []))
        return list(self.recorded[invoice_id])


class FakeServices:
    """``InvoiceDialogServices`` (the invoice dialogs) plus the events the bridge follows.
    ``pos`` is the real PosService over the fakes (receipts); ``devnet`` is None unless a test sets one."""

    def __init__(self, invoices: FakeInvoices | None = None, *, devnet: FakeDevnet | None = None) -> None:
        self.invoices = invoices or FakeInvoices()
        self.events = FakeEvents()
        self.urls = StaticUrls({"private": "http://127.0.0.1:8470"})
        self.stores = FakeStoreLookup()
        self.pos = PosService(PinGuard(MemoryPinStorage()), self.stores, self.invoices, None)
        self.devnet: FakeDevnet | None = devnet
        self.closed_watch = FakeClosedWatch()
        self.refunds = FakeRefunds(self.invoices)  # real refund rules over the fake invoices (fakes_refunds.py)


class FakeSettings:
    network = "regtest"
    devnet = True
    gui_minimize_to_tray = True
    electrum_server = None
    electrum_oneserver = False
    electrum_proxy = None
    payout_settled_confirmations = 6
    lightning_listen = ""
    lightning_gossip = False
    lightning_allow_incoming = True

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


def _conforms(invoices: FakeInvoices, events: FakeEvents, services: FakeServices, settings: FakeSettings,
              devnet: FakeDevnet) -> None:
    """Never called: mypy proves the fakes satisfy the Protocols the real services satisfy."""
    _i: InvoicesPort = invoices
    _e: EventSource = events
    _s: InvoicingServices = services
    _d: InvoiceDialogServices = services
    _n: DevnetPort = devnet
    _t: UiSettings = settings


def _conforms_exposure(exposure: FakeExposureControl) -> None:
    """Never called: the exposure fake satisfies the window's ExposureControl, like the runtime's controller."""
    _x: ExposureControl = exposure


def _conforms_chain_route(chain_route: FakeChainRoute) -> None:
    """Never called: the chain route fake satisfies the window's ChainRouteControl, like ChainRouteService."""
    _c: ChainRouteControl = chain_route
