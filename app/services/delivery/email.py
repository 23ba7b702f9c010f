"""Per-store email: SMTP settings (Store.email), the password (keyring), templates, test-send, sending.

Store.email holds {"host", "port", "mode", "username", "from_address", "receipt_on", "merchant_to",
"public_url", "templates": {kind: {part: source}}}; never the password, which SecretStore keeps under
``smtp:<store id>``. Delivery from the outbox is NotificationService's job; this service only renders
and sends one message when asked.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from app.core.errors import UserFacingError, ValidationError
from app.core.hosts import is_host, tcp_port
from app.core.records import Invoice, Store
from app.core.urls import check_http_url
from app.net.smtp import DEFAULT_PORTS, SmtpMode, SmtpSettings, send_email
from app.secrets import Secret, SecretStore
from app.services.catalog.stores import StoreService
from app.services.delivery.email_templates import (
    EmailTemplates,
    RenderedEmail,
    invoice_context,
    refund_context,
)
from app.services.delivery.notification_rules import JsonObject

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")
SETTING_KEYS = ("host", "port", "mode", "username", "from_address", "receipt_on", "merchant_to", "public_url")


class Transport(Protocol):
    """How a message leaves (app.net.smtp.send_email; a fake in tests)."""

    async def __call__(self, settings: SmtpSettings, message: EmailMessage, *, password: Secret | None,
                       tls_context: ssl.SSLContext | None) -> None: ...


E = TypeVar("E", bound=StrEnum)


class ReceiptOn(StrEnum):
    COMPLETE = "complete"  # settled by the store's speed policy (default)
    PAID = "paid"  # as soon as the full amount is seen (0-conf)
    NEVER = "never"


class SmtpNotConfigured(UserFacingError):
    code = "smtp_not_configured"
    http_status = 409


def password_name(store_id: str) -> str:
    return f"smtp:{store_id}"


@dataclass(frozen=True)
class EmailConfig:
    smtp: SmtpSettings | None
    receipt_on: ReceiptOn
    merchant_to: tuple[str, ...]
    public_url: str | None
    templates: Mapping[str, Mapping[str, str]]


def check_address(value: object, field: str) -> str:
    text = str(value or "").strip()
    if not EMAIL_RE.match(text) or len(text) > 320:
        raise ValidationError(f"'{text[:80]}' does not look like an email address.", code="invalid_email", field=field)
    return text


def _host(value: object) -> str:
    text = str(value or "").strip()
    if not is_host(text):
        raise ValidationError("The SMTP host must be a host name or IP address.", code="invalid_smtp_host",
                              field="host")
    return text


def _port(value: object, mode: SmtpMode) -> int:
    if value is None or value == "":
        return DEFAULT_PORTS[mode]
    port = tcp_port(value)
    if port is None:
        raise ValidationError("The SMTP port must be a number from 1 to 65535.", code="invalid_smtp_port", field="port")
    return port


def _choice(enum: type[E], value: object, field: str, default: E) -> E:
    if value is None or value == "":
        return default
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        options = ", ".join(m.value for m in enum)
        raise ValidationError(f"'{field}' must be one of {options}.", code=f"invalid_{field}", field=field) from None


def clean_settings(settings: JsonObject) -> dict[str, Any]:
    """Validated, JSON-safe settings; a password here is refused (it belongs in the keyring)."""
    unknown = set(settings) - set(SETTING_KEYS)
    if unknown:
        field = sorted(unknown)[0]
        hint = " Pass the password separately; it is kept in the keyring." if field == "password" else ""
        raise ValidationError(f"Unknown email setting '{field}'.{hint}", code="unknown_field", field=field)
    mode = _choice(SmtpMode, settings.get("mode"), "mode", SmtpMode.STARTTLS)
    merchant_to = settings.get("merchant_to") or []
    if isinstance(merchant_to, str):
        merchant_to = [part for part in re.split(r"[,\s]+", merchant_to) if part]
    username = str(settings.get("username") or "").strip()
    if len(username) > 320:
        raise ValidationError("The SMTP user name is too long.", code="invalid_smtp_username", field="username")
    public_url = str(settings.get("public_url") or "").strip().rstrip("/")
    if public_url:
        check_http_url(public_url, "public_url")  # the one URL rule (app/core/urls.py): no NUL, no user-info
    return {
        "host": _host(settings.get("host")), "port": _port(settings.get("port"), mode), "mode": mode.value,
        "username": username or None, "from_address": check_address(settings.get("from_address"), "from_address"),
        "receipt_on": _choice(ReceiptOn, settings.get("receipt_on"), "receipt_on", ReceiptOn.COMPLETE).value,
        "merchant_to": [check_address(a, "merchant_to") for a in dict.fromkeys(merchant_to)][:10],
        "public_url": public_url or None,
    }


def parse_config(email: JsonObject) -> EmailConfig:
    smtp = None
    if email.get("host") and email.get("from_address"):
        smtp = SmtpSettings(host=email["host"], port=int(email.get("port") or 587), mode=SmtpMode(email["mode"]),
                            from_address=email["from_address"], username=email.get("username") or None)
    return EmailConfig(smtp=smtp, receipt_on=ReceiptOn(email.get("receipt_on") or ReceiptOn.COMPLETE),
                       merchant_to=tuple(email.get("merchant_to") or ()), public_url=email.get("public_url") or None,
                       templates=dict(email.get("templates") or {}))


class EmailService:
    def __init__(self, stores: StoreService, secrets: SecretStore, *,
                 invoice_url: Callable[[str], str | None] | None = None, tls_context: ssl.SSLContext | None = None,
                 transport: Transport = send_email, templates: EmailTemplates | None = None,
                 refund_url: Callable[[str], str | None] | None = None) -> None:
        self._stores = stores
        self._secrets = secrets
        self._invoice_url = invoice_url or (lambda _invoice_id: None)
        self._refund_url = refund_url or (lambda _refund_id: None)
        self._tls_context = tls_context
        self._transport = transport
        self.templates = templates or EmailTemplates()

    async def configure(self, store_id: str, settings: JsonObject, *, password: str | None = None) -> Store:
        """Save SMTP settings; ``password`` None keeps the stored one, "" removes it."""
        store = await self._stores.get(store_id)
        values = clean_settings(settings)
        if password is not None:
            await self._set_password(store_id, password)
        templates = store.email.get("templates") or {}
        return await self._stores.update(store_id, {"email": {**values, "templates": templates}})

    async def set_templates(self, store_id: str, kind: str, parts: Mapping[str, str | None]) -> Store:
        """Override (or, with None/"", reset) the subject/text/html templates of one kind."""
        store = await self._stores.get(store_id)
        clean = self.templates.validate(kind, parts)
        templates = {k: dict(v) for k, v in (store.email.get("templates") or {}).items()}
        current = {p: s for p, s in templates.get(kind, {}).items() if p not in parts}
        templates[kind] = {**current, **clean}
        return await self._stores.update(store_id, {"email": {**store.email, "templates": templates}})

    async def config(self, store_id: str) -> EmailConfig:
        return parse_config((await self._stores.get(store_id)).email)

    def invoice_link(self, store: Store, invoice_id: str) -> str | None:
        base = store.public_url
        return f"{base}/i/{invoice_id}" if base else self._invoice_url(invoice_id)

    def refund_link(self, store: Store, refund_id: str) -> str | None:
        """The shopper's refund page: the store's public URL first, like invoice links."""
        base = store.public_url
        return f"{base}/refund/{refund_id}" if base else self._refund_url(refund_id)

    def render(self, kind: str, store: Store, invoice: Invoice, *, label: str = "",
               refund: Mapping[str, Any] | None = None) -> RenderedEmail:
        """``refund``: the refund.created event's payload, for the "refund" kind (the link to the buyer)."""
        context = invoice_context(store, invoice, link=self.invoice_link(store, invoice.id), label=label)
        if refund is not None:
            refund_id = str(refund.get("refund_id") or "")
            context["refund"] = refund_context(refund, link=self.refund_link(store, refund_id) or "")
        overrides = (store.email.get("templates") or {}).get(kind)
        return self.templates.render(kind, context, overrides)

    async def send(self, store: Store, to: str, rendered: RenderedEmail) -> None:
        """Send one rendered message with the store's settings (raises SmtpError / SmtpNotConfigured)."""
        config = parse_config(store.email)
        if config.smtp is None:
            raise SmtpNotConfigured("Email is not set up for this store: add the SMTP settings first.")
        await self._deliver(config.smtp, await self._password(store.id), to, rendered)

    async def send_test(self, store_id: str, to: str, *, settings: JsonObject | None = None,
                        password: str | None = None) -> None:
        """Send a test message with the saved settings, or with unsaved ``settings``/``password`` to try
        them before saving. Bad settings raise SmtpError (codes smtp_connection_refused, smtp_auth_failed,
        smtp_tls_failed, smtp_timeout, smtp_rejected)."""
        store = await self._stores.get(store_id)
        recipient = check_address(to, "to")
        config = parse_config(clean_settings(settings)) if settings is not None else parse_config(store.email)
        if config.smtp is None:
            raise SmtpNotConfigured("Email is not set up for this store: add the SMTP settings first.")
        secret = Secret(password) if password is not None else await self._password(store_id)
        text = f"This is a test message from RedWaves for the store {store.name}.\nYour email settings work.\n"
        await self._deliver(config.smtp, secret, recipient,
                            RenderedEmail(subject=f"RedWaves test message ({store.name[:100]})", text=text, html=""))

    async def _deliver(self, smtp: SmtpSettings, password: Secret | None, to: str, rendered: RenderedEmail) -> None:
        message = EmailMessage()
        message["Subject"] = rendered.subject
        message["From"] = smtp.from_address
        message["To"] = to
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=smtp.from_address.rsplit("@", 1)[-1])
        message.set_content(rendered.text)
        if rendered.html:
            message.add_alternative(rendered.html, subtype="html")
        await self._transport(smtp, message, password=password, tls_context=self._tls_context)

    async def _password(self, store_id: str) -> Secret | None:
        return await asyncio.to_thread(self._secrets.get, password_name(store_id))

    async def _set_password(self, store_id: str, password: str) -> None:
        if password:
            await asyncio.to_thread(self._secrets.set, password_name(store_id), password)
        else:
            await asyncio.to_thread(self._secrets.delete, password_name(store_id))
