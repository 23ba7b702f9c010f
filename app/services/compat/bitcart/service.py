"""The Bitcart-compatible daemon's service side: one object the daemon listener and the settings screen use.

Built by the composition root after the other services (``build_daemon_service(services)``), started
after the event bus, stopped before it. Transport (JSON-RPC, websockets) is in
app/checkout_server/daemon/.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass

from app.secrets import Secret, SecretStore
from app.services.catalog.stores import StoreService
from app.services.compat.bitcart.chain import DaemonChain
from app.services.compat.bitcart.events import DaemonEvents
from app.services.compat.bitcart.lightning import DaemonLightning
from app.services.compat.bitcart.payouts import DaemonPayouts
from app.services.compat.bitcart.requests import DaemonRequests, RequestLightning
from app.services.compat.bitcart.wallets import DaemonWallets
from app.services.events import EventBus
from app.services.invoicing.invoices import InvoiceService
from app.services.lightning.service import LightningService
from app.services.ports import ChainPort
from app.services.refunds.payouts import PayoutService
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

logger = logging.getLogger(__name__)

LOGIN_SECRET = "daemon_login"
PASSWORD_SECRET = "daemon_password"
DEFAULT_LOGIN = "redwaves"


@dataclass(frozen=True)
class DaemonCredentials:
    login: str
    password: Secret

    def matches(self, login: str, password: str) -> bool:
        login_ok = hmac.compare_digest(login.encode(), self.login.encode())
        password_ok = hmac.compare_digest(password.encode(), self.password.reveal().encode())
        return login_ok and password_ok

    def __repr__(self) -> str:
        return f"DaemonCredentials(login={self.login!r}, password=***)"


def daemon_credentials(store: SecretStore, *, regenerate: bool = False) -> DaemonCredentials:
    """The daemon's HTTP Basic credentials, generated on first use and kept in the keyring.

    The settings screen shows them (``.password.reveal()``) so they can be pasted into a Bitcart
    client; ``regenerate=True`` replaces the password (existing clients must be updated).
    """
    login = store.get(LOGIN_SECRET)
    password = None if regenerate else store.get(PASSWORD_SECRET)
    if login is None:
        store.set(LOGIN_SECRET, DEFAULT_LOGIN)
        login = Secret(DEFAULT_LOGIN)
    if password is None:
        password = Secret(secrets.token_urlsafe(24))
        store.set(PASSWORD_SECRET, password)
        logger.info("daemon credentials generated and stored in the keyring")
    return DaemonCredentials(login=login.reveal(), password=password)


class DaemonService:
    def __init__(self, wallets: DaemonWallets, requests: DaemonRequests, chain: DaemonChain,
                 events: DaemonEvents, credentials: DaemonCredentials, payouts: DaemonPayouts | None = None,
                 lightning: DaemonLightning | None = None) -> None:
        self.wallets = wallets
        self.requests = requests
        self.chain = chain
        self.events = events
        self.credentials = credentials
        self.payouts = payouts  # payto / paytomany; None: the daemon was built without the payout engine
        self.lightning = lightning  # nodeid, channels, lnpay; None: built without the Lightning service

    async def start(self) -> None:
        await self.events.start()

    async def stop(self) -> None:
        await self.events.stop()

    def close_wallet(self, key: str) -> bool:
        self.events.forget(key)
        return self.wallets.close(key)


def build_daemon_service(parts: DaemonParts, credentials: DaemonCredentials, *,
                         tip_poll_s: float = 1.0) -> DaemonService:
    chain = DaemonChain(parts.writer, parts.chain, parts.network)
    wallets = DaemonWallets(parts.wallets, parts.stores, synced=chain.synced)
    ln = RequestLightning(parts.lightning, parts.stores, parts.writer) if parts.lightning is not None else None
    requests = DaemonRequests(parts.invoices, chain.tip_height, ln)
    events = DaemonEvents(parts.events, wallets, parts.invoices, chain.tip_height, chain=parts.chain,
                          tip_poll_s=tip_poll_s)
    payouts = DaemonPayouts(parts.payouts, parts.wallets, parts.network) if parts.payouts is not None else None
    lightning = DaemonLightning(parts.lightning) if parts.lightning is not None else None
    return DaemonService(wallets, requests, chain, events, credentials, payouts, lightning)


@dataclass(frozen=True)
class DaemonParts:
    """The RedWaves services the Bitcart daemon adapters sit on."""

    writer: Writer
    events: EventBus
    wallets: WalletService
    stores: StoreService
    invoices: InvoiceService
    chain: ChainPort | None
    network: str
    payouts: PayoutService | None = None  # payto / paytomany (hot wallets) go through it
    lightning: LightningService | None = None  # the Lightning commands and lightning=true requests
