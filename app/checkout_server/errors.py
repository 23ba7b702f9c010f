"""One error middleware: UserFacingError -> JSON 4xx with a stable code (507 `storage_full` for a full
or failing disk, app/db/storage.py); anything else -> logged 500.

Never a traceback to the client. Shopper pages render their own friendly HTML errors
(app/checkout_server/shopper/pages.py); everything else gets JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from app.core.errors import UserFacingError
from app.db.storage import storage_fault

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str]]:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def json_error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    return web.json_response(error_body(code, message, field), status=status)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 429: "rate_limited"}

_KEPT_HEADERS = ("Allow", "Retry-After")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except UserFacingError as exc:
        return json_error(exc.http_status, exc.code, str(exc), exc.field)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        response = json_error(exc.status, code, exc.reason)
        for name in _KEPT_HEADERS:  # a 405 says which methods are allowed; a 429/503 when to retry
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception as exc:
        fault = storage_fault(exc)  # a full disk met outside the writer (a read, a file): 507 storage_full
        if fault is not None:
            logger.error("storage fault on %s %s: %s", request.method, request.path, exc)
            return json_error(fault.http_status, fault.code, str(fault))
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal_error", "Something went wrong on our side; it has been logged.")
