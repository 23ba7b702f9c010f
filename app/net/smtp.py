"""Sending one email with aiosmtplib, failures translated into stable, merchant-readable errors.

The connection is driven step by step (connect, STARTTLS, login, send) so a failure is classified by
the step it happened in and the exception's type, never by matching server message text.

With a SOCKS5 route (Tor-only mode or a proxy: ``OutboundPolicy.route``) the TCP connection is opened
through the proxy with remote DNS and handed to aiosmtplib as ``sock``; implicit TLS and STARTTLS still
verify the server's real host name. The EHLO name is then ``[127.0.0.1]`` instead of this machine's
name (which ``socket.getfqdn`` may even look up in DNS).
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum

import aiosmtplib

from app.net.notify import DeliveryFailed
from app.net.proxy import OutboundPolicy, TorUnavailable, open_socks_socket
from app.secrets import Secret

logger = logging.getLogger(__name__)


class SmtpMode(StrEnum):
    STARTTLS = "starttls"  # plain connect, then upgrade (port 587); refuses to continue without TLS
    TLS = "tls"  # implicit TLS from the first byte (port 465)
    PLAIN = "plain"  # no encryption (a relay on localhost / the LAN only)


DEFAULT_PORTS = {SmtpMode.STARTTLS: 587, SmtpMode.TLS: 465, SmtpMode.PLAIN: 25}


class SmtpError(DeliveryFailed):
    """Sending failed. ``code`` is stable; ``retryable`` says whether trying again later may help."""

    code = "smtp_error"
    CONNECTION_REFUSED = "smtp_connection_refused"
    TIMEOUT = "smtp_timeout"
    TLS_FAILED = "smtp_tls_failed"
    AUTH_FAILED = "smtp_auth_failed"
    REJECTED = "smtp_rejected"

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message, code=code, retryable=retryable)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    mode: SmtpMode
    from_address: str
    username: str | None = None
    timeout_s: float = 20.0

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.mode})"


ROUTED_EHLO_NAME = "[127.0.0.1]"


async def send_email(settings: SmtpSettings, message: EmailMessage, *, password: Secret | str | None = None,
                     tls_context: ssl.SSLContext | None = None, route: tuple[str, int] | None = None) -> None:
    """Deliver ``message`` (its To/From headers name the envelope) or raise SmtpError.

    ``route``: the SOCKS5 proxy (host, port) to connect through; None connects directly."""
    where = settings.describe()
    try:
        client = await _client(settings, tls_context, route, where)
        await _connect(client, settings, where)
        try:
            if settings.mode is SmtpMode.STARTTLS:
                await _starttls(client, tls_context, where)
            if settings.username:
                await _login(client, settings.username, password, where)
            await _send(client, message, where)
        finally:
            await _close(client)
    except SmtpError as exc:
        logger.warning("smtp %s: %s (%s)", where, exc.code, type(exc.__cause__).__name__)
        raise


class RoutedTransport:
    """`app.services.delivery.email.Transport` following an OutboundPolicy (proxy / Tor-only / direct)."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy

    async def __call__(self, settings: SmtpSettings, message: EmailMessage, *, password: Secret | None,
                       tls_context: ssl.SSLContext | None) -> None:
        try:
            route = self._policy.route(settings.host)
        except TorUnavailable as exc:
            raise SmtpError(f"Cannot reach the mail server {settings.describe()}: {exc}", code=exc.code,
                            retryable=True) from exc
        await send_email(settings, message, password=password, tls_context=tls_context, route=route)


async def _client(settings: SmtpSettings, tls_context: ssl.SSLContext | None, route: tuple[str, int] | None,
                  where: str) -> aiosmtplib.SMTP:
    use_tls = settings.mode is SmtpMode.TLS
    if route is None:
        return aiosmtplib.SMTP(hostname=settings.host, port=settings.port, timeout=settings.timeout_s,
                               use_tls=use_tls, start_tls=False, tls_context=tls_context)
    try:
        sock = await open_socks_socket(route, settings.host, settings.port, timeout_s=settings.timeout_s)
    except TorUnavailable as exc:
        raise SmtpError(f"Could not reach the mail server {where} through the proxy: {exc}", code=exc.code,
                        retryable=True) from exc
    # hostname stays the server's real name: SNI and certificate checks (TLS and STARTTLS) use it
    return aiosmtplib.SMTP(hostname=settings.host, port=None, sock=sock, timeout=settings.timeout_s,
                           use_tls=use_tls, start_tls=False, tls_context=tls_context,
                           local_hostname=ROUTED_EHLO_NAME)


