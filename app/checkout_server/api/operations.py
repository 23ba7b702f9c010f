"""One declarative table of API operations: it builds the aiohttp handlers AND the OpenAPI document.

Each `Operation` names its pydantic models (query, body, response). The bound handler authenticates,
checks the scope, validates the query and the body with those models, calls the feature function with
a `Call`, and serialises the returned model. So what the OpenAPI document says is what the server does.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import pydantic
from aiohttp import web

from app.checkout_server.api.errors import BadRequest, Forbidden, PayloadTooLarge, from_pydantic
from app.checkout_server.api.idempotent import IDEMPOTENCY_HEADER, run_idempotent
from app.checkout_server.api.keys import API_LIMITS
from app.checkout_server.errors import json_error
from app.checkout_server.keys import SERVICES
from app.checkout_server.logins import Refusal, check_api_key
from app.core import limits
from app.core.errors import ValidationError
from app.core.records import Store
from app.services.admin.apikeys import ApiKey, Scope
from app.services.invoicing.idempotency import Claim

if TYPE_CHECKING:
    from app.services.container import Services

PREFIX = "/api/v1"
AUTHENTICATED = "authenticated"  # any valid key, whatever its scopes
Handler = Callable[["Call"], Awaitable[object]]  # a response model, a dict for it, a web response or None
M = TypeVar("M", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below PREFIX, OpenAPI/aiohttp template syntax: /stores/{store_id}
    handler: Handler
    summary: str
    tag: str
    scope: Scope | str | None  # None: no key needed; AUTHENTICATED: any valid key
    response: type[pydantic.BaseModel] | None = None
    body: type[pydantic.BaseModel] | None = None
    query: type[pydantic.BaseModel] | None = None
    status: int = 200
    anonymous: bool = False  # may run without a key (rate-limited), e.g. invoice creation
    raw_body: int = 0  # > 0: the body is raw bytes up to this size (uploads), not JSON
    extra_content: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # non-JSON responses for docs
    description: str = ""
    idempotent: bool = False  # honours an Idempotency-Key header (app/checkout_server/api/idempotent.py)

    @property
    def full_path(self) -> str:
        return PREFIX + self.path

    @property
    def operation_id(self) -> str:
        return self.handler.__name__.lstrip("_")


@dataclass
class Call:
    request: web.Request
    key: ApiKey | None
    query: pydantic.BaseModel | None = None  # validated with op.query
    body: pydantic.BaseModel | bytes | None = None  # validated with op.body; bytes for raw_body operations
    idempotency: Claim | None = None  # the Idempotency-Key this call holds: store the response in the write

    @property
    def services(self) -> Services:
        return self.request.app[SERVICES]

    def query_as(self, model: type[M]) -> M:
        """The validated query, as the model the operation declares."""
        return _declared(self.query, model)

    def body_as(self, model: type[M]) -> M:
        """The validated JSON body, as the model the operation declares (or a base class of it)."""
        return _declared(self.body, model)

    def raw_body(self) -> bytes:
        if not isinstance(self.body, bytes):
            raise TypeError("this operation does not declare a raw body")
        return self.body

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    def check_store(self, store_id: str) -> None:
        if self.key is not None and not self.key.can_access_store(store_id):
            raise Forbidden("This API key is restricted to other stores.", code="store_forbidden")

    async def store(self, store_id: str | None = None) -> Store:
        store_id = store_id or self.param("store_id")
        self.check_store(store_id)
        return await self.services.stores.get(store_id)

    @property
    def store_ids(self) -> tuple[str, ...] | None:
        return self.key.store_ids if self.key is not None else None

    def require_unrestricted(self) -> None:
        if self.key is not None and self.key.store_ids is not None:
            raise Forbidden("This needs an API key that is not restricted to some stores.",
                            code="store_forbidden")


def _declared(value: object, model: type[M]) -> M:
    if not isinstance(value, model):  # a wiring mistake in the operations table: a 500, logged
        raise TypeError(f"the operation does not declare {model.__name__}")
    return value


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


def _too_many(wait_s: float, message: str) -> web.Response:
    response = json_error(429, "rate_limited", message)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
    return response


def _unauthorized(code: str, message: str) -> web.Response:
    response = json_error(401, code, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="redwaves"'
    return response


async def authorize(request: web.Request, op: Operation) -> ApiKey | None | web.Response:
    """The caller's key; or a 401/403/429 response. None for open or anonymous operations."""
    if op.scope is None:
        return None
    limits = request.app[API_LIMITS]
    header = request.headers.get("Authorization", "")
    if not header and op.anonymous:
        wait = limits.anonymous_invoices.consume(_client(request))
        return _too_many(wait, "Too many invoices from this address; try again later.") if wait else None
    if not header:
        return _unauthorized("missing_api_key", "Send an API key: 'Authorization: Bearer <key>'.")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    key = await check_api_key(request, bearer, limits.failed_auth)  # a valid key always passes
    if isinstance(key, Refusal):
        return _too_many(key.retry_after_s, "Too many failed authentication attempts; try again later.")
    if key is None:
        return _unauthorized("invalid_api_key", "The API key is not valid (unknown, malformed or revoked).")
    if op.scope != AUTHENTICATED and not key.has_scope(Scope(op.scope)):
        return json_error(403, "insufficient_scope", f"This API key lacks the '{op.scope}' scope.")
    return key


def _query(op: Operation, request: web.Request) -> pydantic.BaseModel | None:
    values = dict(request.query)
    if op.query is None:
        if values:
            name = sorted(values)[0]
            raise ValidationError(f"Unknown field '{name}'.", code="unknown_field", field=name)
        return None
    try:
        return op.query.model_validate(values)
    except pydantic.ValidationError as exc:
        raise from_pydantic(exc) from None


async def _raw_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.", field="body")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(op: Operation, request: web.Request) -> bytes:
    """The request body's bytes, bounded (JSON bodies by the API limit)."""
    if op.raw_body:
        return await _raw_body(request, op.raw_body)
    if op.body is None:
        return b""
    return await _raw_body(request, request.app[API_LIMITS].max_json_bytes)


def parse_body(op: Operation, raw: bytes) -> pydantic.BaseModel | bytes | None:
    if op.raw_body:
        return raw
    if op.body is None:
        return None
    if not raw.strip():
        raise BadRequest("Send a JSON object as the request body.", code="invalid_json")
    try:
        limits.loads(raw)  # the bounds first (numbers, nesting: app/core/limits.py); < 1 ms for 64 KB
    except ValueError:
        raise BadRequest("The request body is not valid JSON.", code="invalid_json") from None
    try:
        return op.body.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        raise from_pydantic(exc) from None


def render(op: Operation, result: object) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    if op.status == 204 or op.response is None:
        return web.Response(status=204)
    model = result if isinstance(result, op.response) else op.response.model_validate(result)
    return web.Response(body=model.model_dump_json().encode(), status=op.status, content_type="application/json")


async def _run(op: Operation, call: Call) -> web.StreamResponse:
    return render(op, await op.handler(call))


def bind(op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        key = await authorize(request, op)
        if isinstance(key, web.StreamResponse):
            return key
        call = Call(request, key)
        call.query = _query(op, request)
        raw = await read_body(op, request)
        call.body = parse_body(op, raw)
        if op.idempotent and IDEMPOTENCY_HEADER in request.headers:
            return await run_idempotent(call, request.headers[IDEMPOTENCY_HEADER], raw, op.status,
                                        lambda: _run(op, call))
        return await _run(op, call)

    handler.__name__ = op.operation_id
    return handler
