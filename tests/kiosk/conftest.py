"""Kiosk test set-up: fakes for widget tests (a store, products, invoices, a POS service with an
in-memory PIN and a controllable clock), a whole runtime on the qasync loop for end-to-end tests, and
screenshots under tests/artifacts/kiosk/.

mypy checks this module: ``KioskServices`` here must satisfy ``app.ui.ports.KioskServices``, the
Protocol the real ``Services`` satisfies."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from app.chain.models import ChainEvent, ChainState, ConnectionChanged
from app.core.errors import StoreNotFound
from app.core.records import Invoice, Product, Store
from app.core.staff import SYSTEM, Actor
from app.core.statuses import InvoiceStatus
from app.services.admin.pos import MemoryPinStorage, PinGuard, PosService
from app.services.admin.printing import MemorySettingStorage, PrinterService
from app.services.ports import StaticUrls
from app.ui.context import UiContext
from app.ui.kiosk.window import KioskWindow
from app.ui.ports import KioskServices as KioskServicesPort
from app.ui.ports import UiSettings
from tests.ui.conftest import (  # noqa: F401 - the UI fixtures, reused here
    _collect_after_test,
    _gui_thread_gc,
    _theme,
    qloop,
    regtest_settings,
    run,
    wait_until,
)
from tests.ui.fakes import FakeEvents, FakeInvoices, FakeSettings
from tests.ui.fakes_refunds import FakeRefunds

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
SIZES = {"small": (800, 480), "fullhd": (1920, 1080)}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def shot(widget: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path


async def settle(seconds: float = 0.15) -> None:
    await asyncio.sleep(seconds)


def gone(window: QWidget) -> bool:
    """The kiosk is closed for good: hidden, or already deleted (it deletes itself once let out)."""
    return not shiboken6.isValid(window) or not window.isVisible()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_store(**kw: Any) -> Store:
    base = dict(id="sto_k", name="Corner Café", default_currency="USD", speed_policy=1, expiry_s=900,
                monitoring_s=86400, underpaid_tolerance_pct=Decimal(0), rate_source="manual",
                rate_spread_pct=Decimal(0), wallet_ids=("wal_1",))
    return Store(**{**base, **kw})


def make_products() -> list[Product]:
    rows = [("Espresso", "2.50", "Coffee"), ("Cappuccino", "3.80", "Coffee"), ("Flat white", "3.90", "Coffee"),
            ("Croissant", "2.20", "Bakery"), ("Muffin", "2.90", "Bakery"), ("Orange juice", "3.50", "Drinks"),
            ("Tea", "2.00", "Drinks"), ("Bagel", "3.10", "Bakery")]
    return [Product(id=f"prd_{i}", store_id="sto_k", name=n, description="", price=Decimal(p), category=c,
                    image=None, stock=None, archived=False, created_at=T0) for i, (n, p, c) in enumerate(rows)]


class FakeStores:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, store_id: str) -> Store:
        if store_id != self.store.id:
            raise StoreNotFound("Store not found.")
        return self.store


class FakeProducts:
    def __init__(self, products: list[Product]) -> None:
        self.products = products

    async def list(self, store_id: str, *, include_archived: bool = False) -> list[Product]:
        return [p for p in self.products if p.store_id == store_id and (include_archived or not p.archived)]


class FakeImages:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / name


class KioskInvoices(FakeInvoices):
    async def create(self, store_id: str, *, price: Decimal | str | int, currency: str | None = None,
                     order_id: str | None = None, description: str = "", buyer_email: str | None = None,
                     metadata: Mapping[str, Any] | None = None, items: Sequence[Mapping[str, Any]] = (),
                     actor: Actor = SYSTEM, tip: Decimal | None = None) -> Invoice:
        inv = await super().create(store_id, price=price, currency=currency, order_id=order_id,
                                   description=description, buyer_email=buyer_email, metadata=metadata, items=items,
                                   actor=actor, tip=tip)
        inv = replace(inv, expires_at=datetime.now(UTC) + timedelta(minutes=15))
        self.items[inv.id] = inv
        self.created = inv
        return inv

    def pay(self, invoice_id: str, sat: int) -> Invoice:
        inv = self.items[invoice_id]
        paid = inv.amount_paid_sat + sat
        status = InvoiceStatus.PAID if paid >= inv.amount_due_sat else InvoiceStatus.PENDING
        inv = replace(inv, amount_paid_sat=paid, status=status, paid_at=datetime.now(UTC) if status == InvoiceStatus.PAID else None)
        self.items[invoice_id] = inv
        return inv

    def complete(self, invoice_id: str) -> Invoice:
        """The store's speed policy is met (enough confirmations): ``complete``, as the engine sets it."""
        inv = replace(self.items[invoice_id], status=InvoiceStatus.COMPLETE, completed_at=datetime.now(UTC))
        self.items[invoice_id] = inv
        return inv


