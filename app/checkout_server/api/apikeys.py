"""API keys: create (needs a full-scope key), list, revoke, and who am I."""

from __future__ import annotations

from app.checkout_server.api.operations import AUTHENTICATED, Call, Operation
from app.checkout_server.api.schemas.webhooks import ApiKeyCreated, ApiKeyIn, ApiKeyList, ApiKeyOut
from app.services.admin.apikeys import Scope


async def create_api_key(call: Call) -> ApiKeyCreated:
    call.require_unrestricted()
    body = call.body_as(ApiKeyIn)
    created = await call.services.apikeys.create(body.name, body.scopes, store_ids=body.store_ids)
    return ApiKeyCreated(key=created.key.reveal(), api_key=ApiKeyOut.of(created.api_key))


async def list_api_keys(call: Call) -> ApiKeyList:
    return ApiKeyList(items=[ApiKeyOut.of(k) for k in await call.services.apikeys.list()])


async def current_api_key(call: Call) -> ApiKeyOut:
    assert call.key is not None
    return ApiKeyOut.of(call.key)


async def revoke_api_key(call: Call) -> None:
    call.require_unrestricted()
    await call.services.apikeys.revoke(call.param("key_id"))


def operations() -> list[Operation]:
    tag = "api-keys"
    return [
        Operation("GET", "/api-keys", list_api_keys, "List active API keys", tag, Scope.FULL, ApiKeyList),
        Operation("POST", "/api-keys", create_api_key, "Create an API key (shown once)", tag, Scope.FULL,
                  ApiKeyCreated, body=ApiKeyIn, status=201),
        Operation("GET", "/api-keys/current", current_api_key, "The key making this request (any scope)", tag,
                  AUTHENTICATED, ApiKeyOut),
        Operation("DELETE", "/api-keys/{key_id}", revoke_api_key, "Revoke an API key", tag, Scope.FULL, status=204),
    ]
