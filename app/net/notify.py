"""Merchant notification providers that leave the process: a JSON webhook and Apprise (optional).

Every provider implements NotificationProvider; failures raise DeliveryFailed with a stable code and
a ``retryable`` flag the dispatcher uses to decide between backing off and giving up.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

from app.core.errors import UserFacingError

logger = logging.getLogger(__name__)


class NotificationProvider(Protocol):
    name: str

    async def send(self, subject: str, body: str, *, url: str | None = None) -> None:
        """Deliver one notification or raise DeliveryFailed."""
        ...


class DeliveryFailed(UserFacingError):
    """A notification could not be delivered; ``retryable`` False means trying again will not help."""

    code = "notification_failed"
    http_status = 502

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable


class WebhookProvider:
    """POSTs {"subject", "body", "url", "sent_at"} as JSON; 2xx is success, 5xx/408/429/network retry."""

    def __init__(self, url: str, *, session: Callable[[], aiohttp.ClientSession], name: str = "webhook",
                 timeout_s: float = 10.0) -> None:
        self.name = name
        self._url = url
        self._session = session
        self._timeout_s = timeout_s

    async def send(self, subject: str, body: str, *, url: str | None = None) -> None:
        document = {"subject": subject, "body": body, "url": url, "sent_at": datetime.now(UTC).isoformat()}
        timeout = aiohttp.ClientTimeout(total=self._timeout_s)
        try:
            async with self._session().post(self._url, json=document, timeout=timeout,
                                            allow_redirects=False) as response:
                await response.content.read(64 * 1024)
                status = response.status
        except TimeoutError:
            raise DeliveryFailed(f"The {self.name} webhook did not answer in {self._timeout_s:g} s.",
                                 code="webhook_timeout") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryFailed(f"The {self.name} webhook is unreachable ({type(exc).__name__}).",
                                 code="webhook_unreachable") from None
        if not 200 <= status < 300:
            retry = status >= 500 or status in (408, 429)
            raise DeliveryFailed(f"The {self.name} webhook answered HTTP {status}.", code="webhook_http_error",
                                 retryable=retry)


def apprise_available() -> bool:
    return importlib.util.find_spec("apprise") is not None


class AppriseProvider:
    """Telegram, Matrix, Discord, ntfy, ... through Apprise URLs (https://github.com/caronc/apprise).

    Apprise is optional: without it installed, send() fails with code ``apprise_unavailable`` (not retried).
    Its plugins make their own HTTP requests (python-requests) that cannot be routed through SOCKS with
    remote DNS here, so with ``routed`` (Tor-only mode or a proxy) send() refuses with code
    ``apprise_needs_direct`` (not retried) instead of connecting directly.
    """

    NEEDS_DIRECT = "apprise_needs_direct"

    def __init__(self, urls: Sequence[str], *, name: str = "apprise", routed: bool = False) -> None:
        self.name = name
        self._urls = list(urls)
        self._routed = routed

    @property
    def available(self) -> bool:
        return apprise_available()

    async def send(self, subject: str, body: str, *, url: str | None = None) -> None:
        if self._routed:
            raise DeliveryFailed(f"The {self.name} channel uses Apprise, which would connect directly: Tor-only "
                                 "mode and a proxy allow no direct connection. Use a webhook channel instead.",
                                 code=self.NEEDS_DIRECT, retryable=False)
        if not self.available:
            raise DeliveryFailed("Apprise is not installed: install the 'apprise' package to use this channel.",
                                 code="apprise_unavailable", retryable=False)
        import apprise

        client = apprise.Apprise()
        for target in self._urls:
            if not client.add(target):
                raise DeliveryFailed(f"The {self.name} channel has an Apprise URL it does not understand.",
                                     code="apprise_bad_url", retryable=False)
        text = f"{body}\n{url}" if url else body
        if not await client.async_notify(body=text, title=subject):
            raise DeliveryFailed(f"Apprise could not deliver on the {self.name} channel.", code="apprise_failed")