def chain_state(*, connected: bool = True, synced: bool = True) -> ChainState:
    return ChainState(connected=connected, server="devnet" if connected else None, tip_height=101, synced=synced,
                      pending_requests=0, error=None)


class FakeChain:
    """``ChainStatus``: ``set(state)`` delivers a ConnectionChanged, as the chain watcher does."""

    def __init__(self) -> None:
        self.current = chain_state()
        self.subscribers: list[Callable[[ChainEvent], None]] = []

    def state(self) -> ChainState:
        return self.current

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def set(self, state: ChainState) -> None:
        self.current = state
        for callback in list(self.subscribers):
            callback(ConnectionChanged(state))


class KioskServices:
    def __init__(self, clock: Clock, tmp_path: Path) -> None:
        self.store = make_store()
        self.stores = FakeStores(self.store)
        self.products = FakeProducts(make_products())
        self.product_images = FakeImages(tmp_path / "images")
        self.invoices = KioskInvoices()
        self.events = FakeEvents()
        self.chain = FakeChain()
        self.urls = StaticUrls({"private": "http://127.0.0.1:8470"})
        self.pin_storage = MemoryPinStorage()
        guard = PinGuard(self.pin_storage, clock=clock, params={"n": 2**4, "r": 8, "p": 1})
        # PosService is typed with the concrete services (app/services/admin/pos.py); these fakes have
        # the two methods it calls (stores.get, invoices.get).
        self.pos = PosService(guard, self.stores, self.invoices, None)
        # the real printer service on in-memory settings: the system printer (a PDF here) until a test picks one
        self.printer_settings = MemorySettingStorage()
        self.printer = PrinterService(self.printer_settings, self.pos)
        self.refunds = FakeRefunds(self.invoices)  # the real refund rules over the fake invoices
        self.staff = NoStaff()  # no people: the merchant PIN guards the kiosk (tests/kiosk/test_kiosk_staff.py: people)
        self.audit = NoteLog()


class NoStaff:
    """``KioskStaff`` of a shop without people."""

    async def list(self, *, actor: Actor = SYSTEM) -> list[Any]:
        return []

    async def check_pin(self, person_id: str, pin: str) -> Any:
        raise AssertionError("no people here")

    def actor_of(self, person: Any, *, terminal_id: str | None = None) -> Actor:
        raise AssertionError("no people here")


