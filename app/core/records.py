"""Immutable snapshots handed to every front end (Qt models, pages, API, CLI). Never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from app.core.invoices import InvoiceState, InvoiceTerms
from app.core.money import format_btc
from app.core.payments import Payment
from app.core.statuses import ExceptionStatus, InvoiceStatus


@dataclass(frozen=True)
class Wallet:
    id: str
    name: str
    kind: str  # xpub | multisig | seed
    script_type: str
    fingerprint: str
    key_hint: str  # first characters of the first key, for recognition only
    next_index: int  # receive addresses handed out so far
    gap_limit: int
    threshold: int | None
    created_at: datetime
    lightning: bool = False  # RedWaves' Lightning node runs on this (hot, p2wpkh) wallet

    @property
    def can_have_lightning(self) -> bool:
        """Electrum's Lightning needs a p2wpkh wallet that can sign (a seed wallet here)."""
        return self.kind == "seed" and self.script_type == "p2wpkh"

    @property
    def gap_exposure(self) -> int:
        """How far past the gap limit RedWaves has gone: a restore elsewhere needs a gap limit of
        at least `next_index` if many of the handed-out addresses stay unpaid."""
        return max(0, self.next_index - self.gap_limit)


@dataclass(frozen=True)
class Store:
    id: str
    name: str
    default_currency: str
    speed_policy: int
    expiry_s: int
    monitoring_s: int
    underpaid_tolerance_pct: Decimal
    rate_source: str
    rate_spread_pct: Decimal
    wallet_ids: tuple[str, ...]
    checkout: dict[str, Any] = field(default_factory=dict)
    notifications: dict[str, Any] = field(default_factory=dict)
    email: dict[str, Any] = field(default_factory=dict)
    archived: bool = False
    created_at: datetime | None = None

    @property
    def public_url(self) -> str | None:
        """The store's own public URL (Settings → Email "public URL", ``email.public_url``): first in
        every checkout link (app/services/ports.py ``checkout_base``)."""
        value = self.email.get("public_url")
        return value.rstrip("/") if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Product:
    id: str
    store_id: str
    name: str
    description: str
    price: Decimal
    category: str
    image: str | None
    stock: int | None
    archived: bool
    created_at: datetime


@dataclass(frozen=True)
class Invoice:
    id: str
    store_id: str
    wallet_id: str
    address: str
    derivation_index: int
    price: Decimal
    currency: str
    rate: Decimal | None
    rate_source: str | None
    amount_due_sat: int
    order_id: str | None
    description: str
    buyer_email: str | None
    items: tuple[dict[str, Any], ...]
    metadata: dict[str, Any]
    redirect_url: str | None
    notification_url: str | None
    speed_policy: int
    underpaid_tolerance_pct: Decimal
    status: InvoiceStatus
    exception_status: ExceptionStatus
    amount_paid_sat: int
    amount_confirmed_sat: int
    created_at: datetime
    expires_at: datetime
    monitoring_until: datetime
    paid_at: datetime | None
    confirmed_at: datetime | None
    completed_at: datetime | None
    payments: tuple[Payment, ...] = ()
    bolt11: str | None = None  # the Lightning invoice issued with it (app/core/lightning.py), if any
    payment_hash: str | None = None
    created_by: str | None = None  # the person (people.id) who created it; None: the system (docs/staff.md)
    terminal_id: str | None = None  # the web terminal it was created at, if any
    tip: Decimal | None = None  # the fiat tip included in the price (also in metadata.pos)

    @property
    def remaining_sat(self) -> int:
        return max(0, self.amount_due_sat - self.amount_paid_sat)

    @property
    def terms(self) -> InvoiceTerms:
        return InvoiceTerms(
            amount_due_sat=self.amount_due_sat,
            created_at=self.created_at,
            expires_at=self.expires_at,
            monitoring_until=self.monitoring_until,
            speed_policy=self.speed_policy,
            underpaid_tolerance_pct=self.underpaid_tolerance_pct,
        )

    @property
    def state(self) -> InvoiceState:
        return InvoiceState(
            status=self.status,
            exception_status=self.exception_status,
            paid_at=self.paid_at,
            confirmed_at=self.confirmed_at,
            completed_at=self.completed_at,
            amount_paid_sat=self.amount_paid_sat,
            amount_confirmed_sat=self.amount_confirmed_sat,
            remaining_sat=self.remaining_sat,
        )

    def payment_uri(self, label: str = "") -> str:
        """BIP21 URI for what is still due (the full amount before any payment)."""
        amount = self.remaining_sat or self.amount_due_sat
        params = [f"amount={format_btc(amount)}"]
        if label:
            params.append(f"label={quote(label, safe='')}")
        if self.description:
            params.append(f"message={quote(self.description[:200], safe='')}")
        return f"bitcoin:{self.address}?{'&'.join(params)}"


@dataclass(frozen=True)
class Page:
    """One page of a listing."""

    items: tuple[Any, ...]
    total: int
    offset: int
    limit: int
