"""The `Idempotency-Key` header on creating REST calls (operations declared ``idempotent=True``).

The first successful response is stored under (the caller's scope, the key) and replayed for a
repeat of the same request: same status, same body, header ``Idempotent-Replayed: true``. A
repeat with another method, path or body is refused with 409 `idempotency_key_reused`. Failed
calls (4xx/5xx) store nothing: the retry runs again. Scope: the API key's id, or for keyless
calls the request path (so keyless clients should use random keys, e.g. UUIDs). The rules and
the storage: app/services/invoicing/idempotency.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from app.services.invoicing.idempotency import Claim, request_hash

if TYPE_CHECKING:
    from app.checkout_server.api.operations import Call

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RECORDED_AFTER = ("With an `Idempotency-Key` header a repeat returns the first response (409 "
                  "`idempotency_key_reused` for another body). The key is stored right after the creation "
                  "commits (invoices: in the same transaction).")


def scope_of(call: Call) -> str:
    return f"key:{call.key.id}" if call.key is not None else f"public:{call.request.path}"[:80]


async def run_idempotent(call: Call, key: str, raw: bytes, status: int,
                         run: Callable[[], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    request = call.request
    digest = request_hash(request.method, request.path, raw)
    async with call.services.idempotency.claim(scope_of(call), key, digest, status=status) as held:
        if not isinstance(held, Claim):
            return web.Response(body=held.body, status=held.status, content_type="application/json",
                                headers={REPLAYED_HEADER: "true"})
        call.idempotency = held
        response = await run()
        if held.stored is not None:  # written in the creation's own transaction: send exactly that
            return web.Response(body=held.stored, status=status, content_type="application/json")
        if isinstance(response, web.Response) and response.status == status and response.body is not None:
            body = response.body
            if isinstance(body, bytes):
                await call.services.idempotency.record(held, body.decode())
        return response