class NoteLog:
    """``AuditNote``: what the kiosk noted."""

    def __init__(self) -> None:
        self.notes: list[tuple[Actor, str]] = []

    async def note(self, actor: Actor, action: str, *, store_id: str | None = None, target_type: str | None = None,
                   target_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
        self.notes.append((actor, action))


@dataclass
class KioskEnv:
    ctx: UiContext[KioskServices]
    services: KioskServices
    clock: Clock
    tmp_path: Path

    @property
    def pos(self) -> PosService:
        return self.services.pos


def make_context(tmp_path: Path, services: KioskServicesPort, settings: UiSettings,
                 parent: QWidget | None = None) -> UiContext[KioskServicesPort]:
    from app.ui.bridge import EventBridge
    from app.ui.icons import app_icon
    from app.ui.tasks import TaskOwner
    from app.ui.tray import TrayNotifier

    bridge = EventBridge(services.events, services.chain)
    return UiContext(services=services, settings=settings, tasks=TaskOwner("kiosk-test"), bridge=bridge,
                     tray=TrayNotifier(app_icon()), qsettings=QSettings(str(tmp_path / "gui.ini"),
                                                                         QSettings.Format.IniFormat),
                     parent=parent)


@pytest.fixture
def kiosk_env(qloop: asyncio.AbstractEventLoop, qapp: QApplication,  # noqa: F811 - the fixture
              tmp_path: Path) -> Iterator[KioskEnv]:
    qapp.setQuitOnLastWindowClosed(False)  # as run_gui: closing the kiosk must not stop the loop
    clock = Clock()
    services = KioskServices(clock, tmp_path)
    ctx = _kiosk_context(tmp_path, services)
    ctx.bridge.start()
    try:
        yield KioskEnv(ctx, services, clock, tmp_path)
    finally:
        _close(qloop, ctx)


def _kiosk_context(tmp_path: Path, services: KioskServices) -> UiContext[KioskServices]:
    from app.ui.bridge import EventBridge
    from app.ui.icons import app_icon
    from app.ui.tasks import TaskOwner
    from app.ui.tray import TrayNotifier

    return UiContext(services=services, settings=FakeSettings(tmp_path), tasks=TaskOwner("kiosk-test"),
                     bridge=EventBridge(services.events, services.chain), tray=TrayNotifier(app_icon()),
                     qsettings=QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))


def open_test_kiosk(ctx: UiContext[KioskServicesPort], store_id: str | None, size: tuple[int, int],
                    **options: Any) -> KioskWindow:
    from app.ui.kiosk import open_kiosk
    from app.ui.kiosk.options import KioskOptions

    opts = KioskOptions(**{"use_system_printer": False, "sound": False, **options})
    window = open_kiosk(ctx, store_id, fullscreen=False, options=opts)
    window.resize(*size)
    return window


@pytest.fixture
def runtime_env(qloop: asyncio.AbstractEventLoop, qapp: QApplication,  # noqa: F811 - the fixture
                tmp_path: Path) -> Iterator[Any]:
    """The real app (SQLite, Electrum in-process, embedded devnet) started on the qasync loop, with a
    UiContext around it: what the kiosk gets inside the GUI."""
    from app.runtime import Runtime

    qapp.setQuitOnLastWindowClosed(False)
    runtime = Runtime(regtest_settings(tmp_path / "data"))
    runtime.start_chain_loop()
    ctx = None
    try:
        run(qloop, runtime.start(), 60)
        assert runtime.services is not None
        ctx = make_context(tmp_path, runtime.services, runtime.settings)
        ctx.bridge.start()
        yield runtime, ctx
    finally:
        if ctx is not None:
            _close(qloop, ctx)
        run(qloop, runtime.stop(), 30)


def _close(loop: asyncio.AbstractEventLoop, ctx: UiContext[KioskServicesPort]) -> None:
    """Close the kiosk (even after a failed test) before the loop goes: no widget outlives its loop."""
    ctx.bridge.stop()
    kiosk = ctx.kiosk
    if kiosk is not None:
        kiosk.unlocked = True
        kiosk.close()
        kiosk.deleteLater()
    run(loop, ctx.tasks.stop(1.0), 5)
    gc.collect()  # this test's Qt garbage goes here, on the GUI thread, not in some worker thread later


__all__ = ["ARTIFACTS", "SIZES", "KioskEnv", "chain_state", "gone", "open_test_kiosk", "run", "settle", "shot",
           "wait_until"]