async def _connect(client: aiosmtplib.SMTP, settings: SmtpSettings, where: str) -> None:
    try:
        await client.connect()
    except ssl.SSLError as exc:
        raise SmtpError(f"TLS with the mail server {where} failed: check the mode (TLS vs STARTTLS) and "
                        "its certificate.", code=SmtpError.TLS_FAILED, retryable=True) from exc
    except aiosmtplib.SMTPConnectTimeoutError as exc:
        raise SmtpError(f"The mail server {where} did not answer in time.", code=SmtpError.TIMEOUT,
                        retryable=True) from exc
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
        if settings.mode is SmtpMode.TLS and isinstance(exc.__cause__, ssl.SSLError):
            raise SmtpError(f"TLS with the mail server {where} failed: check the mode (TLS vs STARTTLS) and "
                            "its certificate.", code=SmtpError.TLS_FAILED, retryable=True) from exc
        raise SmtpError(f"Could not connect to the mail server {where}: check host and port.",
                        code=SmtpError.CONNECTION_REFUSED, retryable=True) from exc
    except aiosmtplib.SMTPTimeoutError as exc:
        raise SmtpError(f"The mail server {where} did not answer in time.", code=SmtpError.TIMEOUT,
                        retryable=True) from exc


async def _starttls(client: aiosmtplib.SMTP, tls_context: ssl.SSLContext | None, where: str) -> None:
    try:
        await client.ehlo()  # learn the extensions the server offers
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"The mail server {where} did not greet properly: is it an SMTP server?",
                        code=SmtpError.CONNECTION_REFUSED, retryable=True) from exc
    if not client.supports_extension("starttls"):
        raise SmtpError(f"The mail server {where} does not offer STARTTLS: choose TLS or plain mode.",
                        code=SmtpError.TLS_FAILED, retryable=True)
    try:
        await client.starttls(tls_context=tls_context) if tls_context else await client.starttls()
    except (ssl.SSLError, aiosmtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"STARTTLS with the mail server {where} failed: check its certificate.",
                        code=SmtpError.TLS_FAILED, retryable=True) from exc


async def _login(client: aiosmtplib.SMTP, username: str, password: Secret | str | None, where: str) -> None:
    secret = password.reveal() if isinstance(password, Secret) else (password or "")
    try:
        await client.login(username, secret)
    except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPNotSupported) as exc:
        raise SmtpError(f"The mail server {where} refused the user name or password.",
                        code=SmtpError.AUTH_FAILED, retryable=True) from exc
    except aiosmtplib.SMTPTimeoutError as exc:
        raise SmtpError(f"The mail server {where} did not answer in time.", code=SmtpError.TIMEOUT,
                        retryable=True) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"Logging in to the mail server {where} failed.", code=SmtpError.AUTH_FAILED,
                        retryable=True) from exc


async def _send(client: aiosmtplib.SMTP, message: EmailMessage, where: str) -> None:
    try:
        await client.send_message(message)
    except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused) as exc:
        raise SmtpError(f"The mail server {where} refused the sender or recipient address.",
                        code=SmtpError.REJECTED, retryable=False) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SmtpError(f"The mail server {where} refused the message (SMTP {exc.code}).",
                        code=SmtpError.REJECTED, retryable=exc.code < 500) from exc
    except aiosmtplib.SMTPTimeoutError as exc:
        raise SmtpError(f"The mail server {where} did not answer in time.", code=SmtpError.TIMEOUT,
                        retryable=True) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"The connection to the mail server {where} broke while sending.",
                        code=SmtpError.CONNECTION_REFUSED, retryable=True) from exc


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely when still connected; a server that misbehaves at QUIT just gets disconnected."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
