"""SQLAlchemy 2 models. Schema changes go only through Alembic migrations (app/db/migrations).

Money is INTEGER satoshis; fiat amounts and rates are exact decimals stored as text; times are
UTC. Secrets (webhook secrets, SMTP passwords, seeds) are NOT here: they live in keyring.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.types import DecimalText, JSONText, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class WalletRow(Base):
    __tablename__ = "wallets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # xpub | multisig | seed
    script_type: Mapped[str] = mapped_column(String(32))
    # Extended public keys: privacy-sensitive, not secret (never logged whole). Seeds are in keyring.
    public_keys: Mapped[list[str]] = mapped_column(JSONText)
    threshold: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    gap_limit: Mapped[int] = mapped_column(Integer, default=20)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the wallet whose Electrum Lightning node RedWaves runs (at most one; docs/lightning.md)
    lightning: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class StoreRow(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_currency: Mapped[str] = mapped_column(String(8))
    speed_policy: Mapped[int] = mapped_column(Integer, default=1)
    expiry_s: Mapped[int] = mapped_column(Integer, default=900)
    monitoring_s: Mapped[int] = mapped_column(Integer, default=86400)
    underpaid_tolerance_pct: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal(0))
    rate_source: Mapped[str] = mapped_column(String(40), default="manual")
    rate_spread_pct: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal(0))
    checkout: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    notifications: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    email: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    wallets: Mapped[list[StoreWalletRow]] = relationship(
        lazy="raise", order_by="StoreWalletRow.position", cascade="all, delete-orphan"
    )


class StoreWalletRow(Base):
    __tablename__ = "store_wallets"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    wallet_id: Mapped[str] = mapped_column(ForeignKey("wallets.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(DecimalText)
    category: Mapped[str] = mapped_column(String(100), default="")
    image: Mapped[str | None] = mapped_column(String(200))  # file name under <data>/images
    stock: Mapped[int | None] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AddressRow(Base):
    """Every receive address RedWaves ever handed out: an index is never given twice."""

    __tablename__ = "addresses"

    wallet_id: Mapped[str] = mapped_column(ForeignKey("wallets.id"), primary_key=True)
    derivation_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(100), unique=True)
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvoiceRow(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    wallet_id: Mapped[str] = mapped_column(ForeignKey("wallets.id"))
    address: Mapped[str] = mapped_column(String(100), unique=True)
    derivation_index: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(8))
    rate: Mapped[Decimal | None] = mapped_column(DecimalText)
    rate_source: Mapped[str | None] = mapped_column(String(40))
    amount_due_sat: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    buyer_email: Mapped[str | None] = mapped_column(String(320))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSONText, default=dict)
    redirect_url: Mapped[str | None] = mapped_column(Text)
    notification_url: Mapped[str | None] = mapped_column(Text)
    speed_policy: Mapped[int] = mapped_column(Integer)
    underpaid_tolerance_pct: Mapped[Decimal] = mapped_column(DecimalText)
    status: Mapped[str] = mapped_column(String(16))
    exception_status: Mapped[str] = mapped_column(String(16))
    amount_paid_sat: Mapped[int] = mapped_column(Integer, default=0)
    amount_confirmed_sat: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    monitoring_until: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    monitored: Mapped[bool] = mapped_column(Boolean, default=True)
    # created without a key (the ready store, keyless API calls): counted against the store's budget
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    bolt11: Mapped[str | None] = mapped_column(Text, nullable=True)  # issued with the invoice (Lightning)
    payment_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # staff (docs/staff.md): who created it (people.id, NULL: the system) and at which terminal; the fiat tip
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    terminal_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tip: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)

    __table_args__ = (
        Index("ix_invoices_payment_hash", "payment_hash", unique=True),
        Index("ix_invoices_created_by", "created_by", "created_at"),
        Index("ix_invoices_terminal", "terminal_id", "created_at"),
        Index("ix_invoices_store_created", "store_id", "created_at"),
        Index("ix_invoices_created", "created_at"),  # the unfiltered list, newest first (listing.py)
        Index("ix_invoices_public_open", "store_id", "public", "status"),
        Index("ix_invoices_status_created", "status", "created_at"),
        # covers the dashboard's sales aggregate (InvoiceService.sales_summary): no row reads
        Index("ix_invoices_sales", "status", "created_at", "paid_at", "store_id", "currency", "amount_paid_sat",
              "price"),
        Index("ix_invoices_monitored", "monitored"),
        Index("ix_invoices_order_id", "order_id"),
        Index("ix_invoices_closed_order", "monitored", "monitoring_until", "id"),  # closed-invoice checks
    )


class PaymentRow(Base):
    """A payment is never deleted: replaced or reorged payments stay visible with their state."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    txid: Mapped[str] = mapped_column(String(64))
    vout: Mapped[int] = mapped_column(Integer)
    amount_sat: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    height: Mapped[int] = mapped_column(Integer, default=0)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    accounted: Mapped[bool] = mapped_column(Boolean, default=True)
    rbf: Mapped[bool] = mapped_column(Boolean, default=False)
    ever_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    block_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # mined: header timestamp
    fee_sat: Mapped[int | None] = mapped_column(Integer, nullable=True)  # NULL: not measured yet
    vsize: Mapped[int | None] = mapped_column(Integer, nullable=True)
    low_fee: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # 'lightning': txid holds the payment hash, preimage the proof (app/core/payments.py LightningProof)
    method: Mapped[str] = mapped_column(String(16), default="onchain", server_default="onchain")
    preimage: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        UniqueConstraint("invoice_id", "txid", "vout", name="uq_payments_outpoint"),
        Index("ix_payments_first_seen", "first_seen_at"),  # recent payments, newest first
    )


