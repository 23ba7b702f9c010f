"""What the window and the kiosk use of the rest of RedWaves, as Protocols a type checker can prove.

The real ``app.services.container.Services`` satisfies ``UiServices`` (mypy checks it where the
controller takes ``runtime.services``); the GUI fakes in tests/ui/fakes.py and tests/kiosk/conftest.py
satisfy the narrower Protocols they stand in for, so a renamed method fails the check in both.

app.ui may not import app.services, app.db or app.chain at run time (import-linter contract); the
imports below are for the type checker only (``exclude_type_checking_imports`` in pyproject.toml).
Members are read-only properties: a dataclass field or a plain attribute satisfies them.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.core.staff import SYSTEM, Actor, PersonSales, Role

if TYPE_CHECKING:
    from app.chain.models import ChainEvent, ChainState, ChannelView
    from app.core.closed_payments import ClosedPayment
    from app.core.invoice_limits import InvoicePreview, LargeInvoiceLimit
    from app.core.payouts import FeeChoice, FeeOptions, Payout, PayoutPlan, PayoutStatus, PayoutTx, PsbtExport
    from app.core.printers import PrinterConfig
    from app.core.queries import InvoiceFilter
    from app.core.records import Invoice, Page, Product, Store, Wallet
    from app.core.refunds import Refund, RefundCalculation, RefundRequest
    from app.core.sales import SalesSummary
    from app.core.statuses import InvoiceStatus
    from app.net.electrum_probe import ProbeResult
    from app.net.exposure_state import ExposureState, LanChange, TlsChange, TorChange
    from app.net.tor import TorStatus
    from app.services.admin.apikeys import ApiKeyService
    from app.services.admin.backup import BackupInfo, RestoredBackup
    from app.services.admin.pos import PosService, Receipt
    from app.services.catalog.product_images import ProductImageStore
    from app.services.catalog.products import ProductService
    from app.services.catalog.stores import StoreService
    from app.services.chain_route import ChainRouteState
    from app.services.delivery.email import EmailService
    from app.services.delivery.webhooks import WebhookService
    from app.services.events import OutboxEvent
    from app.services.invoicing.rates import RateService
    from app.services.lightning.service import LightningStatus
    from app.services.onboarding import OnboardingService
    from app.services.ports import PublicListenerStatus, Urls
    from app.services.staff.audit import AuditEntry
    from app.services.staff.people import Person, PinResult
    from app.services.staff.terminals import PairingCode, Terminal
    from app.services.wallets.address_usage import AddressUsageService
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
    @property
    def payout_settled_confirmations(self) -> int: ...  # a payout is final (confirmed) at this depth
    @property
    def lightning_listen(self) -> str: ...  # Settings → Lightning shows these three (set in config.toml)
    @property
    def lightning_gossip(self) -> bool: ...
    @property
    def lightning_allow_incoming(self) -> bool: ...


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
                     metadata: Mapping[str, Any] | None = None, items: Sequence[Mapping[str, Any]] = (),
                     actor: Actor = SYSTEM, tip: Decimal | None = None) -> Invoice: ...

    async def get(self, invoice_id: str) -> Invoice: ...

    async def list(self, flt: InvoiceFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page: ...

    async def mark(self, invoice_id: str, target: InvoiceStatus | str, *, actor: Actor = SYSTEM) -> Invoice: ...

    async def sales_summary(self, *, days: int = 30, store_id: str | None = None) -> SalesSummary: ...

    async def sales_by_person(self, days: int = 30, store_id: str | None = None, *,
                              actor: Actor = SYSTEM) -> builtins.list[PersonSales]: ...  # the dashboard's per person

    async def preview(self, store_id: str, *, price: Decimal | str | int,
                      currency: str | None = None) -> InvoicePreview: ...

    async def large_invoice_limit(self) -> LargeInvoiceLimit: ...

    async def set_large_invoice_limit(self, limit: LargeInvoiceLimit) -> LargeInvoiceLimit: ...


class StoreLookup(Protocol):
    async def get(self, store_id: str) -> Store: ...


class ProductList(Protocol):
    async def list(self, store_id: str, *, include_archived: bool = False) -> list[Product]: ...


class ImagePaths(Protocol):
    def path(self, name: str) -> Path: ...


class TorControl(Protocol):
    """``app.net.tor.TorService`` as the Settings window reads it (switched through ``ExposureControl``)."""

    @property
    def status(self) -> TorStatus: ...

    def subscribe(self, callback: Callable[[TorStatus], None]) -> Callable[[], None]: ...


class ExposureControl(Protocol):
    """How shoppers reach the checkout, switched live from the window (Settings → Exposure, the wizard).

    The runtime's ``app.exposure_control.ExposureController`` implements it: each call persists the choice
    and stops/starts the public listener or the tor component without restarting the app; a failure
    raises UserFacingError whose ``field`` is the setting's name (public_port, public_tls_cert, tor_enabled...).
    """

    def current(self) -> ExposureState: ...

    def subscribe(self, callback: Callable[[ExposureState], None]) -> Callable[[], None]: ...

    async def set_lan(self, enabled: bool) -> None: ...

    async def set_tor(self, enabled: bool) -> None: ...

    async def apply_lan(self, change: LanChange) -> ExposureState: ...

    async def apply_tls(self, change: TlsChange) -> ExposureState: ...

    async def apply_tor(self, change: TorChange) -> ExposureState: ...


class ChainRouteControl(Protocol):
    """Which Electrum server learns the shop's addresses (Settings → Chain server, the wizard):
    ``app.services.chain_route.ChainRouteService``. ``route`` is "own" | "tor" | "direct"; ``apply``
    switches Electrum live and saves to config.toml; errors are UserFacingError beside electrum_route /
    electrum_server."""

    def current(self) -> ChainRouteState: ...

    async def test(self, route: str, server: str, *, timeout_s: float = 15.0) -> ProbeResult: ...

    async def apply(self, route: str, server: str) -> ChainRouteState: ...


class LightningControl(Protocol):
    """``app.services.lightning.service.LightningService``: the shop's Lightning node as Settings → Lightning
    and its channels use it (app/ui/settings_lightning.py, app/ui/lightning_view.py). Refusals are
    UserFacingError with a code (channels_open, invalid_node_uri, ...) and, for an input, its ``field``."""

    async def status(self) -> LightningStatus: ...

    async def eligible_wallets(self) -> list[Wallet]: ...  # hot (seed) p2wpkh wallets

    async def enable(self, wallet_id: str) -> LightningStatus: ...

    async def disable(self) -> LightningStatus: ...

    async def open_channel(self, connect: str, amount_sat: int, *, push_sat: int = 0) -> ChannelView: ...

    async def close_channel(self, channel_id: str, *, force: bool = False) -> str: ...


class HotWallets(Protocol):
    """``WalletService`` as Settings → Lightning adds the hot wallet the node needs."""

    async def add_hot_wallet(self, name: str, seed: str, *, script_type: str | None = None,
                             gap_limit: int = 20) -> Wallet: ...


class BackupFiles(Protocol):
    """``app.services.admin.backup.BackupService``: write a backup while serving, restore one into an empty
    data directory (both blocking: call them through asyncio.to_thread)."""

    def create(self, out_path: Path, passphrase: str) -> BackupInfo: ...

    def restore(self, path: Path, passphrase: str, *, data_dir: Path) -> RestoredBackup: ...


class StaffPort(Protocol):
    """``app.services.staff.people.StaffService``: people, their PINs and window passwords (Settings → Staff,
    the lock screen, the kiosk's PIN start/leave). Refusals are UserFacingError (NotAllowed, ValidationError
    with ``field`` name / role / pin / password / store_ids, WrongPassword, locked_out)."""

    async def list(self, *, actor: Actor = SYSTEM) -> list[Person]: ...

    async def get(self, person_id: str) -> Person: ...

    async def add(self, name: str, role: Role | str, pin: str, *, store_ids: Sequence[str] = (),
                  password: str | None = None, actor: Actor = SYSTEM) -> Person: ...

    async def update(self, person_id: str, *, name: str | None = None, role: Role | str | None = None,
                     store_ids: Sequence[str] | None = None, active: bool | None = None,
                     actor: Actor = SYSTEM) -> Person: ...

    async def set_pin(self, person_id: str, pin: str, *, actor: Actor = SYSTEM) -> None: ...

    async def set_password(self, person_id: str, password: str | None, *, actor: Actor = SYSTEM) -> None: ...

    async def check_pin(self, person_id: str, pin: str) -> PinResult: ...

    async def window_login(self, name: str, password: str) -> Actor: ...

    async def window_locked(self) -> bool: ...

    async def has_owner(self) -> bool: ...  # the wizard's owner page

    def actor_of(self, person: Person, *, terminal_id: str | None = None) -> Actor: ...


class KioskStaff(Protocol):
    """``StaffService`` as the kiosk uses it: who may sell here, and their PINs."""

    async def list(self, *, actor: Actor = SYSTEM) -> list[Person]: ...

    async def check_pin(self, person_id: str, pin: str) -> PinResult: ...

    def actor_of(self, person: Person, *, terminal_id: str | None = None) -> Actor: ...


class AuditNote(Protocol):
    """``AuditLog.note``: an action that writes nothing else (the kiosk started or was left)."""

    async def note(self, actor: Actor, action: str, *, store_id: str | None = None, target_type: str | None = None,
                   target_id: str | None = None, detail: dict[str, Any] | None = None) -> None: ...


class TerminalsPort(Protocol):
    """``app.services.staff.terminals.TerminalService`` as Settings → Terminals uses it."""

    async def add(self, name: str, store_id: str, person_ids: Sequence[str], *,
                  actor: Actor = SYSTEM) -> tuple[Terminal, PairingCode]: ...

    async def new_pairing_code(self, terminal_id: str, *, actor: Actor = SYSTEM) -> PairingCode: ...

    async def revoke(self, terminal_id: str, *, actor: Actor = SYSTEM) -> Terminal: ...

    async def list(self, *, actor: Actor = SYSTEM) -> list[Terminal]: ...


class AuditPort(AuditNote, Protocol):
    """``app.services.staff.audit.AuditLog``: read and export (no face edits it; ``note`` only appends)."""

    async def list(self, *, store_id: str | None = None, person_id: str | None = None,
                   terminal_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
                   limit: int = 200, offset: int = 0, actor: Actor = SYSTEM) -> list[AuditEntry]: ...

    async def export_csv(self, *, store_id: str | None = None, person_id: str | None = None,
                         terminal_id: str | None = None, since: datetime | None = None,
                         until: datetime | None = None, actor: Actor = SYSTEM) -> str: ...


class InvoicingServices(Protocol):
    """The new-invoice dialog and the invoice detail panel."""

    @property
    def invoices(self) -> InvoicesPort: ...
    @property
    def urls(self) -> Urls: ...


class DevnetPort(Protocol):
    """``app.devnet.control.DevnetControl`` as the invoice dialog and detail use it (regtest + --devnet)."""

    async def pay(self, address: str, sat: int) -> str: ...

    async def mine(self, n: int = 1) -> list[str]: ...


class ReceiptSource(Protocol):
    """``app.services.admin.pos.PosService``: the receipt of a paid invoice."""

    async def receipt(self, invoice_id: str) -> Receipt: ...

    async def email_ready(self, store_id: str) -> bool: ...  # the store can send e-mail (refund links too)


class ClosedPaymentsPort(Protocol):
    """``app.services.invoicing.closed_watch.ClosedInvoiceWatch``: payments found after an invoice closed."""

    async def payments_of(self, invoice_ids: Sequence[str]) -> dict[str, list[ClosedPayment]]: ...

    async def check_invoice(self, invoice_id: str) -> list[ClosedPayment]: ...


class MailReadiness(Protocol):
    async def email_ready(self, store_id: str) -> bool: ...


class RefundsPort(Protocol):
    """``app.services.refunds.RefundService`` as the window and the kiosk use it (docs/gui.md "Refunds")."""

    async def preview(self, invoice_id: str, req: RefundRequest) -> RefundCalculation: ...

    async def create(self, invoice_id: str, req: RefundRequest, *, actor: Actor | str | None = SYSTEM) -> Refund: ...

    async def for_invoice(self, invoice_id: str) -> Sequence[Refund]: ...

    async def cancel(self, refund_id: str, *, actor: Actor = SYSTEM) -> Refund: ...

    def link(self, refund: Refund) -> str: ...


class PayoutsPort(Protocol):
    """``app.services.refunds.PayoutService``: payouts and their transactions (the Payouts view)."""

    async def create(self, store_id: str, wallet_id: str, destination: str, amount_sat: int, *, label: str = "",
                     refund_id: str | None = None, actor: Actor | str | None = SYSTEM) -> Payout: ...

    async def approve(self, payout_ids: Sequence[str], *, actor: Actor | str | None = SYSTEM) -> Sequence[Payout]: ...

    async def cancel(self, payout_id: str, *, actor: Actor = SYSTEM) -> Payout: ...

    async def get(self, payout_id: str) -> Payout: ...

    async def list(self, *, store_id: str | None = None, status: PayoutStatus | None = None, limit: int = 50,
                   offset: int = 0) -> Page: ...

    async def fee_options(self, wallet_id: str) -> FeeOptions: ...

    async def plan(self, payout_ids: Sequence[str], fee: FeeChoice) -> PayoutPlan: ...  # coin control, nothing sent

    async def pay_hot(self, payout_ids: Sequence[str], fee: FeeChoice, *,
                      inputs: Sequence[str] | None = None) -> PayoutTx: ...

    async def export_psbt(self, payout_ids: Sequence[str], fee: FeeChoice) -> PsbtExport: ...

    async def import_psbt(self, payout_tx_id: str, signed: str | bytes) -> PayoutTx: ...

    async def bump_fee(self, payout_tx_id: str, fee: FeeChoice) -> PayoutTx: ...


class WalletList(Protocol):
    async def list(self) -> list[Wallet]: ...


class StoreList(Protocol):
    async def list(self, *, include_archived: bool = False) -> list[Store]: ...


class PayoutServices(Protocol):
    """The Payouts view: payouts, and the wallets and stores to pay from."""

    @property
    def payouts(self) -> PayoutsPort: ...
    @property
    def wallets(self) -> WalletList: ...
    @property
    def stores(self) -> StoreList: ...
    @property
    def chain(self) -> ChainView | None: ...  # the paying wallet's balance


class InvoiceDialogServices(InvoicingServices, Protocol):
    """The owner's new-invoice dialog and invoice detail: also receipts, store names, the devnet and the
    closed-invoice chain check."""

    @property
    def stores(self) -> StoreLookup: ...
    @property
    def closed_watch(self) -> ClosedPaymentsPort: ...
    @property
    def pos(self) -> ReceiptSource: ...
    @property
    def devnet(self) -> DevnetPort | None: ...
    @property
    def refunds(self) -> RefundsPort: ...  # Refund… and the invoice's refunds (refund_dialog.py)


class PrinterControl(Protocol):
    """``app.services.admin.printing.PrinterService``: the receipt printer (Settings → Printer, the kiosk).

    ``values`` are the Settings form's fields (kind, usb_vendor, usb_product, host, port, device, columns,
    auto_print); a bad one raises ValidationError naming it. The ``system`` kind is printed by the window
    (app/ui/kiosk/receipt.py); the print methods drive ESC/POS printers only.
    """

    async def config(self) -> PrinterConfig: ...

    async def configure(self, values: Mapping[str, object]) -> PrinterConfig: ...

    async def print_test_page(self, values: Mapping[str, object] | None = None) -> PrinterConfig: ...

    async def print_receipt(self, invoice_id: str) -> PrinterConfig: ...


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
    def printer(self) -> PrinterControl: ...
    @property
    def events(self) -> EventSource: ...
    @property
    def chain(self) -> ChainStatus | None: ...
    @property
    def refunds(self) -> RefundsPort: ...  # the refund behind the PIN (kiosk/refund_screen.py)
    @property
    def staff(self) -> KioskStaff: ...  # with people: a person's PIN starts and leaves the kiosk
    @property
    def audit(self) -> AuditNote: ...  # kiosk.start / kiosk.leave


class UiServices(KioskServices, InvoiceDialogServices, PayoutServices, Protocol):
    """Everything the owner's window uses (``Services`` is the real one)."""

    @property
    def version(self) -> str: ...
    async def health(self) -> dict[str, object]: ...  # /health's report (app/services/health.py)
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
    def address_usage(self) -> AddressUsageService: ...  # the Wallets view's gap-limit warning
    @property
    def rates(self) -> RateService: ...
    @property
    def onboarding(self) -> OnboardingService: ...
    @property
    def email(self) -> EmailService: ...
    @property
    def apikeys(self) -> ApiKeyService: ...
    @property
    def webhooks(self) -> WebhookService: ...
    @property
    def backups(self) -> BackupFiles: ...
    @property
    def public(self) -> PublicListenerStatus: ...
    @property
    def tor(self) -> TorControl | None: ...
    @property
    def exposure_control(self) -> ExposureControl: ...
    @property
    def chain_route(self) -> ChainRouteControl: ...
    @property
    def payouts(self) -> PayoutsPort: ...
    @property
    def lightning(self) -> LightningControl: ...  # Settings → Lightning, channels, the store form's Lightning box
    @property
    def staff(self) -> StaffPort: ...  # Settings → Staff, the lock screen
    @property
    def terminals(self) -> TerminalsPort: ...  # Settings → Terminals (pairing, revoke)
    @property
    def audit(self) -> AuditPort: ...  # Settings → Audit log


class GuiRuntime(Protocol):
    """``app.runtime.Runtime`` as the controller drives it."""

    @property
    def services(self) -> UiServices | None: ...

    def start_chain_loop(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
