"""The Services object: built once by the composition root, handed to every front end."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from app import __version__
from app.config import Settings
from app.db.engine import Database
from app.services.engine import ChainPort, PaymentEngine
from app.services.events import EventBus
from app.services.invoices import InvoiceService
from app.services.products import ProductService
from app.services.rates import RateService
from app.services.stores import StoreService
from app.services.wallets import WalletService
from app.services.writer import Writer

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    writer: Writer
    events: EventBus
    wallets: WalletService
    stores: StoreService
    invoices: InvoiceService
    rates: RateService
    engine: PaymentEngine
    products: ProductService
    chain: Any | None = None
    devnet: Any | None = None  # scenario controls, only with --network regtest --devnet
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return __version__

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
        return {"status": "ok" if db_ok else "degraded", "version": __version__,
                "network": self.settings.network, "db": {"ok": db_ok}, "chain": chain}


def build_services(settings: Settings, db: Database, chain: ChainPort | None) -> Services:
    """Wire the services; the database must be started (sessions available)."""
    assert db.sessions is not None, "start the database first"
    writer = Writer(db.sessions, db.path)
    events = EventBus(writer)
    wallets = WalletService(writer, settings.network, chain)  # type: ignore[arg-type]
    stores = StoreService(writer)
    rates = RateService(writer)
    engine = PaymentEngine(writer, wallets, chain)
    invoices = InvoiceService(writer, events, stores, wallets, rates, on_created=engine.invoice_created)
    return Services(settings=settings, db=db, writer=writer, events=events, wallets=wallets, stores=stores,
                    invoices=invoices, rates=rates, engine=engine,
                    products=ProductService(writer, stores), chain=chain)
