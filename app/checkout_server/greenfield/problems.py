"""BTCPay-shaped errors for everything under /greenfield/, also what no Greenfield handler answered.

Handlers answer through `auth.from_error`. This middleware, just inside the server's error middleware,
reshapes the rest: the router's 404/405, the guards' refusals (421, 403, 415) and the server's own
`{"error": {...}}` bodies become `{"code", "message"}` (codes in BTCPay's kebab-case), a 422 becomes
`[{"path", "message"}]`, and an unexpected exception a logged 500 `{"code": "internal-error", ...}`.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from app.checkout_server.errors import Handler, error_middleware
from app.checkout_server.greenfield.auth import from_error, problem, validation_problem
from app.core.errors import UserFacingError
from app.db.storage import storage_fault

logger = logging.getLogger(__name__)

GREENFIELD_PATHS = "/greenfield/"
HTTP_CODES = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
              405: "method-not-allowed", 413: "payload-too-large", 415: "unsupported-media-type",
              429: "rate-limited"}
KEPT_HEADERS = ("Allow", "Retry-After")


def _message(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return "There is no Greenfield operation at this path."
    if exc.status == 405:
        return f"This path does not take {request.method}; it takes {exc.headers.get('Allow', 'other methods')}."
    return exc.reason


def _kebab(code: str) -> str:
    return code.replace("_", "-")


def _reshaped(response: web.Response) -> web.Response | None:
    """A `{"error": {...}}` JSON answer in BTCPay's shape; None when it is something else."""
    if not isinstance(response.body, bytes) or response.content_type != "application/json":
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    message = str(error.get("message", ""))
    if response.status == 422:
        return validation_problem(error.get("field"), message)
    return problem(response.status, _kebab(str(error.get("code", "error"))), message)


def _with_headers(new: web.Response, old: web.StreamResponse | web.HTTPException) -> web.Response:
    for name in KEPT_HEADERS:
        if name in old.headers:
            new.headers[name] = old.headers[name]
    return new


@web.middleware
async def greenfield_problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(GREENFIELD_PATHS):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = HTTP_CODES.get(exc.status, "http-error")
        return _with_headers(problem(exc.status, code, _message(request, exc)), exc)
    except UserFacingError as exc:
        return from_error(exc)
    except Exception as exc:
        fault = storage_fault(exc)  # a full disk met outside the writer (a read): 507 storage-full
        if fault is not None:
            return from_error(fault)
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal-error", "Something went wrong on our side; it has been logged.")
    if response.status >= 400 and isinstance(response, web.Response):
        reshaped = _reshaped(response)
        if reshaped is not None:
            return _with_headers(reshaped, response)
    return response


def install_problems(app: web.Application) -> None:
    """Just inside the error middleware, so it sees the guards' answers too."""
    middlewares = list(app.middlewares)
    position = middlewares.index(error_middleware) + 1 if error_middleware in middlewares else 0
    app.middlewares.insert(position, greenfield_problems)
