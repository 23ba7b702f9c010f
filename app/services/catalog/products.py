"""Products of a store's catalog (ready store, POS item grid)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ProductNotFound, ValidationError
from app.core.ids import new_id
from app.core.money import parse_price
from app.core.records import Product
from app.core.staff import SYSTEM, Actor, AuditAction, Permission, require
from app.db.mapping import to_product
from app.db.models import ProductRow
from app.services.catalog.stores import StoreService
from app.services.staff.audit import AuditLog
from app.services.writer import Writer

EDITABLE = ("name", "description", "price", "category", "image", "stock", "archived")


def _text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    text = str(value if value is not None else "").strip()
    if (required and not text) or len(text) > limit:
        need = "is required and " if required else ""
        raise ValidationError(f"'{field}' {need}must be at most {limit} characters.", code=f"invalid_{field}",
                              field=field)
    return text


class ProductService:
    def __init__(self, writer: Writer, stores: StoreService, *, audit: AuditLog | None = None) -> None:
        self._writer = writer
        self._stores = stores
        self._audit = audit or AuditLog(writer)

    async def _clean(self, store_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(f"Unknown product field '{field}'.", code="unknown_field", field=field)
        store = await self._stores.get(store_id)
        out: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "name":
                out[key] = _text(value, key, 200, required=True)
            elif key == "description":
                out[key] = _text(value, key, 5000)
            elif key == "category":
                out[key] = _text(value, key, 100)
            elif key == "price":
                out[key] = parse_price(value, store.default_currency)
            elif key == "image":
                out[key] = _text(value, key, 200) or None
            elif key == "stock":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                    raise ValidationError("Stock must be a whole number >= 0 or empty.", code="invalid_stock",
                                          field="stock")
                out[key] = value
            elif key == "archived":
                out[key] = bool(value)
        return out

    async def check(self, store_id: str, changes: Mapping[str, Any]) -> None:
        """Validate ``changes`` for a product of ``store_id`` without writing (raises UserFacingError)."""
        await self._clean(store_id, changes)

    async def create(self, store_id: str, *, name: str, price: Any, actor: Actor = SYSTEM, **fields: Any) -> Product:
        """MANAGE_PRODUCTS in the store (every write here); a person's change is audited."""
        require(actor, Permission.MANAGE_PRODUCTS, store_id)
        values = await self._clean(store_id, {"name": name, "price": price, **fields})
        defaults = {"description": "", "category": "", "archived": False}
        row = ProductRow(id=new_id("prd"), store_id=store_id, created_at=datetime.now(UTC), **{**defaults, **values})
        async with self._writer.transaction() as session:
            session.add(row)
            await self._note(session, actor, row.id, store_id, {"created": True, "name": row.name})
        return to_product(row)

    async def update(self, product_id: str, changes: Mapping[str, Any], *, actor: Actor = SYSTEM) -> Product:
        current = await self.get(product_id)
        require(actor, Permission.MANAGE_PRODUCTS, current.store_id)
        values = await self._clean(current.store_id, changes)
        async with self._writer.transaction() as session:
            row = await session.get(ProductRow, product_id)
            if row is None:
                raise ProductNotFound("Product not found.")
            for key, value in values.items():
                setattr(row, key, value)
            await self._note(session, actor, row.id, row.store_id, {k: str(v) for k, v in values.items()})
        return await self.get(product_id)

    async def _note(self, session: AsyncSession, actor: Actor, product_id: str, store_id: str, detail: dict[str, Any]) -> None:
        if actor.person_id is not None:
            await self._audit.record(session, actor, AuditAction.PRODUCT_CHANGE, store_id=store_id,
                                     target_type="product", target_id=product_id, detail=detail)

    async def delete(self, product_id: str, *, actor: Actor = SYSTEM) -> None:
        """Products referenced by invoices keep their snapshot in the invoice; deleting archives."""
        await self.archive(product_id, actor=actor)

    async def archive(self, product_id: str, *, actor: Actor = SYSTEM) -> Product:
        """Hidden from the store page and the kiosk; kept for invoices and ``list(include_archived=True)``."""
        return await self.update(product_id, {"archived": True}, actor=actor)

    async def restore(self, product_id: str, *, actor: Actor = SYSTEM) -> Product:
        return await self.update(product_id, {"archived": False}, actor=actor)

    async def get(self, product_id: str) -> Product:
        async with self._writer.read() as session:
            row = await session.get(ProductRow, product_id)
            if row is None:
                raise ProductNotFound("Product not found.")
            return to_product(row)

    async def list(self, store_id: str, *, include_archived: bool = False) -> list[Product]:
        query = select(ProductRow).where(ProductRow.store_id == store_id).order_by(ProductRow.category, ProductRow.name)
        if not include_archived:
            query = query.where(ProductRow.archived.is_(False))
        async with self._writer.read() as session:
            return [to_product(r) for r in (await session.scalars(query)).all()]
