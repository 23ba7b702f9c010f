"""Channels a merchant notification can go out on: tray (in-process callbacks), email, webhook, Apprise.

`ChannelRegistry` turns a delivery row (channel, recipient) into a NotificationProvider. Webhook and
Apprise targets (URLs that often carry tokens) are secrets: SecretStore keeps them under
``notify:<store id>:<channel name>``; Store.notifications only names the channel and its type.
The registry owns the one aiohttp ClientSession webhooks use (start()/stop()); its connector comes
from an injectable factory (the runtime's OutboundPolicy: SOCKS with remote DNS in Tor-only mode or
with a proxy). With ``routed`` (no direct connection allowed) Apprise channels refuse to send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp

from app import __version__
from app.core.records import Store
from app.net.notify import AppriseProvider, DeliveryFailed, NotificationProvider, WebhookProvider
from app.secrets import SecretStore
from app.services.delivery.email import EmailService
from app.services.delivery.email_templates import RenderedEmail

logger = logging.getLogger(__name__)

TrayCallback = Callable[[str, str, "str | None"], None]
ConnectorFactory = Callable[[], aiohttp.BaseConnector]


def target_name(store_id: str, channel: str) -> str:
    return f"notify:{store_id}:{channel}"


class TrayNotifier:
    """The GUI registers a callback (subject, body, url) that shows a tray message; called on the loop."""

    def __init__(self) -> None:
        self._callbacks: list[TrayCallback] = []

    def register(self, callback: TrayCallback) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    @property
    def callbacks(self) -> list[TrayCallback]:
        return list(self._callbacks)


class TrayProvider:
    name = "tray"

    def __init__(self, notifier: TrayNotifier) -> None:
        self._notifier = notifier

    async def send(self, subject: str, body: str, *, url: str | None = None) -> None:
        callbacks = self._notifier.callbacks
        if not callbacks:  # no window yet (starting up) or headless: retried, then given up
            raise DeliveryFailed("No tray is running to show the notification.", code="tray_unavailable")
        shown = 0
        for callback in callbacks:
            try:
                callback(subject, body, url)
                shown += 1
            except Exception:
                logger.exception("tray callback failed")
        if not shown:
            raise DeliveryFailed("The tray could not show the notification.", code="tray_failed", retryable=False)


class EmailProvider:
    """Merchant email to one address with the store's SMTP settings."""

    name = "email"

    def __init__(self, email: EmailService, store: Store, to: str) -> None:
        self._email = email
        self._store = store
        self._to = to

    async def send(self, subject: str, body: str, *, url: str | None = None) -> None:
        text = f"{body}\n{url}\n" if url else body
        await self._email.send(self._store, self._to, RenderedEmail(subject=subject, text=text, html=""))

    async def send_rendered(self, rendered: RenderedEmail) -> None:
        await self._email.send(self._store, self._to, rendered)


class ChannelRegistry:
    def __init__(self, email: EmailService, secrets: SecretStore, tray: TrayNotifier | None = None, *,
                 connector_factory: ConnectorFactory | None = None, timeout_s: float = 10.0,
                 routed: bool = False) -> None:
        self._email = email
        self._routed = routed
        self._secrets = secrets
        self.tray = tray or TrayNotifier()
        self._connector_factory = connector_factory or (lambda: aiohttp.TCPConnector(limit=10))
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(connector=self._connector_factory(),
                                              headers={"User-Agent": f"RedWaves/{__version__}"})

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise DeliveryFailed("Notifications are stopping.", code="notifications_stopped")
        return self._session

    async def set_target(self, store_id: str, channel: str, target: str | None) -> None:
        name = target_name(store_id, channel)
        if target:
            await asyncio.to_thread(self._secrets.set, name, target)
        else:
            await asyncio.to_thread(self._secrets.delete, name)

    async def provider(self, store: Store, channel: str, recipient: str) -> NotificationProvider:
        """The provider for a delivery row; DeliveryFailed (not retryable) if the channel is gone."""
        if channel == "tray":
            return TrayProvider(self.tray)
        if channel == "email":
            return EmailProvider(self._email, store, recipient)
        config: object = (store.notifications.get("channels") or {}).get(recipient)
        if not isinstance(config, dict) or config.get("type") != channel:
            raise DeliveryFailed(f"The notification channel '{recipient}' was removed.", code="channel_removed",
                                 retryable=False)
        target = await asyncio.to_thread(self._secrets.get, target_name(store.id, recipient))
        if target is None:
            raise DeliveryFailed(f"The channel '{recipient}' has no target URL in the keyring.",
                                 code="channel_target_missing", retryable=False)
        if channel == "webhook":
            return WebhookProvider(target.reveal(), session=self._client, name=recipient, timeout_s=self._timeout_s)
        return AppriseProvider(target.reveal().split(), name=recipient, routed=self._routed)