class ClosedInvoicePaymentRow(Base):
    """Money found on a closed (no longer monitored) invoice's address: one row per (invoice, txid).

    Never changes the invoice's status; `state` is unconfirmed | confirmed | gone (left the chain).
    See app/services/invoicing/closed_watch.py.
    """

    __tablename__ = "closed_invoice_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    txid: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(100))
    amount_sat: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)  # <= 0: unconfirmed, or mined but not proven
    verified: Mapped[bool] = mapped_column(Boolean)  # merkle proof checked against our headers
    state: Mapped[str] = mapped_column(String(16))
    found_by: Mapped[str] = mapped_column(String(16))  # periodic | on_demand
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("invoice_id", "txid", name="uq_closed_invoice_payments_tx"),)


class ClosedCheckStateRow(Base):
    """Where the periodic closed-invoice check is (survives restarts) and its hourly request budget."""

    __tablename__ = "closed_check_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    pass_no: Mapped[int] = mapped_column(Integer, default=0)
    pass_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tail_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # walk: next is older
    tail_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    head_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # newest closed seen
    head_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hour_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hour_used: Mapped[int] = mapped_column(Integer, default=0)
    checked_total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxEventRow(Base):
    """Committed with the transition that caused it; `seq` is monotonic and gap-free per commit."""

    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str | None] = mapped_column(String(40), index=True)
    store_id: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventCursorRow(Base):
    """How far a durable consumer (webhooks, email) has processed the outbox."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public prefix id
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the full key
    scopes: Mapped[list[str]] = mapped_column(JSONText)
    store_ids: Mapped[list[str] | None] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookRow(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSONText)  # empty = all
    flavor: Mapped[str] = mapped_column(String(16), default="redwaves")  # redwaves | greenfield
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_seq", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class NotificationDeliveryRow(Base):
    """Emails and other merchant/buyer notifications, persisted so they survive restarts."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store_id: Mapped[str | None] = mapped_column(String(40))
    event_seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))  # email | tray | apprise | ...
    kind: Mapped[str] = mapped_column(String(32))  # receipt | merchant
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("channel", "kind", "recipient", "event_seq", name="uq_notification_once"),
        Index("ix_notification_due", "status", "next_attempt_at"),
    )


