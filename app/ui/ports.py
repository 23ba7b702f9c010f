"""What the window and the kiosk use of the rest of RedWaves, as Protocols a type checker can prove.

The real ``app.services.container.Services`` satisfies ``UiServices`` (mypy checks it where the
controller takes ``runtime.services``); the GUI fakes in tests/ui/fakes.py and tests/kiosk/conftest.py
satisfy the narrower Protocols they stand in for, so a renamed method fails the check in both.

app.ui may not import app.services, app.db or app.chain at run time (import-linter contract); the
imports below are for the type checker only (``exclude_type_checking_imports`` in pyproject.toml).
Members are read-only properties: a dataclass field or a plain attribute satisfies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from app.chain.models import ChainEvent, ChainState
    from app.core.queries import InvoiceFilter
    from app.core.records import Invoice, Page, Product, Store
    from app.core.sales import SalesSummary
    from app.core.statuses import InvoiceStatus
    from app.net.tor import TorStatus
    from app.services.admin.apikeys import ApiKeyService
    from app.services.admin.pos import PosService
    from app.services.catalog.product_images import ProductImageStore
    from app.services.catalog.products import ProductService
    from app.services.catalog.stores import StoreService
    from app.services.delivery.email import EmailService
    from app.services.delivery.webhooks import WebhookService
    from app.services.events import OutboxEvent
    from app.services.invoicing.rates import RateService
    from app.services.ports import BackupWriter, PublicListenerStatus, Urls
    from app.services.wallets.wallets import WalletService


class UiSettings(Protocol):
    """The start-up settings the window shows (``app.config.Settings`` is the real one)."""

    @property
    def network(self) -> str: ...
    @property
    def devnet(self) -> bool: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def network_dir(self) -> Path: ...
    @property
    def log_dir(self) -> Path: ...
    @property
    def electrum_server(self) -> str | None: ...
    @property
    def electrum_oneserver(self) -> bool: ...
    @property
    def electrum_proxy(self) -> str | None: ...
    @property
    def gui_minimize_to_tray(self) -> bool: ...


class EventSource(Protocol):
    """``app.services.events.EventBus``: committed outbox events, on the app's loop."""

    def subscribe(self, callback: Callable[[OutboxEvent], None]) -> Callable[[], None]: ...


class ChainStatus(Protocol):
    """What the bridge and the kiosk read of the chain (``app.chain.watcher.ChainWatcher``)."""

    def state(self) -> ChainState: ...

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]: ...


class ChainView(ChainStatus, Protocol):
    """The window also shows wallet balances."""

    async def wallet_balance(self, wallet_id: str) -> tuple[int, int]: ...


class InvoicesPort(Protocol):
    """``app.services.invoicing.invoices.InvoiceService`` as the window and the kiosk use it."""

    async def create(self, store_id: str, *, price: Decimal | str | int, currency: str | None = None,
                     order_id: str | None = None, description: str = "", buyer_email: str | None = None,
                     metadata: Mapping[str, Any] | None = None, items: Sequence[Mapping[str, Any]] = ()) -> Invoice: ...

    async def get(self, invoice_id: str) -> Invoice: ...

    async def list(self, flt: InvoiceFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page: ...

    async def mark(self, invoice_id: str, target: InvoiceStatus | str) -> Invoice: ...

    async def sales_summary(self, *, days: int = 30, store_id: str | None = None) -> SalesSummary: ...


class StoreLookup(Protocol):
    async def get(self, store_id: str) -> Store: ...


class ProductList(Protocol):
    async def list(self, store_id: str, *, include_archived: bool = False) -> list[Product]: ...


class ImagePaths(Protocol):
    def path(self, name: str) -> Path: ...


class TorControl(Protocol):
    """``app.net.tor.TorService`` as the Settings window reads it (switching it live is issue 16)."""

    @property
    def status(self) -> TorStatus: ...

    def subscribe(self, callback: Callable[[TorStatus], None]) -> Callable[[], None]: ...


class ExposureControl(Protocol):
    """How shoppers reach the checkout, switched live from the window (Settings → Exposure, the wizard).

    The runtime implements it (issue 16): each call persists the choice and stops/starts the public
    listener or the tor component without restarting the app; a failure raises UserFacingError.
    """

    async def set_lan(self, enabled: bool) -> None: ...

    async def set_tor(self, enabled: bool) -> None: ...


class InvoicingServices(Protocol):
    """The new-invoice dialog and the invoice detail panel."""

    @property
    def invoices(self) -> InvoicesPort: ...
    @property
    def urls(self) -> Urls: ...


class KioskServices(InvoicingServices, Protocol):
    """The point-of-sale kiosk: one store, its products, invoices and the POS service (PIN, receipts)."""

    @property
    def stores(self) -> StoreLookup: ...
    @property
    def products(self) -> ProductList: ...
    @property
    def product_images(self) -> ImagePaths: ...
    @property
    def pos(self) -> PosService: ...
    @property
    def events(self) -> EventSource: ...
    @property
    def chain(self) -> ChainStatus | None: ...


class UiServices(KioskServices, Protocol):
    """Everything the owner's window uses (``Services`` is the real one)."""

    @property
    def version(self) -> str: ...
    @property
    def stores(self) -> StoreService: ...
    @property
    def products(self) -> ProductService: ...
    @property
    def product_images(self) -> ProductImageStore: ...
    @property
    def chain(self) -> ChainView | None: ...
    @property
    def wallets(self) -> WalletService: ...
    @property
    def rates(self) -> RateService: ...
    @property
    def email(self) -> EmailService: ...
    @property
    def apikeys(self) -> ApiKeyService: ...
    @property
    def webhooks(self) -> WebhookService: ...
    @property
    def backups(self) -> BackupWriter: ...
    @property
    def public(self) -> PublicListenerStatus: ...
    @property
    def tor(self) -> TorControl | None: ...
    @property
    def exposure_control(self) -> ExposureControl: ...


class GuiRuntime(Protocol):
    """``app.runtime.Runtime`` as the controller drives it."""

    @property
    def services(self) -> UiServices | None: ...

    def start_chain_loop(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
