"""Payouts: create (auto-approved under the store's limit), approve, cancel, list, and the confirmation hook.

Every change and its outbox events are one writer transaction. Building, signing, PSBTs and broadcasting
are the executor's (app/services/refunds/executor.py); it calls ``on_tx_confirmed`` when a version of a
payout transaction is mined (SPV-verified). See docs/refunds.md.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.btc_address import validate_address
from app.core.errors import Conflict, NotFound, ValidationError
from app.core.events import DomainEvent, PayoutApproved, PayoutCancelled, PayoutConfirmed, PayoutCreated
from app.core.ids import new_id
from app.core.money import MAX_SAT
from app.core.payouts import (
    DUST_SAT,
    MAX_PAYOUTS_PER_CALL,
    FeeChoice,
    FeeOptions,
    Payout,
    PayoutPlan,
    PayoutStatus,
    PayoutTx,
    PayoutTxStatus,
    PsbtExport,
    can_cancel,
    check_label,
    check_payout_transition,
    confirmations,
)
from app.core.records import Page, Store
from app.core.refunds import refund_settings
from app.core.staff import SYSTEM, Actor, AuditAction, Permission, actor_and_label, require
from app.db.models import PayoutRow, PayoutTxRow, RefundRow
from app.services.catalog.stores import StoreService
from app.services.events import add_events
from app.services.refunds.mapping import to_payout, to_payout_tx
from app.services.refunds.settle import refund_cancelled, refund_paid
from app.services.staff.audit import AuditLog
from app.services.writer import Writer

MAX_LIST_LIMIT = 500


def payout_not_found(payout_id: str) -> NotFound:
    return NotFound(f"Payout {payout_id} not found.", code="payout_not_found")


def check_amount(amount_sat: int) -> int:
    if isinstance(amount_sat, bool) or not isinstance(amount_sat, int) or not DUST_SAT <= amount_sat <= MAX_SAT:
        raise ValidationError(f"A payout is a whole number of satoshis from {DUST_SAT} (dust) to 21 million BTC.",
                              code="invalid_amount", field="amount_sat")
    return amount_sat


S = TypeVar("S", bound=StrEnum)


def parse_status(enum: type[S], value: str) -> S:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        raise ValidationError(f"Unknown status '{value}': use one of {choices}.", code="invalid_status",
                              field="status") from None


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIST_LIMIT or offset < 0:
        raise ValidationError(f"limit is 1..{MAX_LIST_LIMIT} and offset 0 or more.", code="invalid_page", field="limit")


async def invoice_of(session: AsyncSession, refund_id: str | None) -> str:
    """The refunded invoice's id for a refund's payout (events carry it), "" for a direct payout."""
    if refund_id is None:
        return ""
    return (await session.scalar(select(RefundRow.invoice_id).where(RefundRow.id == refund_id))) or ""


async def tx_family(session: AsyncSession, tx: PayoutTxRow) -> list[PayoutTxRow]:
    """Every version of this transaction: up the replaces_id chain to the first, then all its descendants."""
    root = tx
    while root.replaces_id is not None:
        parent = await session.get(PayoutTxRow, root.replaces_id)
        if parent is None:
            break
        root = parent
    family, frontier = [root], [root.id]
    while frontier:
        children = (await session.scalars(select(PayoutTxRow).where(PayoutTxRow.replaces_id.in_(frontier)))).all()
        family.extend(children)
        frontier = [c.id for c in children]
    return family


class PayoutExecution(Protocol):
    """What builds, signs and broadcasts (app/services/refunds/executor.py PayoutExecutor)."""

    async def fee_options(self, wallet_id: str) -> FeeOptions: ...
    async def plan(self, payout_ids: Sequence[str], fee: FeeChoice) -> PayoutPlan: ...
    async def pay_hot(self, payout_ids: Sequence[str], fee: FeeChoice, *,
                      inputs: Sequence[str] | None = None) -> PayoutTx: ...
    async def export_psbt(self, payout_ids: Sequence[str], fee: FeeChoice) -> PsbtExport: ...
    async def import_psbt(self, payout_tx_id: str, signed: str | bytes) -> PayoutTx: ...
    async def bump_fee(self, payout_tx_id: str, fee: FeeChoice) -> PayoutTx: ...
    async def recover(self) -> None: ...
    def tip_height(self) -> int | None: ...


class PayoutService:
    def __init__(self, writer: Writer, stores: StoreService, *, network: str,
                 executor: PayoutExecution | None = None, audit: AuditLog | None = None) -> None:
        self._writer = writer
        self._audit = audit or AuditLog(writer)
        self._stores = stores
        self._network = network
        self._executor = executor

    def attach_executor(self, executor: PayoutExecution) -> None:
        """The executor is built after this service (it calls on_tx_confirmed back): build_services attaches it."""
        self._executor = executor

    # -- execution: the executor's -----------------------------------------------------------------
    def _execution(self) -> PayoutExecution:
        if self._executor is None:
            raise Conflict("Payouts cannot be sent: the payout executor is not running.", code="chain_unavailable")
        return self._executor

    async def fee_options(self, wallet_id: str) -> FeeOptions:
        """sat/vB for next block / 1 hour / 1 day from the server's estimates."""
        return await self._execution().fee_options(wallet_id)

    async def plan(self, payout_ids: Sequence[str], fee: FeeChoice) -> PayoutPlan:
        """Coin control: the inputs, outputs, change and fee paying these approved payouts would have, built
        like pay_hot / export_psbt but nothing signed for the record, written or sent."""
        return await self._execution().plan(payout_ids, fee)

    async def pay_hot(self, payout_ids: Sequence[str], fee: FeeChoice, *,
                      inputs: Sequence[str] | None = None, actor: Actor = SYSTEM) -> PayoutTx:
        """One transaction for the approved payouts of a hot wallet: built, signed, recorded, then broadcast.
        ``inputs`` (outpoints "txid:vout" of a plan the merchant saw): refused (``plan_changed``, nothing
        written) unless the transaction spends exactly those. APPROVE_REFUND in every payout's store; a
        person's payment is audited (``payout.pay``, right after the executor recorded the transaction)."""
        require(actor, Permission.APPROVE_REFUND)
        if actor.store_ids is not None:
            async with self._writer.read() as session:
                for row in await self._rows(session, list(dict.fromkeys(payout_ids))):
                    require(actor, Permission.APPROVE_REFUND, row.store_id)
        tx = await self._execution().pay_hot(payout_ids, fee, inputs=inputs)
        if actor.person_id is not None:
            await self._audit.note(actor, AuditAction.PAYOUT_PAY, target_type="payout_tx", target_id=tx.id,
                                   detail={"payout_ids": list(payout_ids), "txid": tx.txid, "fee_sat": tx.fee_sat})
        return tx

    async def export_psbt(self, payout_ids: Sequence[str], fee: FeeChoice) -> PsbtExport:
        """An unsigned PSBT for the approved payouts of a watch-only wallet."""
        return await self._execution().export_psbt(payout_ids, fee)

    async def import_psbt(self, payout_tx_id: str, signed: str | bytes) -> PayoutTx:
        """The signed PSBT back: verified to pay exactly what was exported, finalized, broadcast."""
        return await self._execution().import_psbt(payout_tx_id, signed)

    async def bump_fee(self, payout_tx_id: str, fee: FeeChoice) -> PayoutTx:
        """RBF for a stuck hot-wallet payout transaction."""
        return await self._execution().bump_fee(payout_tx_id, fee)

    async def recover(self) -> None:
        """Recorded-but-unconfirmed transactions: found on the chain or rebroadcast (the same raw)."""
        await self._execution().recover()

    # -- creating --------------------------------------------------------------------------------
    async def create(self, store_id: str, wallet_id: str, destination: str, amount_sat: int, *, label: str = "",
                     refund_id: str | None = None, actor: Actor | str | None = SYSTEM) -> Payout:
        """A direct payout (a supplier, an employee); approved at once when the store's limit allows, so
        APPROVE_REFUND in the store. ``actor``: a person (audited), or an older caller's label."""
        who, label_of = actor_and_label(actor)
        require(who, Permission.APPROVE_REFUND, store_id)
        store = await self._stores.get(store_id)
        async with self._writer.transaction() as session:
            row, events = await self.stage(session, store, wallet_id, destination, amount_sat, label=label,
                                           refund_id=refund_id, invoice_id=await invoice_of(session, refund_id),
                                           actor=label_of, now=datetime.now(UTC))
            await add_events(session, events)
            if who.person_id is not None:
                await self._audit.record(session, who, AuditAction.PAYOUT_CREATE, store_id=store_id,
                                         target_type="payout", target_id=row.id,
                                         detail={"amount_sat": row.amount_sat, "status": row.status})
        return to_payout(row)

    async def stage(self, session: AsyncSession, store: Store, wallet_id: str, destination: str, amount_sat: int, *,
                    label: str, refund_id: str | None, invoice_id: str, actor: str | None,
                    now: datetime) -> tuple[PayoutRow, list[DomainEvent]]:
        """Add a payout in the caller's transaction; returns the row and the events to write with it."""
        address = validate_address(destination, self._network)
        check_amount(amount_sat)
        if refund_id is None and wallet_id not in store.wallet_ids:  # a refund pays from the invoice's wallet
            raise ValidationError("This wallet does not belong to the store.", code="wallet_not_in_store",
                                  field="wallet_id")
        auto = refund_settings(store).auto_approves(amount_sat)
        status = PayoutStatus.APPROVED if auto else PayoutStatus.AWAITING_APPROVAL
        row = PayoutRow(id=new_id("pay"), store_id=store.id, wallet_id=wallet_id, refund_id=refund_id,
                        destination=address, amount_sat=amount_sat, label=check_label(label), status=str(status),
                        created_at=now, approved_at=now if auto else None, payout_tx_id=None, error=None,
                        created_by=actor)
        session.add(row)
        await session.flush()
        ids = (invoice_id, store.id)
        events: list[DomainEvent] = [PayoutCreated(*ids, payout_id=row.id, amount_sat=amount_sat, refund_id=refund_id,
                                                   wallet_id=wallet_id, destination=address, status=str(status))]
        if auto:
            events.append(PayoutApproved(*ids, payout_id=row.id, amount_sat=amount_sat, refund_id=refund_id,
                                         auto=True))
        return row, events

    # -- merchant decisions ----------------------------------------------------------------------
    async def approve(self, payout_ids: Sequence[str], *, actor: Actor | str | None = SYSTEM) -> list[Payout]:
        """Approve all of them or none (an unknown or non-approvable one fails the whole call).
        Already approved ones stay as they are (approving twice is harmless). APPROVE_REFUND in each
        payout's store; audited. ``actor``: a person, or an older caller's label (acts as SYSTEM)."""
        who, label = actor_and_label(actor)
        require(who, Permission.APPROVE_REFUND)
        ids = list(dict.fromkeys(payout_ids))
        if not 1 <= len(ids) <= MAX_PAYOUTS_PER_CALL:
            raise ValidationError(f"Approve from 1 to {MAX_PAYOUTS_PER_CALL} payouts at once.", code="invalid_count",
                                  field="payout_ids")
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            rows = await self._rows(session, ids)
            for row in rows:
                require(who, Permission.APPROVE_REFUND, row.store_id)
            events: list[DomainEvent] = []
            for row in rows:
                if row.status == PayoutStatus.APPROVED:
                    continue
                check_payout_transition(PayoutStatus(row.status), PayoutStatus.APPROVED)
                row.status, row.approved_at = str(PayoutStatus.APPROVED), now
                events.append(PayoutApproved(await invoice_of(session, row.refund_id), row.store_id, payout_id=row.id,
                                             amount_sat=row.amount_sat, refund_id=row.refund_id, auto=False,
                                             approved_by=label))
                await self._audit.record(session, who, AuditAction.PAYOUT_APPROVE, store_id=row.store_id,
                                         target_type="payout", target_id=row.id, now=now,
                                         detail={"amount_sat": row.amount_sat})
            await add_events(session, events, now=now)
            return [to_payout(r) for r in rows]

    async def cancel(self, payout_id: str, *, actor: Actor = SYSTEM) -> Payout:
        """Only while nothing that can confirm exists (no signed or broadcast transaction). An unsigned PSBT
        it was part of is abandoned: the other payouts in it go back to approved. Its refund is cancelled."""
        require(actor, Permission.APPROVE_REFUND)
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            row = await self._row(session, payout_id)
            require(actor, Permission.APPROVE_REFUND, row.store_id)
            tx = await session.get(PayoutTxRow, row.payout_tx_id) if row.payout_tx_id else None
            status = PayoutStatus(row.status)
            if not can_cancel(status, PayoutTxStatus(tx.status) if tx is not None else None):
                raise Conflict(f"A payout that is {status.value.replace('_', ' ')} with a signed or broadcast "
                               "transaction cannot be cancelled.", code="invalid_transition", field="status")
            if tx is not None:
                await self._abandon(session, tx, keep_out=row.id)
            row.status, row.payout_tx_id = str(PayoutStatus.CANCELLED), None
            invoice_id = await invoice_of(session, row.refund_id)
            events: list[DomainEvent] = [PayoutCancelled(invoice_id, row.store_id, payout_id=row.id,
                                                         amount_sat=row.amount_sat, refund_id=row.refund_id)]
            if row.refund_id is not None:
                events += await refund_cancelled(session, row.refund_id, reason="payout_cancelled")
            await add_events(session, events, now=now)
            await self._audit.record(session, actor, AuditAction.PAYOUT_CANCEL, store_id=row.store_id,
                                     target_type="payout", target_id=row.id, now=now)
        return to_payout(row)

    @staticmethod
    async def _abandon(session: AsyncSession, tx: PayoutTxRow, *, keep_out: str) -> None:
        tx.status = str(PayoutTxStatus.FAILED)
        await session.execute(update(PayoutRow).where(PayoutRow.payout_tx_id == tx.id, PayoutRow.id != keep_out)
                              .values(status=str(PayoutStatus.APPROVED), payout_tx_id=None))

    # -- the executor's hook ---------------------------------------------------------------------
    async def on_tx_confirmed(self, payout_tx_id: str, height: int) -> None:
        """A version of a payout transaction is mined (SPV-verified): in one transaction it becomes
        confirmed, its other versions (the replaces_id family) replaced, the payouts move to it and are
        confirmed, their refunds paid, and invoices fully refunded become refunded. Idempotent."""
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            tx = await session.get(PayoutTxRow, payout_tx_id)
            if tx is None:
                raise NotFound(f"Payout transaction {payout_tx_id} not found.", code="payout_tx_not_found")
            family = await tx_family(session, tx)
            tx.status, tx.height = str(PayoutTxStatus.CONFIRMED), height
            tx.confirmed_at = tx.confirmed_at or now
            for other in family:
                if other.id != tx.id and other.status != PayoutTxStatus.FAILED:
                    other.status = str(PayoutTxStatus.REPLACED)
            family_ids = [t.id for t in family]
            rows = (await session.scalars(select(PayoutRow).where(PayoutRow.payout_tx_id.in_(family_ids)))).all()
            events: list[DomainEvent] = []
            for row in rows:
                row.payout_tx_id = tx.id
                if row.status == PayoutStatus.CONFIRMED:
                    continue
                check_payout_transition(PayoutStatus(row.status), PayoutStatus.CONFIRMED)
                row.status = str(PayoutStatus.CONFIRMED)
                events.append(PayoutConfirmed(await invoice_of(session, row.refund_id), row.store_id, payout_id=row.id,
                                              amount_sat=row.amount_sat, refund_id=row.refund_id,
                                              payout_tx_id=tx.id, txid=tx.txid or "", height=height))
                if row.refund_id is not None:
                    events += await refund_paid(session, row.refund_id, payout_id=row.id, txid=tx.txid or "",
                                                height=height, now=now)
            await add_events(session, events, now=now)

    # -- reading ---------------------------------------------------------------------------------
    async def get(self, payout_id: str) -> Payout:
        async with self._writer.read() as session:
            return (await self._records(session, [await self._row(session, payout_id)]))[0]

    async def get_tx(self, payout_tx_id: str) -> PayoutTx:
        async with self._writer.read() as session:
            row = await session.get(PayoutTxRow, payout_tx_id)
            if row is None:
                raise NotFound(f"Payout transaction {payout_tx_id} not found.", code="payout_tx_not_found")
            return to_payout_tx(row)

    async def for_tx(self, payout_tx_id: str) -> list[Payout]:
        """The payouts a transaction pays (their current transaction)."""
        async with self._writer.read() as session:
            rows = (await session.scalars(select(PayoutRow).where(PayoutRow.payout_tx_id == payout_tx_id)
                                          .order_by(PayoutRow.created_at, PayoutRow.id))).all()
            return await self._records(session, rows)

    async def list(self, *, store_id: str | None = None, status: PayoutStatus | None = None, limit: int = 50,
                   offset: int = 0) -> Page:
        """Newest first."""
        check_page(limit, offset)
        query = select(PayoutRow)
        if store_id is not None:
            query = query.where(PayoutRow.store_id == store_id)
        if status is not None:
            query = query.where(PayoutRow.status == str(parse_status(PayoutStatus, status)))
        async with self._writer.read() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = (await session.scalars(query.order_by(PayoutRow.created_at.desc(), PayoutRow.id.desc())
                                          .limit(limit).offset(offset))).all()
            items = await self._records(session, rows)
        return Page(items=tuple(items), total=total, offset=offset, limit=limit)

    async def _records(self, session: AsyncSession, rows: Sequence[PayoutRow]) -> builtins.list[Payout]:
        """Rows -> records with their confirmations (their current transaction's height against our tip)."""
        tx_ids = {r.payout_tx_id for r in rows if r.payout_tx_id is not None}
        heights: dict[str, int] = {}
        if tx_ids:
            heights = {i: h for i, h in (await session.execute(
                select(PayoutTxRow.id, PayoutTxRow.height).where(PayoutTxRow.id.in_(tx_ids)))).all()}
        tip = self._executor.tip_height() if self._executor is not None else None
        return [to_payout(r, confirmations=confirmations(heights.get(r.payout_tx_id or "", 0), tip)) for r in rows]

    async def is_change_address(self, session: AsyncSession, address: str) -> bool:
        found = await session.scalar(select(PayoutTxRow.id).where(PayoutTxRow.change_address == address).limit(1))
        return found is not None

    @staticmethod
    async def _row(session: AsyncSession, payout_id: str) -> PayoutRow:
        row = await session.get(PayoutRow, payout_id)
        if row is None:
            raise payout_not_found(payout_id)
        return row

    async def _rows(self, session: AsyncSession, ids: Sequence[str]) -> builtins.list[PayoutRow]:
        rows = {r.id: r for r in (await session.scalars(select(PayoutRow).where(PayoutRow.id.in_(ids)))).all()}
        missing = [i for i in ids if i not in rows]
        if missing:
            raise payout_not_found(missing[0])
        return [rows[i] for i in ids]
