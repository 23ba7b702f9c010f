"""Invoices: create (price locked at a rate, a fresh address), read, list, mark."""

from __future__ import annotations

import builtins
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, func, select

from app.core import invoices as rules
from app.core.errors import Conflict, InvoiceNotFound, StoreHasNoWallet, ValidationError
from app.core.events import InvoiceCreated, diff_events
from app.core.ids import new_invoice_id
from app.core.money import is_fiat, normalize_currency, parse_price, price_to_sat
from app.core.queries import InvoiceFilter
from app.core.rates import Quote
from app.core.records import Invoice, Page, Store
from app.core.sales import SOLD, DaySales, SalesSummary
from app.core.staff import SYSTEM, Actor, AuditAction, Permission, PersonSales, may_cancel_own, require
from app.core.statuses import ExceptionStatus, InvoiceStatus
from app.core.urls import check_http_url
from app.db.fastpath import compiled_insert
from app.db.mapping import column_values, to_invoice, to_payment
from app.db.models import InvoiceRow, PaymentRow, PersonRow, TerminalRow
from app.services.catalog.stores import StoreService
from app.services.events import EventBus, OutboxEvent, add_events, insert_events_sync
from app.services.invoicing.idempotency import ORDER_ID_UNIQUE, check_order_id_free
from app.services.invoicing.large_amounts import InvoicePreview, LargeInvoiceLimit, LargeInvoiceLimits
from app.services.invoicing.listing import InvoiceListing
from app.services.invoicing.rates import RateService
from app.services.lightning.service import LightningService
from app.services.staff.audit import AuditLog
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_METADATA_BYTES = 16 * 1024

logger = logging.getLogger(__name__)


