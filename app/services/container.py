"""The Services object: built once by the composition root, handed to every front end.

Every collaborator a front end uses is a typed field (no service locator, no string keys): the runtime passes
what it owns (URLs, tor, the public listener's status, outbound routing, devnet) as `Surroundings`.
`start()` brings the services up in order (rates, event bus, engine, webhooks, notifications,
daemon) with one `app.lifecycle.Lifecycle` and `stop()` takes them down in reverse; the database and
the chain are owned by the runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp

from app import __version__
from app.config import Settings, default_config_path
from app.core.chain_route import ResolvedRoute
from app.db.engine import Database
from app.devnet.control import DevnetControl
from app.lifecycle import Lifecycle
from app.net.exposure import Exposure
from app.net.proxy import OutboundPolicy
from app.net.rate_providers import RateOptions, build_rate_sources
from app.net.rates import HttpRateSource
from app.net.smtp import RoutedTransport
from app.net.tor import TorService
from app.secrets import SecretStore
from app.services.admin.apikeys import ApiKeyService
from app.services.admin.backup import BackupScheduler, BackupService
from app.services.admin.pos import AppSettingsPinStorage, PinGuard, PosService
from app.services.admin.printing import PRINTER_KEY, AppSettingStorage, PrinterService
from app.services.catalog.product_images import ProductImageStore
from app.services.catalog.products import ProductService
from app.services.catalog.stores import StoreService
from app.services.chain_route import ChainRouteService
from app.services.compat.bitcart.service import (
    DaemonParts,
    DaemonService,
    build_daemon_service,
    daemon_credentials,
)
from app.services.delivery.email import EmailService
from app.services.delivery.notification_channels import ChannelRegistry, TrayNotifier
from app.services.delivery.notifications import NotificationService
from app.services.delivery.retry import RetryPolicy
from app.services.delivery.webhooks import WebhookService
from app.services.events import EventBus
from app.services.health import HealthTracker
from app.services.invoicing.closed_watch import ClosedInvoiceWatch
from app.services.invoicing.engine import PaymentEngine
from app.services.invoicing.idempotency import IdempotencyService
from app.services.invoicing.invoices import InvoiceService
from app.services.invoicing.payment_history import PaymentHistoryService
from app.services.invoicing.public import PublicInvoiceService
from app.services.invoicing.rates import RateService
from app.services.lightning.service import LightningService
from app.services.onboarding import OnboardingService
from app.services.ports import (
    ChainPort,
    ExposureControl,
    LightningNodePort,
    NoExposureControl,
    NoPublicListener,
    PublicListenerStatus,
    StaticUrls,
    Urls,
)
from app.services.refunds.executor import PayoutExecutor
from app.services.refunds.own_addresses import OwnAddresses
from app.services.refunds.payouts import PayoutService
from app.services.refunds.refunds import RefundService, refund_url
from app.services.staff.audit import AuditLog
from app.services.staff.people import StaffService
from app.services.staff.terminals import TerminalService
from app.services.wallets.address_usage import AddressUsageService
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Surroundings:
    """What the composition root provides around the services (listeners, tor, routing, backups).

    The defaults describe a RedWaves without listeners or tor (CLI tools, most tests)."""

    urls: Urls = field(default_factory=StaticUrls)
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    exposure: Exposure = field(default_factory=Exposure)
    public: PublicListenerStatus = field(default_factory=NoPublicListener)
    exposure_control: ExposureControl = field(default_factory=NoExposureControl)  # switches LAN/TLS/tor live
    backups: BackupService | None = None  # None: a BackupService for the settings' data directory
    tor: TorService | None = None
    devnet: DevnetControl | None = None
    chain_route: ResolvedRoute | None = None  # the route Electrum started with (app/core/chain_route.py)


@dataclass
class Services:
    settings: Settings
    db: Database
    writer: Writer
    secrets: SecretStore
    events: EventBus
    wallets: WalletService
    stores: StoreService
    products: ProductService
    invoices: InvoiceService
    public_invoices: PublicInvoiceService  # keyless creation: the store's switch and budget
    idempotency: IdempotencyService  # Idempotency-Key replays (REST API creating calls)
    rates: RateService
    engine: PaymentEngine
    closed_watch: ClosedInvoiceWatch  # history checks of closed invoices' addresses (payments after close)
    apikeys: ApiKeyService
    webhooks: WebhookService
    product_images: ProductImageStore
    address_usage: AddressUsageService
    payment_history: PaymentHistoryService
    email: EmailService
    notifications: NotificationService
    tray: TrayNotifier
    pos: PosService
    printer: PrinterService  # the receipt printer: Settings → Printer, the kiosk's receipts
    onboarding: OnboardingService
    refunds: RefundService  # refund links: calculate, create, claim once, expire, cancel (docs/refunds.md)
    payouts: PayoutService  # payouts: approve, cancel, pay (hot) or PSBT (watch-only), confirmation
    payout_executor: PayoutExecutor  # builds/records/broadcasts payout txs; recovery + confirmations at start
    urls: Urls
    outbound: OutboundPolicy
    exposure: Exposure
    public: PublicListenerStatus
    exposure_control: ExposureControl
    chain_route: ChainRouteService  # which Electrum server learns the addresses: shown, tested, saved
    backups: BackupService  # writes backups while serving; restores into an empty data directory
    lightning: LightningService  # the Lightning node (one hot p2wpkh wallet), channels, BOLT11s (docs/lightning.md)
    staff: StaffService  # people, roles, PINs, window passwords (docs/staff.md)
    terminals: TerminalService  # paired web terminals: pairing codes, device tokens, PIN sessions
    audit: AuditLog  # the append-only audit log
    chain: ChainPort | None = None
    tor: TorService | None = None  # None while tor is off (the exposure control switches it live)
    devnet: DevnetControl | None = None  # scenario controls, only with --network regtest --devnet
    daemon: DaemonService | None = None  # the Bitcart-compatible daemon JSON-RPC (settings.daemon_enabled)
    backup_scheduler: BackupScheduler | None = None  # set by the runtime when backup_dir is configured
    health_sources: list[Callable[[], Mapping[str, object]]] = field(default_factory=list)
    _lifecycle: Lifecycle = field(default_factory=lambda: Lifecycle(stop_timeout_s=5.0))
    _health: HealthTracker = field(default_factory=HealthTracker)  # components' since/last error (health.py)

    @property
    def version(self) -> str:
        return __version__

    async def start(self) -> None:
        await self.rates.load()
        lc = self._lifecycle
        for name, component in (("event bus", self.events), ("payment engine", self.engine),
                                ("lightning", self.lightning),
                                ("closed-invoice check", self.closed_watch), ("webhooks", self.webhooks), ("notifications", self.notifications),
                                ("payout executor", self.payout_executor), ("daemon", self.daemon)):
            if component is not None:
                lc.add(name, component)
        await lc.start()

    async def stop(self) -> None:
        await self._lifecycle.stop()
        self.idempotency.close()
        await self.writer.close()

    async def health(self) -> dict[str, object]:
        try:
            db_ok = await self.db.ping()
        except Exception:
            logger.exception("health: database check failed")
            db_ok = False
        chain: dict[str, object] = {"connected": False, "synced": False, "tip_height": None, "server": None}
        if self.chain is not None:
            state = self.chain.state()
            chain = {"connected": state.connected, "synced": state.synced, "tip_height": state.tip_height,
                     "server": state.server, "error": state.error}
        if (route := self.chain_route.running) is not None:
            chain["route"] = str(route.route)
            chain["via_tor"] = route.via_tor
        report: dict[str, object] = {"status": "ok" if db_ok else "degraded", "version": __version__,
                                     "network": self.settings.network, "db": {"ok": db_ok}, "chain": chain}
        for source in self.health_sources:
            report.update(source())
        return self._health.assess(report, self.writer.storage.state(), grace_s=self.settings.health_grace_s,
                                   chain_expected=self.chain is not None)


def build_services(settings: Settings, db: Database, chain: ChainPort | None, *,
                   surroundings: Surroundings | None = None, webhook_policy: RetryPolicy | None = None,
                   notification_policy: RetryPolicy | None = None,
                   connector_factory: Callable[[], aiohttp.BaseConnector] | None = None,
                   lightning_node: LightningNodePort | None = None) -> Services:
    """Wire the services; the database must be started (sessions available). `connector_factory`
    builds the aiohttp connector for every outbound request; `lightning_node` is the chain watcher's
    Lightning side (None: no Lightning); by default the surroundings' OutboundPolicy
    (SOCKS with remote DNS in Tor-only mode or with a proxy, else direct) routes HTTP, e-mail and Apprise."""
    around = surroundings or Surroundings()
    connector_factory = connector_factory or around.outbound.shared_connector_factory()
    assert db.sessions is not None, "start the database first"
    writer = Writer(db.sessions, db.path)
    audit = AuditLog(writer)
    staff = StaffService(writer, audit)
    secrets = SecretStore(settings.network)
    events = EventBus(writer)
    wallets = WalletService(writer, settings.network, chain, secrets)
    stores = StoreService(writer, audit=audit)
    products = ProductService(writer, stores, audit=audit)
    rates = RateService(writer)
    _add_rate_sources(rates, settings, connector_factory)
    lightning = LightningService(writer, wallets, lightning_node, onion_url=around.exposure.onion_url)
    engine = PaymentEngine(writer, wallets, chain, lightning=lightning_node)
    lightning.on_started = engine.request_lightning_recovery
    invoices = InvoiceService(writer, events, stores, wallets, rates, on_created=engine.invoice_created,
                              lightning=lightning, audit=audit)
    email = EmailService(stores, secrets, invoice_url=around.urls.invoice_url,
                         transport=RoutedTransport(around.outbound), refund_url=lambda rid: refund_url(around.urls, rid))
    tray = TrayNotifier()
    notifications = NotificationService(writer, events, stores, invoices, email,
                                        ChannelRegistry(email, secrets, tray, connector_factory=connector_factory,
                                                        routed=around.outbound.routed),
                                        policy=notification_policy)
    pos = PosService(PinGuard(AppSettingsPinStorage(writer)), stores, invoices, email)
    payouts = PayoutService(writer, stores, network=settings.network, audit=audit)
    refunds = RefundService(writer, stores, invoices, rates, payouts, OwnAddresses(writer, wallets), urls=around.urls,
                            network=settings.network, audit=audit)
    payout_executor = PayoutExecutor(writer, chain, secrets, network=settings.network, on_confirmed=payouts.on_tx_confirmed,
                                     settled_confirmations=settings.payout_settled_confirmations,
                                     sweep=refunds.expire_due)
    payouts.attach_executor(payout_executor)
    services = Services(
        settings=settings, db=db, writer=writer, secrets=secrets, events=events, wallets=wallets, stores=stores,
        products=products, invoices=invoices, rates=rates, engine=engine, apikeys=ApiKeyService(writer),
        closed_watch=ClosedInvoiceWatch(writer, chain, per_hour=settings.closed_check_per_hour,
                                        interval_s=settings.closed_check_interval_s),
        public_invoices=PublicInvoiceService(writer, stores, products, invoices),
        idempotency=IdempotencyService(writer, db.path),
        webhooks=WebhookService(writer, events, secrets, invoices, policy=webhook_policy,
                                connector_factory=connector_factory),
        product_images=ProductImageStore(settings.network_dir / "images", products),
        address_usage=AddressUsageService(writer), payment_history=PaymentHistoryService(writer),
        email=email, notifications=notifications, tray=tray, chain=chain,
        pos=pos, printer=PrinterService(AppSettingStorage(writer, PRINTER_KEY), pos), urls=around.urls,
        onboarding=OnboardingService(writer, wallets, rates, stores, staff),
        refunds=refunds, payouts=payouts, payout_executor=payout_executor, lightning=lightning,
        staff=staff, terminals=TerminalService(writer, staff, audit, around.urls), audit=audit,
        outbound=around.outbound, exposure=around.exposure, public=around.public,
        exposure_control=around.exposure_control,
        chain_route=ChainRouteService(lambda: services.settings, around.chain_route, lambda: around.outbound.tor_socks),
        backups=around.backups or backup_service(settings, secrets), tor=around.tor, devnet=around.devnet,
    )
    services.backups.channel_backups = lightning.cached_channel_backups
    if settings.daemon_enabled:
        parts = DaemonParts(writer=writer, events=events, wallets=wallets, stores=stores, invoices=invoices,
                            chain=chain, network=settings.network, payouts=payouts, lightning=lightning)
        services.daemon = build_daemon_service(parts, daemon_credentials(secrets))
    return services


def backup_service(settings: Settings, secrets: SecretStore) -> BackupService:
    return BackupService(network=settings.network, network_dir=settings.network_dir, db_path=settings.db_path,
                         electrum_dir=settings.electrum_dir, config_path=default_config_path(settings.data_dir),
                         secrets=secrets)


def _add_rate_sources(rates: RateService, settings: Settings,
                      connector_factory: Callable[[], aiohttp.BaseConnector]) -> None:
    options = RateOptions(providers=settings.rate_providers, max_age_s=settings.rate_max_age_s,
                          connector_factory=connector_factory)
    for source in build_rate_sources(options):
        rates.add_source(source)
    if settings.rates_url:
        rates.add_source(HttpRateSource(settings.rates_url, name="http",
                                        session_factory=lambda: aiohttp.ClientSession(connector=connector_factory())))
