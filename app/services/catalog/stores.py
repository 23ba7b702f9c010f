"""Stores: name, currency, wallets, speed policy, expiry, monitoring window, tolerance, look.

Every change is checked by ``_clean`` before it is written (the checkout look by
app/core/checkout_look.py), so the window and the API refuse the same values with the same
``field``. ``stage`` adds a new store inside a caller's transaction (the first-run set-up writes
wallet, rate and store in one, app/services/onboarding.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.checkout_look import clean_checkout
from app.core.errors import StoreNotFound, ValidationError, WalletNotFound
from app.core.fee_policy import clean_min_fee_rate
from app.core.ids import new_id
from app.core.lightning import clean_lightning_options
from app.core.money import normalize_currency
from app.core.public_invoices import clean_public_options
from app.core.records import Store
from app.core.refunds import clean_refund_options
from app.core.staff import SYSTEM, Actor, AuditAction, Permission, require
from app.core.urls import clean_redirect_url
from app.db.mapping import to_store
from app.db.models import StoreRow, StoreWalletRow, WalletRow
from app.services.staff.audit import AuditLog
from app.services.writer import Writer

EDITABLE = (
    "name", "default_currency", "speed_policy", "expiry_s", "monitoring_s", "underpaid_tolerance_pct",
    "rate_source", "rate_spread_pct", "checkout", "notifications", "email", "archived",
)


def _int_in(value: object, field: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{what} must be a whole number from {low} to {high}.", code=f"invalid_{field}", field=field)
    return value


def _pct(value: object, field: str) -> Decimal:
    try:
        pct = Decimal(str(value)) if not isinstance(value, float) else None
    except InvalidOperation:
        pct = None
    if pct is None or not pct.is_finite() or not 0 <= pct <= 100:
        raise ValidationError("Percentage must be a number from 0 to 100.", code=f"invalid_{field}", field=field)
    return pct


def _clean(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE) - {"wallet_ids"}
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(f"Unknown store field '{field}'.", code="unknown_field", field=field)
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            name = str(value or "").strip()
            if not name or len(name) > 200:
                raise ValidationError("Store name is required (up to 200 characters).", code="invalid_name", field="name")
            out[key] = name
        elif key == "default_currency":
            out[key] = normalize_currency(str(value))
        elif key == "speed_policy":
            out[key] = _int_in(value, key, 0, 6, "Confirmations required")
        elif key == "expiry_s":
            out[key] = _int_in(value, key, 60, 7 * 86400, "Invoice expiry (seconds)")
        elif key == "monitoring_s":
            out[key] = _int_in(value, key, 0, 30 * 86400, "Monitoring window (seconds)")
        elif key in ("underpaid_tolerance_pct", "rate_spread_pct"):
            out[key] = _pct(value, key)
        elif key == "rate_source":
            out[key] = str(value).strip().lower() or "manual"
        elif key in ("checkout", "notifications", "email"):
            if not isinstance(value, dict):
                raise ValidationError(f"'{key}' must be an object.", code=f"invalid_{key}", field=key)
            out[key] = clean_lightning_options(clean_refund_options(clean_min_fee_rate(clean_public_options(clean_redirect_url(
                clean_checkout(value)))))) \
                if key == "checkout" \
                else dict(value)
            if key == "checkout" and not isinstance(value.get("order_id_unique", False), bool):
                raise ValidationError("'order_id_unique' must be true or false.", code="invalid_order_id_unique",
                                      field="order_id_unique")
        elif key == "archived":
            out[key] = bool(value)
        elif key == "wallet_ids":
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise ValidationError("wallet_ids must be a list.", code="invalid_wallet_ids", field="wallet_ids")
            out[key] = [str(v) for v in value]
    return out


class StoreService:
    def __init__(self, writer: Writer, *, audit: AuditLog | None = None) -> None:
        self._writer = writer
        self._audit = audit or AuditLog(writer)
        self._cache: dict[str, Store] = {}  # invoice creation reads the store on every call

    @staticmethod
    def check(changes: Mapping[str, Any]) -> None:
        """Validate store fields without writing (the window checks a page or form before saving)."""
        _clean(changes)

    async def create(self, name: str, *, default_currency: str = "USD", wallet_ids: Sequence[str] = (),
                     actor: Actor = SYSTEM, **settings: Any) -> Store:
        """A new store: ADMIN (the owner)."""
        require(actor, Permission.ADMIN)
        async with self._writer.transaction() as session:
            store_id = await self.stage(session, name, default_currency=default_currency, wallet_ids=wallet_ids,
                                        **settings)
        return await self.get(store_id)

    async def stage(self, session: AsyncSession, name: str, *, default_currency: str = "USD",
                    wallet_ids: Sequence[str] = (), **settings: Any) -> str:
        """Add a new store (and its wallet links) in ``session``'s transaction; returns its id."""
        values = _clean({"name": name, "default_currency": default_currency, "wallet_ids": list(wallet_ids), **settings})
        wallet_list = values.pop("wallet_ids")
        row = StoreRow(id=new_id("sto"), created_at=datetime.now(UTC), checkout={}, notifications={}, email={},
                       speed_policy=1, expiry_s=900, monitoring_s=86400, underpaid_tolerance_pct=Decimal(0),
                       rate_source="manual", rate_spread_pct=Decimal(0), archived=False)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        await session.flush()
        await self._set_wallets(session, row.id, wallet_list)
        return row.id

    async def archive(self, store_id: str, *, actor: Actor = SYSTEM) -> Store:
        """Hidden from the window's store lists and its public store page; its invoices are kept."""
        return await self.update(store_id, {"archived": True}, actor=actor)

    async def restore(self, store_id: str, *, actor: Actor = SYSTEM) -> Store:
        return await self.update(store_id, {"archived": False}, actor=actor)

    async def update(self, store_id: str, changes: Mapping[str, Any], *, actor: Actor = SYSTEM) -> Store:
        """MANAGE_STORE in the store; its wallets (where the money goes) only with ADMIN. A person's change
        is audited in the same transaction."""
        require(actor, Permission.MANAGE_STORE, store_id)
        values = _clean(changes)
        wallet_list = values.pop("wallet_ids", None)
        if wallet_list is not None:
            require(actor, Permission.ADMIN)
        async with self._writer.transaction() as session:
            row = await session.get(StoreRow, store_id)
            if row is None:
                raise StoreNotFound(f"Store {store_id} not found.")
            for key, value in values.items():
                setattr(row, key, value)
            if wallet_list is not None:
                await self._set_wallets(session, store_id, wallet_list)
            if actor.person_id is not None:
                await self._audit.record(session, actor, AuditAction.STORE_CHANGE, store_id=store_id,
                                                    target_type="store", target_id=store_id,
                                                    detail={"fields": sorted(changes)})
        self._cache.pop(store_id, None)
        return await self.get(store_id)

    @staticmethod
    async def _set_wallets(session: AsyncSession, store_id: str, wallet_ids: Sequence[str]) -> None:
        for wallet_id in wallet_ids:
            if await session.get(WalletRow, wallet_id) is None:
                raise WalletNotFound(f"Wallet {wallet_id} not found.", field="wallet_ids")
        await session.execute(delete(StoreWalletRow).where(StoreWalletRow.store_id == store_id))
        for position, wallet_id in enumerate(dict.fromkeys(wallet_ids)):
            session.add(StoreWalletRow(store_id=store_id, wallet_id=wallet_id, position=position))

    async def get(self, store_id: str) -> Store:
        cached = self._cache.get(store_id)
        if cached is not None:
            return cached
        async with self._writer.read() as session:
            row = await session.get(StoreRow, store_id, options=[selectinload(StoreRow.wallets)])
            if row is None:
                raise StoreNotFound(f"Store {store_id} not found.")
            store = self._cache[store_id] = to_store(row, [w.wallet_id for w in row.wallets])
            return store

    async def list(self, *, include_archived: bool = False) -> list[Store]:
        query = select(StoreRow).options(selectinload(StoreRow.wallets)).order_by(StoreRow.created_at)
        if not include_archived:
            query = query.where(StoreRow.archived.is_(False))
        async with self._writer.read() as session:
            rows = (await session.scalars(query)).all()
            return [to_store(r, [w.wallet_id for w in r.wallets]) for r in rows]