def _optional_text(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise ValidationError(f"'{field}' is longer than {limit} characters.", code=f"invalid_{field}", field=field)
    return text or None


def _url(value: object, field: str) -> str | None:
    text = _optional_text(value, field, 2000)
    return check_http_url(text, field) if text else None  # http(s) only, no NUL/control characters


def _email(value: object) -> str | None:
    text = _optional_text(value, "buyer_email", 320)
    if text and not _EMAIL.match(text):
        raise ValidationError("That email address does not look valid.", code="invalid_email", field="buyer_email")
    return text


def _metadata(value: object) -> dict[str, Any]:
    import json

    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("metadata must be a JSON object.", code="invalid_metadata", field="metadata")
    try:
        encoded = json.dumps(value)
    except (TypeError, ValueError):
        raise ValidationError("metadata must be plain JSON.", code="invalid_metadata", field="metadata") from None
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise ValidationError("metadata is larger than 16 KiB.", code="invalid_metadata", field="metadata")
    plain: dict[str, Any] = json.loads(encoded)
    return plain


class InvoiceService:
    def __init__(self, writer: Writer, bus: EventBus, stores: StoreService, wallets: WalletService,
                 rates: RateService, *, on_created: Callable[[Invoice], None] | None = None,
                 lightning: LightningService | None = None, audit: AuditLog | None = None) -> None:
        self._writer = writer
        self._audit = audit or AuditLog(writer)
        self._lightning = lightning
        self._bus = bus
        self._stores = stores
        self._wallets = wallets
        self._rates = rates
        self._on_created = on_created
        self._created_watchers: list[Callable[[Invoice], None]] = []
        self.listing = InvoiceListing(writer, bus)
        self.limits = LargeInvoiceLimits(writer, rates)

    def watch_created(self, callback: Callable[[Invoice], None]) -> Callable[[], None]:
        """``callback(invoice)`` right after each creation commits, before ``create`` returns (the
        checkout's filter of known ids must know an id before anybody can ask for it)."""
        self._created_watchers.append(callback)
        return lambda: self._created_watchers.remove(callback) if callback in self._created_watchers else None

    async def scan_ids(self, *, batch: int = 20_000) -> AsyncIterator[list[str]]:
        """Every invoice id, in batches (keyset over the primary key: each batch is one short read)."""
        after = ""
        while True:
            async with self._writer.read() as session:
                ids = list((await session.scalars(select(InvoiceRow.id).where(InvoiceRow.id > after)
                                                  .order_by(InvoiceRow.id).limit(batch))).all())
            if not ids:
                return
            yield ids
            after = ids[-1]

    async def count(self) -> int:
        async with self._writer.read() as session:
            return await session.scalar(select(func.count()).select_from(InvoiceRow)) or 0

    async def create(self, store_id: str, *, price: Decimal | str | int, currency: str | None = None,
                     order_id: str | None = None, description: str = "", buyer_email: str | None = None,
                     metadata: Mapping[str, Any] | None = None, redirect_url: str | None = None,
                     notification_url: str | None = None, items: Sequence[Mapping[str, Any]] = (),
                     expiry_s: int | None = None, public: bool = False,
                     admit: Callable[[sqlite3.Connection], None] | None = None,
                     record: Callable[[sqlite3.Connection, Invoice], None] | None = None,
                     actor: Actor = SYSTEM, tip: Decimal | None = None) -> Invoice:
        """``public``: created without a key (app/services/invoicing/public.py); ``admit(conn)`` runs in the
        write transaction before an address is taken and may refuse by raising (nothing is written);
        ``record(conn, invoice)`` runs in it after the insert (the Idempotency-Key's stored response).
        With the store's ``checkout.order_id_unique``, a second invoice for an ``order_id`` is refused
        (OrderIdTaken, carrying the first invoice's id). ``actor``: who sells (SELL in the store; recorded as
        created_by / terminal_id and audited when a person); ``tip``: the fiat tip included in the price."""
        require(actor, Permission.SELL, store_id)
        tip = _tip(tip)
        store = await self._stores.get(store_id)
        # the store form promises "Archived (hidden, no new invoices)"; the Bitcart daemon's per-wallet
        # stores are archived only to keep them out of the owner's lists, and take invoices
        if store.archived and not store.checkout.get("daemon"):
            raise Conflict("This store is archived: restore it to take new invoices.", code="store_archived",
                           field="store_id")
        code, amount, quote, amount_due_sat = await self._priced(store, price, currency)
        if expiry_s is not None and (isinstance(expiry_s, bool) or not isinstance(expiry_s, int)
                                     or not 60 <= expiry_s <= 7 * 86400):
            raise ValidationError("Expiry must be 60 s to 7 days.", code="invalid_expiry", field="expiry_s")
        now = datetime.now(UTC)
        expires_at = now + timedelta(seconds=expiry_s or store.expiry_s)
        terms = rules.InvoiceTerms(
            amount_due_sat=amount_due_sat, created_at=now, expires_at=expires_at,
            monitoring_until=expires_at + timedelta(seconds=store.monitoring_s),
            speed_policy=store.speed_policy, underpaid_tolerance_pct=store.underpaid_tolerance_pct,
        )
        state = rules.initial_state(terms)
        row = InvoiceRow(
            id=new_invoice_id(), store_id=store.id, wallet_id=store.wallet_ids[0], price=amount, currency=code,
            rate=quote.rate if quote else None, rate_source=quote.source if quote else None,
            amount_due_sat=amount_due_sat, order_id=_optional_text(order_id, "order_id", 200),
            description=_optional_text(description, "description", 2000) or "", buyer_email=_email(buyer_email),
            items=[dict(i) for i in items], extra=_metadata(metadata), redirect_url=_url(redirect_url, "redirect_url"),
            notification_url=_url(notification_url, "notification_url"), speed_policy=store.speed_policy,
            underpaid_tolerance_pct=store.underpaid_tolerance_pct, status=str(state.status),
            exception_status=str(state.exception_status), amount_paid_sat=0, amount_confirmed_sat=0,
            created_at=now, expires_at=expires_at, monitoring_until=terms.monitoring_until, monitored=True,
            public=public, created_by=actor.person_id, terminal_id=actor.terminal_id, tip=tip,
        )
        created = InvoiceCreated(invoice_id=row.id, store_id=row.store_id, amount_due_sat=amount_due_sat,
                                 created_at=now, expires_at=expires_at, price=amount, currency=code)
        desc = await self._wallets.descriptor(row.wallet_id)
        if self._lightning is not None:  # a BOLT11 beside the address when the store takes Lightning
            bolt11 = await self._lightning.issue(store, amount_due_sat, message=row.description or store.name,
                                                 expires_at=expires_at)
            if bolt11 is not None:
                row.bolt11, row.payment_hash = bolt11.bolt11, bolt11.payment_hash

        def write(conn: sqlite3.Connection) -> list[OutboxEvent]:  # the hot path (bench P1): one thread hop
            if admit is not None:
                admit(conn)
            if row.order_id and store.checkout.get(ORDER_ID_UNIQUE) is True:
                check_order_id_free(conn, row.store_id, row.order_id)
            row.derivation_index, row.address = self._wallets.allocate_address_sync(conn, desc, row.wallet_id,
                                                                                    row.id, now=now)
            compiled = compiled_insert(InvoiceRow.__table__)
            conn.execute(compiled.sql, compiled.params(column_values(row)))
            if record is not None:
                record(conn, to_invoice(row))
            if actor.person_id is not None:
                self._audit.record_sync(conn, actor, AuditAction.INVOICE_CREATE, store_id=row.store_id,
                                        target_type="invoice", target_id=row.id, now=now,
                                        detail={"price": str(amount), "currency": code,
                                                "tip": None if tip is None else str(tip)})
            return insert_events_sync(conn, [created], now=now)

        events = await self._writer.run_sync(write)
        self._bus.committed(events)
        invoice = to_invoice(row)
        logger.info("invoice %s created for store %s: %s %s = %d sat to %s (index %d)", invoice.id, invoice.store_id,
                    invoice.price, invoice.currency, invoice.amount_due_sat, invoice.address, invoice.derivation_index)
        self.listing.created(invoice, events)
        if self._on_created is not None:
            self._on_created(invoice)
        for watcher in list(self._created_watchers):
            watcher(invoice)
        return invoice

    async def _priced(self, store: Store, price: Decimal | str | int,
                      currency: str | None) -> tuple[str, Decimal, Quote | None, int]:
        """The rules every new invoice passes: a wallet, a valid price, a rate, 1 sat..21M BTC."""
        if not store.wallet_ids:
            raise StoreHasNoWallet("This store has no wallet yet: add one before creating invoices.",
                                   code="store_has_no_wallet")
        code = normalize_currency(currency or store.default_currency)
        amount = parse_price(price, code)
        quote = None
        if is_fiat(code):
            quote = await self._rates.quote(code, source=store.rate_source, spread_pct=store.rate_spread_pct)
        return code, amount, quote, price_to_sat(amount, code, quote.rate if quote else None)

    async def preview(self, store_id: str, *, price: Decimal | str | int,
                      currency: str | None = None) -> InvoicePreview:
        """What ``create`` would make of this price now (same checks, nothing written), and whether it
        is above the owner's large-invoice limit (the window asks before creating it)."""
        store = await self._stores.get(store_id)
        code, amount, quote, amount_due_sat = await self._priced(store, price, currency)
        above = await self.limits.exceeded(store, amount, code, amount_due_sat)
        return InvoicePreview(price=amount, currency=code, amount_due_sat=amount_due_sat,
                              rate=quote.rate if quote else None, above_limit=above)

    async def large_invoice_limit(self) -> LargeInvoiceLimit:
        return await self.limits.get()

    async def set_large_invoice_limit(self, limit: LargeInvoiceLimit) -> LargeInvoiceLimit:
        return await self.limits.set(limit)

    async def get(self, invoice_id: str) -> Invoice:
        async with self._writer.read() as session:
            row = await session.get(InvoiceRow, invoice_id)
            if row is None:
                raise InvoiceNotFound("Invoice not found.")
            payments = (await session.scalars(
                select(PaymentRow).where(PaymentRow.invoice_id == invoice_id).order_by(PaymentRow.first_seen_at)
            )).all()
            return to_invoice(row, [to_payment(p) for p in payments])

    async def list(self, flt: InvoiceFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page:
        """Newest first; see app/services/invoicing/listing.py for the order, paging and totals."""
        return await self.listing.list(flt, offset=offset, limit=limit)

    async def sales_summary(self, *, days: int = 30, store_id: str | None = None) -> SalesSummary:
        """Sales per local calendar day for the last `days` days: one SQL aggregate (bench P5).
        Fiat sums are exact: prices come back as text and are added as Decimals."""
        today = datetime.now().astimezone().date()
        first = today - timedelta(days=days - 1)
        since = datetime.combine(first - timedelta(days=1), datetime.min.time()).astimezone(UTC)
        day = func.date(func.coalesce(InvoiceRow.paid_at, InvoiceRow.created_at), "localtime")
        query = (select(day.label("day"), InvoiceRow.currency, func.count(), func.sum(InvoiceRow.amount_paid_sat),
                        func.group_concat(InvoiceRow.price.cast(String), " "))
                 .where(InvoiceRow.status.in_(SOLD), InvoiceRow.created_at >= since)
                 .group_by("day", InvoiceRow.currency))
        if store_id:
            query = query.where(InvoiceRow.store_id == store_id)
        async with self._writer.read() as session:
            rows = (await session.execute(query)).all()
        per_day: dict[date, dict[str, Any]] = {}
        for day_text, currency, count, sat, prices in rows:
            when = date.fromisoformat(day_text)
            if when < first:
                continue
            bucket = per_day.setdefault(when, {"count": 0, "sat": 0, "fiat": {}})
            bucket["count"] += count
            bucket["sat"] += sat or 0
            if is_fiat(currency):
                bucket["fiat"][currency] = sum((Decimal(p) for p in (prices or "").split()), Decimal(0))
        return SalesSummary(tuple(DaySales(d, **per_day.get(d, {})) for d in
                                  (first + timedelta(days=i) for i in range(days))))

    async def mark(self, invoice_id: str, target: InvoiceStatus | str, *, actor: Actor = SYSTEM) -> Invoice:
        """The merchant's decision: complete or invalid (or refunded after complete). MARK_INVOICE in the
        invoice's store (a seller may withdraw their own unpaid invoice: ``may_cancel_own``); audited."""
        try:
            status = InvoiceStatus(str(target).lower())
        except ValueError:
            raise ValidationError("Mark an invoice complete, invalid or refunded.", code="invalid_status",
                                  field="status") from None
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            row = await session.get(InvoiceRow, invoice_id)
            if row is None:
                raise InvoiceNotFound("Invoice not found.")
            if not may_cancel_own(actor, row.created_by, row.status, str(status), row.amount_paid_sat):
                require(actor, Permission.MARK_INVOICE, row.store_id)
            old = to_invoice(row)
            new_state = rules.mark(old.state, status, now=now)
            write_state(row, new_state, monitored=rules.is_monitored(old.terms, new_state, now))
            await add_events(session, diff_events(row.id, row.store_id, old.state, new_state, (), ()), now=now)
            await self._audit.record(session, actor, AuditAction.INVOICE_MARK, store_id=row.store_id,
                                     target_type="invoice", target_id=row.id, now=now,
                                     detail={"from": str(old.status), "to": str(status)})
        return await self.get(invoice_id)


    async def today(self, store_id: str, *, terminal_id: str | None = None, actor: Actor = SYSTEM,
                    limit: int = 500) -> builtins.list[Invoice]:
        """Today's (local day) invoices of the store, newest first. VIEW_SALES: all of them (or one
        terminal's with ``terminal_id``); a seller (VIEW_OWN_SALES): only their terminal's, or at the
        kiosk (no terminal) only their own."""
        start = datetime.combine(datetime.now().astimezone().date(), datetime.min.time()).astimezone().astimezone(UTC)
        query = select(InvoiceRow).where(InvoiceRow.store_id == store_id, InvoiceRow.created_at >= start)
        if actor.may(Permission.VIEW_SALES, store_id):
            if terminal_id is not None:
                query = query.where(InvoiceRow.terminal_id == terminal_id)
        else:
            require(actor, Permission.VIEW_OWN_SALES, store_id)
            if actor.terminal_id is not None:
                query = query.where(InvoiceRow.terminal_id == actor.terminal_id)
            else:
                query = query.where(InvoiceRow.created_by == actor.person_id, InvoiceRow.terminal_id.is_(None))
        query = query.order_by(InvoiceRow.created_at.desc()).limit(limit)
        async with self._writer.read() as session:
            return [to_invoice(r) for r in (await session.scalars(query)).all()]

    async def sales_by_person(self, days: int = 30, store_id: str | None = None, *,
                              actor: Actor = SYSTEM) -> builtins.list[PersonSales]:
        """Sold invoices of the last ``days`` local days per (person, terminal), with fiat and tips per
        currency (one aggregate; exact Decimal sums). VIEW_SALES (a manager: their stores)."""
        require(actor, Permission.VIEW_SALES, store_id)
        first = datetime.now().astimezone().date() - timedelta(days=days - 1)
        since = datetime.combine(first, datetime.min.time()).astimezone().astimezone(UTC)
        query = (select(InvoiceRow.created_by, InvoiceRow.terminal_id, InvoiceRow.currency, func.count(),
                        func.sum(InvoiceRow.amount_paid_sat), func.group_concat(InvoiceRow.price.cast(String), " "),
                        func.group_concat(InvoiceRow.tip.cast(String), " "), PersonRow.name, TerminalRow.name)
                 .outerjoin(PersonRow, PersonRow.id == InvoiceRow.created_by)
                 .outerjoin(TerminalRow, TerminalRow.id == InvoiceRow.terminal_id)
                 .where(InvoiceRow.status.in_(SOLD), InvoiceRow.created_at >= since)
                 .group_by(InvoiceRow.created_by, InvoiceRow.terminal_id, InvoiceRow.currency))
        if store_id:
            query = query.where(InvoiceRow.store_id == store_id)
        elif actor.store_ids is not None:
            query = query.where(InvoiceRow.store_id.in_(sorted(actor.store_ids)))
        async with self._writer.read() as session:
            rows = (await session.execute(query)).all()
        out: dict[tuple[str | None, str | None], dict[str, Any]] = {}
        for person_id, terminal, currency, count, sat, prices, tips, person_name, terminal_name in rows:
            bucket = out.setdefault((person_id, terminal), {
                "person_name": person_name or (SYSTEM.name if person_id is None else person_id),
                "terminal_name": terminal_name, "count": 0, "sat": 0, "fiat": {}, "tips": {}})
            bucket["count"] += count
            bucket["sat"] += sat or 0
            if is_fiat(currency):
                bucket["fiat"][currency] = sum((Decimal(p) for p in (prices or "").split()), Decimal(0))
                tip_sum = sum((Decimal(t) for t in (tips or "").split()), Decimal(0))
                if tip_sum:
                    bucket["tips"][currency] = tip_sum
        return sorted((PersonSales(person_id=k[0], terminal_id=k[1], **v) for k, v in out.items()),
                      key=lambda s: (-s.sat, s.person_name, s.terminal_name or ""))


def _tip(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        tip = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        tip = Decimal("NaN")
    if isinstance(value, (bool, float)) or not tip.is_finite() or tip < 0 or tip > Decimal("1e12"):
        raise ValidationError("The tip is an amount of 0 or more.", code="invalid_tip", field="tip")
    return tip


def write_state(row: InvoiceRow, state: rules.InvoiceState, *, monitored: bool) -> None:
    row.status = str(state.status)
    row.exception_status = str(state.exception_status)
    row.amount_paid_sat = state.amount_paid_sat
    row.amount_confirmed_sat = state.amount_confirmed_sat
    row.paid_at = state.paid_at
    row.confirmed_at = state.confirmed_at
    row.completed_at = state.completed_at
    row.monitored = monitored


__all__ = ["ExceptionStatus", "InvoiceFilter", "InvoiceService", "write_state"]
