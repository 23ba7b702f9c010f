"""`Authorization: token <key>`, BTCPay permissions mapped to RedWaves scopes, BTCPay's error shapes.

Keys are the Developer API's keys (ApiKeyService); failed logins share the API's rate limiter
(app[API_LIMITS]). Each operation needs one BTCPay permission, which is checked as the RedWaves scope it
maps to (PERMISSIONS). Errors are BTCPay's: `{"code", "message"}`, or for validation a 422 with
`[{"path", "message"}]`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from aiohttp import web

from app.checkout_server.api.errors import PayloadTooLarge
from app.checkout_server.api.keys import API_LIMITS
from app.checkout_server.keys import SERVICES
from app.checkout_server.logins import Refusal, check_api_key
from app.core import limits
from app.core.errors import UserFacingError, ValidationError
from app.services.admin.apikeys import ApiKey, Scope

if TYPE_CHECKING:
    from app.services.container import Services

PREFIX = "/greenfield/api/v1"
ANY_KEY = "any"  # any valid key, whatever its scopes

# BTCPay permission -> the RedWaves scope that grants it.
PERMISSIONS: dict[str, Scope] = {
    "btcpay.store.canviewinvoices": Scope.INVOICES_READ,
    "btcpay.store.cancreateinvoice": Scope.INVOICES_CREATE,
    "btcpay.store.canmodifyinvoices": Scope.INVOICES_WRITE,
    "btcpay.store.canviewstoresettings": Scope.STORES_READ,
    "btcpay.store.webhooks.canmodifywebhooks": Scope.WEBHOOKS_WRITE,
    "btcpay.store.canviewpullpayments": Scope.REFUNDS_READ,
    "btcpay.store.cancreatepullpayments": Scope.REFUNDS_WRITE,  # what the WooCommerce plugin checks for refunds
    "btcpay.store.canmanagepullpayments": Scope.REFUNDS_WRITE,
}


def permissions_of(key: ApiKey) -> list[str]:
    """The BTCPay permissions a key holds, store-scoped (`perm:storeId`) when the key is restricted."""
    if Scope.FULL in key.scopes:
        return ["unrestricted"] if key.store_ids is None else [
            f"btcpay.store.canmodifystoresettings:{s}" for s in key.store_ids]
    held = [perm for perm, scope in PERMISSIONS.items() if key.has_scope(scope)]
    if key.store_ids is None:
        return held
    return [f"{perm}:{store_id}" for perm in held for store_id in key.store_ids]


def problem(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


def validation_problem(path: str | None, message: str) -> web.Response:
    return web.json_response([{"path": path or "", "message": message}], status=422)


def from_error(exc: UserFacingError) -> web.Response:
    if exc.http_status == 422 or exc.code == "invalid_transition":
        return validation_problem(exc.field, str(exc))
    return problem(exc.http_status, exc.code.replace("_", "-"), str(exc))


class Forbidden(UserFacingError):
    code = "missing-permission"
    http_status = 403


def _token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("token", "bearer"):
        return None
    return token.strip() or None


async def authenticate(request: web.Request, permission: str | None) -> ApiKey | web.Response:
    limits = request.app[API_LIMITS]
    header = request.headers.get("Authorization", "")
    if not header:
        return problem(401, "unauthenticated", "Send an API key: 'Authorization: token <key>'.")
    key = await check_api_key(request, _token(header), limits.failed_auth)  # a valid key always passes
    if isinstance(key, Refusal):
        response = problem(429, "rate-limited", "Too many failed authentication attempts; try again later.")
        response.headers["Retry-After"] = str(max(1, math.ceil(key.retry_after_s)))
        return response
    if key is None:
        return problem(401, "unauthenticated", "The API key is not valid (unknown, malformed or revoked).")
    if permission is not None and not key.has_scope(PERMISSIONS[permission]):
        return problem(403, "missing-permission",
                       f"This API key lacks the '{permission}' permission "
                       f"(RedWaves scope '{PERMISSIONS[permission]}').")
    return key


def _plain(value: object) -> object:
    """JSON numbers were parsed as Decimal (exact amounts); opaque metadata goes back to plain JSON numbers."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class GfCall:
    request: web.Request
    key: ApiKey

    @property
    def services(self) -> Services:
        return self.request.app[SERVICES]

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    def check_store(self, store_id: str) -> None:
        if not self.key.can_access_store(store_id):
            raise Forbidden("This API key is restricted to other stores.")

    async def json(self) -> dict[str, object]:
        """The JSON object body; numbers that are not integers come back as Decimal (never float)."""
        limit = self.request.app[API_LIMITS].max_json_bytes
        too_large = PayloadTooLarge(f"The body is larger than {limit} bytes.", field="body")
        if self.request.content_length is not None and self.request.content_length > limit:
            raise too_large
        raw = await self.request.content.read(limit + 1)
        if len(raw) > limit:
            raise too_large
        try:
            body = limits.loads(raw or b"{}")  # numbers and nesting bounded (app/core/limits.py)
        except ValueError:
            raise ValidationError("The request body is not valid JSON.", field="body") from None
        if not isinstance(body, dict):
            raise ValidationError("Send a JSON object as the request body.", field="body")
        return body

    @staticmethod
    def plain(value: Mapping[object, object]) -> dict[str, object]:
        """A JSON object with its Decimal numbers back as plain JSON numbers."""
        return {str(k): _plain(v) for k, v in value.items()}


GfHandler = Callable[[GfCall], Awaitable[object]]


def bind(permission: str | None, handler: GfHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Authenticate, check the permission, run, and answer JSON; domain errors in BTCPay's shapes."""

    async def handle(request: web.Request) -> web.StreamResponse:
        key = await authenticate(request, None if permission == ANY_KEY else permission)
        if isinstance(key, web.StreamResponse):
            return key
        try:
            result = await handler(GfCall(request, key))
        except UserFacingError as exc:
            return from_error(exc)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)

    handle.__name__ = handler.__name__
    return handle
