"""Stores: list, create, get, update."""

from __future__ import annotations

from typing import Any

from app.checkout_server.api.idempotent import RECORDED_AFTER
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.stores import StoreIn, StoreList, StoreOut, StoreUpdate
from app.core.errors import ValidationError
from app.services.admin.apikeys import Scope


def store_changes(call: Call, model: StoreUpdate) -> dict[str, Any]:
    changes = model.model_dump(exclude_unset=True)
    source = changes.get("rate_source")
    if source is not None and source not in call.services.rates.source_names:
        raise ValidationError(f"Unknown rate source '{source}'.", code="invalid_rate_source", field="rate_source")
    return changes


async def list_stores(call: Call) -> StoreList:
    stores = await call.services.stores.list(include_archived=True)
    return StoreList(items=[StoreOut.of(s) for s in stores if call.key is None or call.key.can_access_store(s.id)])


async def create_store(call: Call) -> StoreOut:
    call.require_unrestricted()
    changes = store_changes(call, call.body_as(StoreIn))
    name = changes.pop("name")
    return StoreOut.of(await call.services.stores.create(name, **changes))


async def get_store(call: Call) -> StoreOut:
    return StoreOut.of(await call.store())


async def update_store(call: Call) -> StoreOut:
    store = await call.store()
    return StoreOut.of(await call.services.stores.update(store.id, store_changes(call, call.body_as(StoreUpdate))))


def operations() -> list[Operation]:
    tag = "stores"
    return [
        Operation("GET", "/stores", list_stores, "List stores (those the key may see)", tag, Scope.STORES_READ,
                  StoreList),
        Operation("POST", "/stores", create_store, "Create a store", tag, Scope.STORES_WRITE, StoreOut,
                  body=StoreIn, status=201, idempotent=True, description=RECORDED_AFTER),
        Operation("GET", "/stores/{store_id}", get_store, "Get a store", tag, Scope.STORES_READ, StoreOut),
        Operation("PATCH", "/stores/{store_id}", update_store, "Update a store (archive with `archived`)", tag,
                  Scope.STORES_WRITE, StoreOut, body=StoreUpdate),
    ]
