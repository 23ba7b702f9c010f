"""Refunds: preview and create (the calculation of app/core/refunds.py, kept whole), the public link,
claim once with an address of the right network that is not the shop's own, expiry, cancel.

Every change and its outbox events are one writer transaction; the writer runs one transaction at a
time, so of two concurrent claims exactly one finds the refund open. See docs/refunds.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.btc_address import validate_address
from app.core.errors import Conflict, NotFound, RateUnavailable, UserFacingError, ValidationError
from app.core.events import DomainEvent, RefundClaimed, RefundCreated, RefundExpired
from app.core.ids import new_invoice_id
from app.core.records import Invoice, Page, Store
from app.core.refunds import (
    LIVE_REFUND_STATUSES,
    PublicRefund,
    Refund,
    RefundCalculation,
    RefundRequest,
    RefundStatus,
    RefundVariant,
    calculate_refund,
    check_refund_transition,
    refund_settings,
)
from app.core.staff import SYSTEM, Actor, AuditAction, Permission, actor_and_label, require
from app.db.mapping import to_invoice
from app.db.models import InvoiceRow, PayoutRow, PayoutTxRow, RefundRow, StoreRow
from app.services.catalog.stores import StoreService
from app.services.delivery.email import parse_config
from app.services.events import add_events
from app.services.invoicing.invoices import InvoiceService
from app.services.invoicing.rates import RateService
from app.services.ports import Urls, checkout_base
from app.services.refunds.mapping import to_refund
from app.services.refunds.own_addresses import OwnAddresses
from app.services.refunds.payouts import PayoutService, check_page, parse_status
from app.services.refunds.settle import refund_cancelled
from app.services.staff.audit import AuditLog
from app.services.writer import Writer

_NEEDS_RATE = frozenset({RefundVariant.CURRENT_RATE, RefundVariant.CUSTOM_FIAT})


def refund_url(urls: Urls, refund_id: str, *, store_url: str | None = None) -> str | None:
    """The shopper's refund page at the checkout base (the store's URL first), None when nothing serves."""
    base = checkout_base(urls.current(), store_url=store_url)
    return f"{base}/refund/{refund_id}" if base else None


def link_recipient(store: Store, invoice: Invoice) -> str | None:
    """Who the refund.created event e-mails the link to: the buyer, when the store has SMTP. The rule the
    notification channel applies to that event (app/services/delivery/notifications.py ``_plan``), checked
    here with the event written in the same transaction, so ``Refund.emailed_to`` is what the outbox will
    send, not a guess."""
    if invoice.buyer_email and parse_config(store.email).smtp is not None:
        return invoice.buyer_email
    return None


def refund_not_found(refund_id: str) -> NotFound:
    return NotFound("This refund does not exist.", code="refund_not_found")


def _closed_error(status: RefundStatus) -> UserFacingError:
    if status in (RefundStatus.CLAIMED, RefundStatus.PAID):
        return Conflict("This refund has already been claimed.", code="refund_already_claimed")
    if status is RefundStatus.EXPIRED:
        return Conflict("This refund link has expired. Ask the shop for a new one.", code="refund_link_expired")
    if status is RefundStatus.REQUESTED:
        return Conflict("This refund waits for the shop's approval.", code="refund_not_approved")
    return Conflict("This refund was cancelled by the shop.", code="refund_cancelled")


async def _already_refunded(session: AsyncSession, invoice_id: str, now: datetime) -> int:
    live = [str(s) for s in LIVE_REFUND_STATUSES if s is not RefundStatus.OPEN]
    query = select(func.coalesce(func.sum(RefundRow.gross_sat), 0)).where(
        RefundRow.invoice_id == invoice_id,
        (RefundRow.status.in_(live)) | ((RefundRow.status == str(RefundStatus.OPEN)) & (RefundRow.expires_at > now)))
    return int(await session.scalar(query) or 0)


async def _expire(session: AsyncSession, now: datetime, *, invoice_id: str | None = None) -> list[DomainEvent]:
    """Open refunds past their time become expired (their amount is refundable again)."""
    query = select(RefundRow).where(RefundRow.status == str(RefundStatus.OPEN), RefundRow.expires_at <= now)
    if invoice_id is not None:
        query = query.where(RefundRow.invoice_id == invoice_id)
    events: list[DomainEvent] = []
    for row in (await session.scalars(query.limit(1000))).all():
        row.status = str(RefundStatus.EXPIRED)
        events.append(RefundExpired(row.invoice_id, row.store_id, refund_id=row.id, amount_sat=row.amount_sat))
    return events


def _created_event(row: RefundRow) -> RefundCreated:
    return RefundCreated(row.invoice_id, row.store_id, refund_id=row.id, amount_sat=row.amount_sat,
                         gross_sat=row.gross_sat, fee_sat=row.fee_sat, variant=row.variant,
                         fiat_amount=row.fiat_amount, currency=row.currency, expires_at=row.expires_at,
                         created_by=row.created_by)


class RefundService:
    def __init__(self, writer: Writer, stores: StoreService, invoices: InvoiceService, rates: RateService,
                 payouts: PayoutService, own: OwnAddresses, *, urls: Urls, network: str,
                 audit: AuditLog | None = None) -> None:
        self._writer = writer
        self._audit = audit or AuditLog(writer)
        self._stores = stores
        self._invoices = invoices
        self._rates = rates
        self._payouts = payouts
        self._own = own
        self._urls = urls
        self._network = network
        self._store_urls: dict[str, str | None] = {}  # store id -> its public URL, for link()

    # -- the calculation -------------------------------------------------------------------------
    async def _rate(self, invoice: Invoice, req: RefundRequest) -> tuple[Decimal | None, str | None]:
        if req.variant not in _NEEDS_RATE or invoice.rate is None:
            return None, None
        store = await self._stores.get(invoice.store_id)
        try:
            quote = await self._rates.quote(invoice.currency, source=store.rate_source)
        except RateUnavailable:
            return None, None  # calculate_refund says which variant needed it
        return quote.rate, quote.source

    async def preview(self, invoice_id: str, req: RefundRequest) -> RefundCalculation:
        invoice = await self._invoices.get(invoice_id)
        rate, source = await self._rate(invoice, req)
        async with self._writer.read() as session:
            already = await _already_refunded(session, invoice_id, datetime.now(UTC))
        return calculate_refund(invoice, req, current_rate=rate, current_rate_source=source,
                                already_refunded_sat=already)

    async def create(self, invoice_id: str, req: RefundRequest, *, actor: Actor | str | None = SYSTEM) -> Refund:
        """Checks and writes in one transaction (two merchants refunding at once can never exceed what was
        paid); the refund.created event queues the link's e-mail to the buyer when the invoice has one.
        APPROVE_REFUND makes an open link; a person who may only REQUEST_REFUND (a cashier) gets ``request``'s
        refund waiting for approval. ``actor``: a person, or an older caller's label (acts as SYSTEM)."""
        who, _label = actor_and_label(actor)
        invoice = await self._invoices.get(invoice_id)
        if not who.may(Permission.APPROVE_REFUND, invoice.store_id):
            return await self.request(invoice_id, req, actor=who)
        return await self._create(invoice, req, actor=actor, status=RefundStatus.OPEN)

    async def request(self, invoice_id: str, req: RefundRequest, *, actor: Actor = SYSTEM) -> Refund:
        """A refund in status ``requested``: calculated and counted like an open one, but its link does not
        work (the public page says it waits) until ``approve``. REQUEST_REFUND in the invoice's store."""
        invoice = await self._invoices.get(invoice_id)
        require(actor, Permission.REQUEST_REFUND, invoice.store_id)
        return await self._create(invoice, req, actor=actor, status=RefundStatus.REQUESTED)

    async def _create(self, invoice: Invoice, req: RefundRequest, *, actor: Actor | str | None,
                      status: RefundStatus) -> Refund:
        who, label = actor_and_label(actor)
        invoice_id = invoice.id
        rate, source = await self._rate(invoice, req)
        store = await self._stores.get(invoice.store_id)
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            invoice_row = await session.get(InvoiceRow, invoice_id)
            assert invoice_row is not None, "invoices are never deleted"
            events = await _expire(session, now, invoice_id=invoice_id)
            calc = calculate_refund(to_invoice(invoice_row), req, current_rate=rate, current_rate_source=source,
                                    already_refunded_sat=await _already_refunded(session, invoice_id, now))
            row = RefundRow(
                id=new_invoice_id(), invoice_id=invoice_id, store_id=invoice.store_id, status=str(status),
                variant=str(calc.variant), gross_sat=calc.gross_sat, fee_sat=calc.fee_sat, amount_sat=calc.amount_sat,
                fiat_amount=calc.fiat_amount, currency=calc.currency, rate=calc.rate, rate_source=calc.rate_source,
                fee_pct=req.fee_pct, fee_fixed_sat=req.fee_fixed_sat, already_refunded_sat=calc.already_refunded_sat,
                refundable_sat=calc.refundable_sat, note=req.note.strip(), created_at=now,
                expires_at=now + refund_settings(store).link_lifetime, claimed_at=None, destination=None,
                payout_id=None, created_by=label)
            session.add(row)
            if status is RefundStatus.OPEN:  # a request's link (and its e-mail) waits for the approval
                events.append(_created_event(row))
            await add_events(session, events, now=now)
            await self._audit.record(session, who, AuditAction.REFUND_CREATE if status is RefundStatus.OPEN
                                     else AuditAction.REFUND_REQUEST, store_id=row.store_id, target_type="refund",
                                     target_id=row.id, now=now,
                                     detail={"invoice_id": invoice_id, "amount_sat": row.amount_sat})
        self._store_urls[store.id] = store.public_url
        emailed = link_recipient(store, invoice) if status is RefundStatus.OPEN else None
        return replace(to_refund(row), emailed_to=emailed)

    async def approve(self, refund_id: str, *, actor: Actor = SYSTEM) -> Refund:
        """A requested refund becomes an open link (its lifetime starts now; the buyer's e-mail goes out)."""
        refund = await self.get(refund_id)
        require(actor, Permission.APPROVE_REFUND, refund.store_id)
        store = await self._stores.get(refund.store_id)
        invoice = await self._invoices.get(refund.invoice_id)
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            row = await session.get(RefundRow, refund_id)
            assert row is not None, "refunds are never deleted"
            if row.status == RefundStatus.OPEN:
                return to_refund(row)
            check_refund_transition(RefundStatus(row.status), RefundStatus.OPEN)
            row.status, row.created_at = str(RefundStatus.OPEN), now
            row.expires_at = now + refund_settings(store).link_lifetime
            await add_events(session, [_created_event(row)], now=now)
            await self._audit.record(session, actor, AuditAction.REFUND_APPROVE, store_id=row.store_id,
                                     target_type="refund", target_id=row.id, now=now,
                                     detail={"invoice_id": row.invoice_id, "amount_sat": row.amount_sat})
        self._store_urls[store.id] = store.public_url
        return replace(to_refund(row), emailed_to=link_recipient(store, invoice))

    # -- reading ---------------------------------------------------------------------------------
    async def get(self, refund_id: str) -> Refund:
        async with self._writer.read() as session:
            row = await session.get(RefundRow, refund_id) if len(refund_id) <= 40 else None
            if row is None:
                raise refund_not_found(refund_id)
            return to_refund(row)

    async def for_invoice(self, invoice_id: str) -> list[Refund]:
        async with self._writer.read() as session:
            rows = (await session.scalars(select(RefundRow).where(RefundRow.invoice_id == invoice_id)
                                          .order_by(RefundRow.created_at, RefundRow.id))).all()
            return [to_refund(r) for r in rows]

    async def list(self, *, store_id: str | None = None, status: RefundStatus | None = None, limit: int = 50,
                   offset: int = 0) -> Page:
        """Newest first."""
        check_page(limit, offset)
        query = select(RefundRow)
        if store_id is not None:
            query = query.where(RefundRow.store_id == store_id)
        if status is not None:
            query = query.where(RefundRow.status == str(parse_status(RefundStatus, status)))
        async with self._writer.read() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = (await session.scalars(query.order_by(RefundRow.created_at.desc(), RefundRow.id.desc())
                                          .limit(limit).offset(offset))).all()
        return Page(items=tuple(to_refund(r) for r in rows), total=total, offset=offset, limit=limit)

    async def public(self, refund_id: str) -> PublicRefund:
        """What the shopper's page shows; an open link past its time shows as expired."""
        now = datetime.now(UTC)
        async with self._writer.read() as session:
            row = await session.get(RefundRow, refund_id) if len(refund_id) <= 40 else None
            if row is None:
                raise refund_not_found(refund_id)
            store_name = await session.scalar(select(StoreRow.name).where(StoreRow.id == row.store_id)) or ""
            payout = await session.get(PayoutRow, row.payout_id) if row.payout_id else None
            tx = await session.get(PayoutTxRow, payout.payout_tx_id) if payout and payout.payout_tx_id else None
        refund = to_refund(row)
        status = RefundStatus.EXPIRED if refund.expired_at(now) else refund.status
        return PublicRefund(id=refund.id, store_name=store_name, amount_sat=refund.amount_sat,
                            fiat_amount=refund.fiat_amount, currency=refund.currency, status=status,
                            expires_at=refund.expires_at, network=self._network, destination=refund.destination,
                            payout_status=payout.status if payout else None,
                            txid=tx.txid if tx is not None and tx.status != "built" else None)

    def link(self, refund: Refund) -> str:
        """<public base>/refund/<id> (the store's URL first, like checkout links); the bare path when
        nothing openable is serving."""
        return refund_url(self._urls, refund.id, store_url=self._store_urls.get(refund.store_id)) \
            or f"/refund/{refund.id}"

    async def link_for(self, refund: Refund) -> str:
        """link() after looking the store's public URL up (any refund, not only ones created here)."""
        if refund.store_id not in self._store_urls:
            self._store_urls[refund.store_id] = (await self._stores.get(refund.store_id)).public_url
        return self.link(refund)

    # -- the shopper's claim ---------------------------------------------------------------------
    async def claim(self, refund_id: str, address: str) -> Refund:
        """Once: validates the address (network, checksum), refuses the shop's own addresses, and creates the
        payout (auto-approved under the store's limit) in the same transaction as the claim."""
        destination = validate_address(address, self._network)
        refund = await self.get(refund_id)
        if refund.status is not RefundStatus.OPEN:
            raise _closed_error(refund.status)
        if await self._own.is_ours(destination):
            raise ValidationError("This address belongs to the shop itself. Enter an address of your own wallet.",
                                  code="own_address", field="address")
        invoice = await self._invoices.get(refund.invoice_id)
        store = await self._stores.get(refund.store_id)
        now = datetime.now(UTC)
        refusal: UserFacingError | None = None
        async with self._writer.transaction() as session:
            row = await session.get(RefundRow, refund_id)
            assert row is not None, "refunds are never deleted"
            if row.status != RefundStatus.OPEN:
                raise _closed_error(RefundStatus(row.status))
            if now >= row.expires_at:
                await add_events(session, await _expire(session, now, invoice_id=row.invoice_id), now=now)
                refusal = _closed_error(RefundStatus.EXPIRED)
            else:
                payout, events = await self._payouts.stage(
                    session, store, invoice.wallet_id, destination, row.amount_sat,
                    label=f"Refund of invoice {invoice.order_id or invoice.id}", refund_id=row.id,
                    invoice_id=row.invoice_id, actor=None, now=now)
                row.status, row.claimed_at = str(RefundStatus.CLAIMED), now
                row.destination, row.payout_id = destination, payout.id
                events.insert(0, RefundClaimed(row.invoice_id, row.store_id, refund_id=row.id,
                                               amount_sat=row.amount_sat, payout_id=payout.id, destination=destination))
                await add_events(session, events, now=now)
        if refusal is not None:
            raise refusal
        return to_refund(row)

    # -- the merchant ----------------------------------------------------------------------------
    async def cancel(self, refund_id: str, *, actor: Actor = SYSTEM) -> Refund:
        """An open link (or a request) is cancelled; a claimed one is cancelled with its payout, while that
        payout has no signed or broadcast transaction (PayoutService.cancel). APPROVE_REFUND; audited.
        The person who asked may withdraw their own request."""
        refund = await self.get(refund_id)
        own_request = refund.status is RefundStatus.REQUESTED and actor.person_id is not None \
            and refund.created_by == actor.name and actor.may(Permission.REQUEST_REFUND, refund.store_id)
        if not own_request:
            require(actor, Permission.APPROVE_REFUND, refund.store_id)
        if refund.status is RefundStatus.CLAIMED and refund.payout_id is not None:
            await self._payouts.cancel(refund.payout_id, actor=actor)
            return await self.get(refund_id)
        if refund.status is RefundStatus.CANCELLED:
            return refund
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            row = await session.get(RefundRow, refund_id)
            assert row is not None, "refunds are never deleted"
            await add_events(session, await refund_cancelled(session, refund_id, reason="cancelled"), now=now)
            await self._audit.record(session, actor, AuditAction.REFUND_CANCEL, store_id=row.store_id,
                                     target_type="refund", target_id=row.id, now=now)
        return to_refund(row)

    async def expire_due(self) -> int:
        """Sweep open refunds past their time to expired (with refund.expired events); returns how many."""
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            events = await _expire(session, now)
            await add_events(session, events, now=now)
        return len(events)
