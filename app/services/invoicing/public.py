"""Invoices created without a key: the store's switch, the per-store budget of open unpaid ones, and one
notification to the merchant when the budget turns shoppers away (rules: app/core/public_invoices.py).

The budget is counted inside the invoice's own write transaction (``InvoiceService.create(admit=...)``),
so concurrent shoppers can never pass it together. Counted: this store's ``public`` invoices that are
pending, unpaid and not past their expiry (index ``ix_invoices_public_open``). A refusal writes the
outbox event ``store.public_budget_reached`` unless the merchant was told already; the mark (app
setting ``public_budget_told:<store id>``) is cleared by the next public invoice admitted below the
budget, so each crossing is told once.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import sqlite

from app.core import public_invoices as rules
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus
from app.db.models import AppSettingRow, InvoiceRow, OutboxEventRow
from app.services.catalog.products import ProductService
from app.services.catalog.stores import StoreService
from app.services.invoicing.invoices import InvoiceService
from app.services.writer import Writer

logger = logging.getLogger(__name__)

TOLD_PREFIX = "public_budget_told:"
_DIALECT = sqlite.dialect()
_EXPIRES: Any = InvoiceRow.__table__.c.expires_at.type


def _open_filter(store_id: Any, now: Any) -> list[Any]:
    return [InvoiceRow.store_id == store_id, InvoiceRow.public.is_(True),
            InvoiceRow.status == str(InvoiceStatus.PENDING), InvoiceRow.amount_paid_sat == 0,
            InvoiceRow.expires_at > now]


# _open_filter on the writer's sqlite3 connection (the hot path: InvoiceService.create's transaction)
_COUNT_SQL = (f"SELECT count(*) FROM invoices WHERE store_id = ? AND public = 1 AND status = "
              f"'{InvoiceStatus.PENDING}' AND amount_paid_sat = 0 AND expires_at > ?")
_NOW_BIND = _EXPIRES._cached_bind_processor(_DIALECT)  # the same conversion the ORM applies (as app.db.fastpath)


def open_count_sync(conn: sqlite3.Connection, store_id: str, now: datetime) -> int:
    row = conn.execute(_COUNT_SQL, (store_id, _NOW_BIND(now) if _NOW_BIND else now)).fetchone()
    return int(row[0]) if row else 0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PublicInvoiceService:
    def __init__(self, writer: Writer, stores: StoreService, products: ProductService, invoices: InvoiceService,
                 *, clock: Callable[[], datetime] = _utc_now) -> None:
        self._writer = writer
        self._stores = stores
        self._products = products
        self._invoices = invoices
        self._clock = clock

    async def allowed(self, store: Store, *, has_catalogue: bool | None = None) -> bool:
        """Does ``store`` take invoices from anyone? (``has_catalogue``: when the caller knows already.)"""
        if isinstance(store.checkout.get(rules.SETTING), bool):
            return rules.allows_public(store.checkout, has_catalogue=False)
        if has_catalogue is None:
            has_catalogue = bool(await self._products.list(store.id))
        return rules.allows_public(store.checkout, has_catalogue=has_catalogue)

    async def create(self, store_id: str, *, has_catalogue: bool | None = None, **fields: Any) -> Invoice:
        """``InvoiceService.create`` for a caller without a key: PublicInvoicesOff when the store does not
        take them, PublicBudgetReached (nothing written but the merchant's notification) beyond the budget."""
        store = await self._stores.get(store_id)
        if store.archived or not await self.allowed(store, has_catalogue=has_catalogue):
            raise rules.PublicInvoicesOff("This store does not take invoices from its public page.")
        budget = rules.budget_of(store.checkout)
        now = self._clock()
        told_key = TOLD_PREFIX + store.id

        def admit(conn: sqlite3.Connection) -> None:
            rules.check_budget(open_count_sync(conn, store.id, now), budget)
            conn.execute("DELETE FROM app_settings WHERE key = ?", (told_key,))  # below the budget: re-armed

        try:
            return await self._invoices.create(store.id, public=True, admit=admit, **fields)
        except rules.PublicBudgetReached as full:
            full.retry_after_s = await self._until_next_expiry(store.id, now)
            if await self._tell_once(store, budget, full.open_count, now):
                logger.warning("store %s: %d open public invoices, budget %d reached; merchant notified",
                               store.id, full.open_count, budget)
            raise

    async def open_count(self, store_id: str) -> int:
        async with self._writer.read() as session:
            return int(await session.scalar(
                select(func.count()).select_from(InvoiceRow).where(*_open_filter(store_id, self._clock()))) or 0)

    async def _until_next_expiry(self, store_id: str, now: datetime) -> int:
        async with self._writer.read() as session:
            first = await session.scalar(select(func.min(InvoiceRow.expires_at)).where(*_open_filter(store_id, now)))
        if first is None:
            return 1
        first_at = first if first.tzinfo else first.replace(tzinfo=UTC)
        return max(1, int((first_at - now).total_seconds()) + 1)

    async def _tell_once(self, store: Store, budget: int, open_count: int, now: datetime) -> bool:
        """Write the ``store.public_budget_reached`` event unless this crossing was told already."""
        key = TOLD_PREFIX + store.id
        event = rules.BudgetReached(store.id, budget, open_count)
        async with self._writer.transaction() as session:
            if await session.get(AppSettingRow, key) is not None:
                return False
            session.add(AppSettingRow(key=key, value={"at": now.isoformat(), "budget": budget,
                                                      "open_count": open_count}))
            await session.execute(insert(OutboxEventRow.__table__), [{  # type: ignore[arg-type]
                "type": event.type, "invoice_id": None, "store_id": store.id, "payload": event.to_payload(),
                "created_at": now}])
            session.info["outbox"] = True
        return True
