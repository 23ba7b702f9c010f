"""Buyer receipts and merchant notifications: the notification channel of the delivery pipeline.

For each outbox event the channel applies the store's settings and rules and plans one
``notification_deliveries`` row per (channel, kind, recipient, event): a receipt to the buyer when
`receipt_on` says so (once per invoice, even if it is paid again after a reorg), and a merchant message
on every channel the rules name (tray, the store's merchant_to addresses, Apprise, plain webhooks). A
row is rendered at send time from its event and invoice, then sent through the provider its ``channel``
column names (`ChannelRegistry`). Cursor, retries, log and redelivery are `DeliveryPipeline`'s.

Nothing here runs inside the payment flow: a dead mail server only delays notifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import UserFacingError
from app.core.money import format_btc
from app.core.public_invoices import alert_text
from app.core.records import Invoice, Store
from app.db.models import NotificationDeliveryRow, OutboxEventRow
from app.net.notify import DeliveryFailed
from app.services.catalog.stores import StoreService
from app.services.delivery import notification_rules as rules
from app.services.delivery.email import EmailService, parse_config
from app.services.delivery.notification_channels import ChannelRegistry, EmailProvider
from app.services.delivery.notification_rules import JsonObject
from app.services.delivery.pipeline import Attempt, Clock, DeliveryPipeline, DeliveryStatus, utc_now
from app.services.delivery.retry import RetryPolicy
from app.services.events import EventBus, OutboxEvent, cached_lookup
from app.services.invoicing.invoices import InvoiceService
from app.services.writer import Writer


class Kind(StrEnum):
    RECEIPT = "receipt"
    MERCHANT = "merchant"
    REFUND = "refund"  # the refund link to the buyer (refund.created), once per refund


@dataclass(frozen=True)
class NotificationDelivery:
    id: int
    store_id: str | None
    event_seq: int
    channel: str
    kind: str
    recipient: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _delivery(row: NotificationDeliveryRow) -> NotificationDelivery:
    return NotificationDelivery(row.id, row.store_id, row.event_seq, row.channel, row.kind, row.recipient,
                                DeliveryStatus(row.status), row.attempts, row.next_attempt_at, row.last_error,
                                row.created_at, row.delivered_at)


def failed_attempt(error: UserFacingError) -> Attempt:
    return Attempt(f"{error.code}: {error.message}", retryable=isinstance(error, DeliveryFailed) and error.retryable)


class NotificationChannel:
    consumer = "notifications"
    table = NotificationDeliveryRow

    def __init__(self, writer: Writer, stores: StoreService, invoices: InvoiceService, email: EmailService,
                 providers: ChannelRegistry) -> None:
        self._writer = writer
        self._stores = stores
        self._invoices = invoices
        self._email = email
        self.providers = providers

    async def open(self) -> None:
        await self.providers.start()

    async def close(self) -> None:
        await self.providers.stop()

    # -- which rows an event implies -------------------------------------------------------------
    async def plan(self, batch: list[OutboxEvent]) -> list[NotificationDeliveryRow]:
        stores: dict[str, Store | None] = {}
        invoices: dict[str, Invoice | None] = {}
        rows: list[NotificationDeliveryRow] = []
        for event in batch:
            store = await cached_lookup(stores, event.store_id, self._stores.get)
            if store is not None:
                rows.extend(await self._plan(store, event, invoices))
        return rows

    async def _plan(self, store: Store, event: OutboxEvent,
                    invoices: dict[str, Invoice | None]) -> list[NotificationDeliveryRow]:
        config = parse_config(store.email)
        targets: list[tuple[Kind, str, str]] = []  # (kind, channel, recipient)
        if config.smtp and event.invoice_id and rules.receipt_due(config.receipt_on, event.type, event.payload):
            invoice = await cached_lookup(invoices, event.invoice_id, self._invoices.get)
            if invoice is not None and invoice.buyer_email:
                targets.append((Kind.RECEIPT, "email", invoice.buyer_email))
        if config.smtp and event.invoice_id and event.type == "refund.created":
            invoice = await cached_lookup(invoices, event.invoice_id, self._invoices.get)
            if invoice is not None and invoice.buyer_email:
                targets.append((Kind.REFUND, "email", invoice.buyer_email))
        configured = store.notifications.get("channels") or {}
        for name in rules.channels_for(store.notifications, rules.triggers(event.type, event.payload)):
            if name == "email":
                targets.extend((Kind.MERCHANT, "email", addr) for addr in config.merchant_to if config.smtp)
            elif name == "tray":
                targets.append((Kind.MERCHANT, "tray", "tray"))
            else:
                targets.append((Kind.MERCHANT, configured[name]["type"], name))
        return [NotificationDeliveryRow(store_id=store.id, event_seq=event.seq, channel=channel, kind=str(kind),
                                        recipient=recipient) for kind, channel, recipient in targets]

    async def exists(self, session: AsyncSession, row: NotificationDeliveryRow) -> bool:
        """The same delivery, or a receipt already planned for another event of the same invoice."""
        table = NotificationDeliveryRow
        same = select(table.id).where(table.channel == row.channel, table.kind == row.kind,
                                      table.recipient == row.recipient, table.event_seq == row.event_seq)
        if row.kind == Kind.RECEIPT:
            invoice_id = select(OutboxEventRow.invoice_id).where(OutboxEventRow.seq == row.event_seq)
            seqs = select(OutboxEventRow.seq).where(OutboxEventRow.invoice_id == invoice_id.scalar_subquery())
            same = select(table.id).where(table.kind == row.kind, table.recipient == row.recipient,
                                          table.event_seq.in_(seqs))
        return await session.scalar(same.limit(1)) is not None

    # -- one attempt -----------------------------------------------------------------------------
    async def send(self, row: NotificationDeliveryRow) -> Attempt:
        async with self._writer.read() as session:
            event = await session.get(OutboxEventRow, row.event_seq)
        try:
            await self._deliver(row, event)
        except UserFacingError as exc:
            return failed_attempt(exc)
        return Attempt()

    async def _deliver(self, row: NotificationDeliveryRow, event: OutboxEventRow | None) -> None:
        if event is not None and event.type in rules.STORE_ALERTS and row.store_id is not None:
            await self._deliver_alert(row, event)
            return
        if event is not None and event.type in rules.REFUND_EVENTS and not event.invoice_id and row.store_id:
            await self._deliver_payout(row, event)  # a direct payout: no invoice behind it
            return
        if event is None or event.invoice_id is None or row.store_id is None:
            raise DeliveryFailed("The event for this notification is gone.", code="event_missing", retryable=False)
        store = await self._stores.get(row.store_id)
        invoice = await self._invoices.get(event.invoice_id)
        if row.kind == Kind.RECEIPT:
            await self._email.send(store, row.recipient, self._email.render("receipt", store, invoice))
            return
        if row.kind == Kind.REFUND:
            rendered = self._email.render("refund", store, invoice, refund=dict(event.payload))
            await self._email.send(store, row.recipient, rendered)
            return
        text = rules.label(rules.triggers(event.type, dict(event.payload))) or event.type
        rendered = self._email.render("merchant", store, invoice, label=text)
        provider = await self.providers.provider(store, row.channel, row.recipient)
        if isinstance(provider, EmailProvider):
            await provider.send_rendered(rendered)
        else:
            await provider.send(rendered.subject, rendered.text, url=self._email.invoice_link(store, invoice.id))

    async def _deliver_payout(self, row: NotificationDeliveryRow, event: OutboxEventRow) -> None:
        assert row.store_id is not None
        store = await self._stores.get(row.store_id)
        payload = dict(event.payload)
        label = rules.TRIGGER_LABELS.get(event.type, event.type).removeprefix("has a ")
        subject = f"[{store.name}] {label}: {format_btc(int(payload.get('amount_sat') or 0))} BTC"
        body = (f"{store.name}: {label}.\nPayout: {payload.get('payout_id', '')}\n"
                f"Amount: {format_btc(int(payload.get('amount_sat') or 0))} BTC\n")
        provider = await self.providers.provider(store, row.channel, row.recipient)
        await provider.send(subject, body)

    async def _deliver_alert(self, row: NotificationDeliveryRow, event: OutboxEventRow) -> None:
        """A store event without an invoice (the public-invoice budget): plain text on any channel."""
        assert row.store_id is not None
        store = await self._stores.get(row.store_id)
        subject, body = alert_text(store.name, dict(event.payload))
        provider = await self.providers.provider(store, row.channel, row.recipient)
        await provider.send(subject, body)


class NotificationService:
    def __init__(self, writer: Writer, events: EventBus, stores: StoreService, invoices: InvoiceService,
                 email: EmailService, channels: ChannelRegistry, *, policy: RetryPolicy | None = None,
                 clock: Clock = utc_now) -> None:
        self._writer = writer
        self._stores = stores
        self.channels = channels
        self.pipeline = DeliveryPipeline(writer, events, NotificationChannel(writer, stores, invoices, email, channels),
                                         policy=policy or RetryPolicy(), clock=clock)

    async def start(self) -> None:
        await self.pipeline.start()

    async def stop(self) -> None:
        await self.pipeline.stop()

    async def configure(self, store_id: str, config: JsonObject, *,
                        targets: Mapping[str, str | None] | None = None) -> Store:
        """Save channels and rules; ``targets`` maps channel name -> webhook URL or Apprise URL(s)
        (kept in the keyring; None removes)."""
        clean = rules.clean_notifications(config)
        await self._stores.get(store_id)
        for name, target in (targets or {}).items():
            if name not in clean["channels"]:
                raise UserFacingError(f"Unknown channel '{name}'.", code="invalid_channel_name", field="targets")
            await self.channels.set_target(store_id, name, target)
        return await self._stores.update(store_id, {"notifications": clean})

    async def deliveries(self, store_id: str, *, limit: int = 100) -> list[NotificationDelivery]:
        query = (select(NotificationDeliveryRow).where(NotificationDeliveryRow.store_id == store_id)
                 .order_by(NotificationDeliveryRow.id.desc()).limit(limit))
        async with self._writer.read() as session:
            return [_delivery(row) for row in (await session.scalars(query)).all()]

    async def retry(self, delivery_id: int) -> NotificationDelivery:
        """Send a delivery again now (after the merchant fixed the settings)."""
        return _delivery(await self.pipeline.redeliver(delivery_id))

    def wake(self) -> None:
        self.pipeline.wake()