class AppSettingRow(Base):
    """Settings the merchant edits at run time (GUI/API), as JSON values."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText)


class IdempotencyKeyRow(Base):
    """A client's `Idempotency-Key` and the response it got, written in the creation's transaction.

    `scope` separates clients (`apikey:<id>` or `store:<id>`); rows older than the retention
    (24 h) are purged. See app/services/invoicing/idempotency.py.
    """

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)  # the response body, exactly as first sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)


class RefundRow(Base):
    """A refund of (part of) an invoice: its calculation, kept as shown, and its link's state.

    The id is the public link's capability (22 random url-safe characters, like invoice ids).
    See app/services/refunds/refunds.py and docs/refunds.md."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    status: Mapped[str] = mapped_column(String(16))  # requested | open | claimed | paid | expired | cancelled
    variant: Mapped[str] = mapped_column(String(16))
    gross_sat: Mapped[int] = mapped_column(Integer)
    fee_sat: Mapped[int] = mapped_column(Integer)
    amount_sat: Mapped[int] = mapped_column(Integer)
    fiat_amount: Mapped[Decimal | None] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(8))
    rate: Mapped[Decimal | None] = mapped_column(DecimalText)
    rate_source: Mapped[str | None] = mapped_column(String(40))
    fee_pct: Mapped[Decimal] = mapped_column(DecimalText)
    fee_fixed_sat: Mapped[int] = mapped_column(Integer, default=0)
    already_refunded_sat: Mapped[int] = mapped_column(Integer, default=0)
    refundable_sat: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destination: Mapped[str | None] = mapped_column(String(100))
    payout_id: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_refunds_store_status", "store_id", "status", "created_at"),)


class PayoutRow(Base):
    """Money the shop sends: a claimed refund or a direct payout. Points to its current transaction."""

    __tablename__ = "payouts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    wallet_id: Mapped[str] = mapped_column(ForeignKey("wallets.id"))
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    destination: Mapped[str] = mapped_column(String(100))
    amount_sat: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payout_tx_id: Mapped[str | None] = mapped_column(ForeignKey("payout_txs.id"), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_payouts_store_status", "store_id", "status", "created_at"),
        Index("ix_payouts_status", "status"),
    )


class PayoutTxRow(Base):
    """One built transaction paying payouts. raw_tx and txid are written BEFORE broadcast; an RBF bump is a
    new row with ``replaces_id`` (the old one stays, 'replaced' unless it is the one that confirms)."""

    __tablename__ = "payout_txs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    wallet_id: Mapped[str] = mapped_column(ForeignKey("wallets.id"))
    kind: Mapped[str] = mapped_column(String(8))  # hot | psbt
    status: Mapped[str] = mapped_column(String(16))  # built | signed | broadcast | confirmed | replaced | failed
    psbt: Mapped[str | None] = mapped_column(Text)
    raw_tx: Mapped[str | None] = mapped_column(Text)
    txid: Mapped[str | None] = mapped_column(String(64), index=True)
    fee_sat: Mapped[int] = mapped_column(Integer, default=0)
    fee_rate: Mapped[Decimal] = mapped_column(DecimalText)
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("payout_txs.id"))
    change_address: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    broadcast_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    height: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_payout_txs_status", "status"),)


class PersonRow(Base):
    """A member of staff (app/services/staff/people.py). ``pin`` / ``password``: the PinGuard record
    (scrypt hash, salt, parameters, wrong tries in a row, lockout end), never the secret itself."""

    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60), unique=True)  # casefolded: names are unique
    role: Mapped[str] = mapped_column(String(16))  # owner | manager | cashier
    store_ids: Mapped[list[str]] = mapped_column(JSONText, default=list)
    pin: Mapped[dict[str, Any]] = mapped_column(JSONText)
    password: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TerminalRow(Base):
    """A paired point-of-sale device (app/services/staff/terminals.py); tokens and codes stored as sha256."""

    __tablename__ = "terminals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    person_ids: Mapped[list[str]] = mapped_column(JSONText, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pairing_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    device_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_address: Mapped[str | None] = mapped_column(String(100), nullable=True)


class TerminalSessionRow(Base):
    """A person logged in on a terminal (PIN); ends at logout, expiry, revoke or deactivation."""

    __tablename__ = "terminal_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditRow(Base):
    """One action of a person (or the system). Append-only: triggers of migration 0010 abort every
    UPDATE and DELETE; names are copied so the row stays readable whatever happens to the person."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    person_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    person_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16))
    terminal_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    terminal_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    store_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_person", "person_id", "at"),
        Index("ix_audit_log_terminal", "terminal_id", "at"),
        Index("ix_audit_log_store", "store_id", "at"),
    )
