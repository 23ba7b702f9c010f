"""The Services object: built once by the composition root, handed to every front end.

`start()` brings the services up in order (rates, event bus, engine, webhooks, notifications) and
`stop()` takes them down in reverse; the database and the chain are owned by the runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import __version__
from app.config import Settings
from app.db.engine import Database
from app.secrets import SecretStore
from app.services.address_usage import AddressUsageService
from app.services.apikeys import ApiKeyService
from app.services.email import EmailService
from app.services.engine import ChainPort, PaymentEngine
from app.services.events import EventBus
from app.services.invoices import InvoiceService
from app.services.notification_channels import ChannelRegistry, TrayNotifier
from app.services.notifications import NotificationService
from app.services.payment_history import PaymentHistoryService
from app.services.product_images import ProductImageStore
from app.services.products import ProductService
from app.services.rates import RateService
from app.services.stores import StoreService
from app.services.wallets import WalletService
from app.services.webhooks import WebhookService
from app.services.writer import Writer

logger = logging.getLogger(__name__)


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
    rates: RateService
    engine: PaymentEngine
    apikeys: ApiKeyService
    webhooks: WebhookService
    product_images: ProductImageStore
    address_usage: AddressUsageService
    payment_history: PaymentHistoryService
    email: EmailService
    notifications: NotificationService
    tray: TrayNotifier
    chain: Any | None = None
    daemon: Any | None = None  # the Bitcart-compatible daemon JSON-RPC (settings.daemon_enabled)
    devnet: Any | None = None  # scenario controls, only with --network regtest --devnet
    extras: dict[str, Any] = field(default_factory=dict)
    health_sources: list[Callable[[], dict[str, Any]]] = field(default_factory=list)
    _started: list[Any] = field(default_factory=list)

    @property
    def version(self) -> str:
        return __version__

    async def start(self) -> None:
        await self.rates.load()
        for component in (self.events, self.engine, self.webhooks, self.notifications, self.daemon):
            if component is None:
                continue
            await component.start()
            self._started.append(component)

    async def stop(self) -> None:
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
            except Exception:
                logger.exception("%s failed while stopping", type(component).__name__)
        await self.writer.close()

    async def health(self) -> dict[str, Any]:
        try:
            db_ok = await self.db.ping()
        except Exception:
            logger.exception("health: database check failed")
            db_ok = False
        chain: dict[str, Any] = {"connected": False, "synced": False, "tip_height": None, "server": None}
        if self.chain is not None:
            state = self.chain.state()
            chain = {"connected": state.connected, "synced": state.synced, "tip_height": state.tip_height,
                     "server": state.server, "error": getattr(state, "error", None)}
        report: dict[str, Any] = {"status": "ok" if db_ok else "degraded", "version": __version__,
                                  "network": self.settings.network, "db": {"ok": db_ok}, "chain": chain}
        for source in self.health_sources:
            report.update(source())
        return report


def build_services(settings: Settings, db: Database, chain: ChainPort | None, *,
                   webhook_policy: Any = None, notification_policy: Any = None,
                   connector_factory: Callable[[], Any] | None = None,
                   invoice_url: Callable[[str], str | None] | None = None) -> Services:
    """Wire the services; the database must be started (sessions available). `connector_factory`
    builds the aiohttp connector for every outbound request (Tor-only mode passes a SOCKS one)."""
    assert db.sessions is not None, "start the database first"
    writer = Writer(db.sessions, db.path)
    secrets = SecretStore(settings.network)
    events = EventBus(writer)
    wallets = WalletService(writer, settings.network, chain, secrets)  # type: ignore[arg-type]
    stores = StoreService(writer)
    products = ProductService(writer, stores)
    rates = RateService(writer)
    _add_rate_sources(rates, settings, connector_factory)
    engine = PaymentEngine(writer, wallets, chain)
    invoices = InvoiceService(writer, events, stores, wallets, rates, on_created=engine.invoice_created)
    email = EmailService(stores, secrets, invoice_url=invoice_url)
    tray = TrayNotifier()
    channel_kwargs = {"connector_factory": connector_factory} if connector_factory else {}
    notifications = NotificationService(writer, events, stores, invoices, email,
                                        ChannelRegistry(email, secrets, tray, **channel_kwargs),
                                        policy=notification_policy)
    webhook_kwargs: dict[str, Any] = {}
    if webhook_policy is not None:
        webhook_kwargs["policy"] = webhook_policy
    if connector_factory is not None:
        webhook_kwargs["connector_factory"] = connector_factory
    services = Services(
        settings=settings, db=db, writer=writer, secrets=secrets, events=events, wallets=wallets, stores=stores,
        products=products, invoices=invoices, rates=rates, engine=engine, apikeys=ApiKeyService(writer),
        webhooks=WebhookService(writer, events, secrets, invoices, **webhook_kwargs),
        product_images=ProductImageStore(settings.network_dir / "images", products),
        address_usage=AddressUsageService(writer), payment_history=PaymentHistoryService(writer),
        email=email, notifications=notifications, tray=tray, chain=chain,
    )
    if settings.daemon_enabled:
        from app.services.daemon_service import build_daemon_service, daemon_credentials

        services.daemon = build_daemon_service(services, daemon_credentials(secrets))
    return services


def _add_rate_sources(rates: RateService, settings: Settings, connector_factory: Callable[[], Any] | None) -> None:
    from app.net.rate_providers import RateOptions, build_rate_sources

    providers = tuple(p.strip() for p in settings.rate_providers.split(",") if p.strip())
    options = RateOptions(providers=providers, max_age_s=settings.rate_max_age_s,
                          **({"connector_factory": connector_factory} if connector_factory else {}))
    for source in build_rate_sources(options):
        rates.add_source(source)
    if settings.rates_url:
        from app.net.rates import HttpRateSource

        rates.add_source(HttpRateSource(settings.rates_url, name="http"))
