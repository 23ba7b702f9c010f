"""Bitcart's extended JSON-RPC 2.0: parsing, parameter conventions, responses, error translation.

``params`` is a list (positional), a dict (named), or a list whose last element is a dict of named
arguments (what the Bitcart SDK sends when it mixes both). Errors are always HTTP 200 with
``{"jsonrpc": "2.0", "error": {"code", "message"}, "id"}``, as Bitcart's daemons answer. A RedWaves
error also carries ``data``: ``{"code": <stable RedWaves code>, "field": <argument or null>}``.
The Bitcart SDK raises the spec's exception with the spec's docstring for a known code (it drops
``message`` and ``data``), so the docstrings in spec.py say what the code means and what to check.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from aiohttp import web

from app.chain.errors import BroadcastFailed, CannotPay, NotConnected
from app.checkout_server.daemon import spec
from app.core import limits
from app.core.errors import InvalidKey, UserFacingError, ValidationError
from app.core.limits import LimitExceeded
from app.db.storage import storage_fault
from app.services.compat.bitcart.chain import AddressNotWatched, InvalidTxHash, TransactionNotFound
from app.services.compat.bitcart.requests import (
    LightningInvoiceNotFound,
    LightningUnsupported,
    NotEnoughInbound,
    NotSupported,
    RequestNotFound,
)
from app.services.compat.bitcart.wallets import WalletNotLoaded

logger = logging.getLogger(__name__)


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


@dataclass
class RpcRequest:
    id: object  # whatever JSON value the client chose; echoed back
    method: str
    args: list[object] = field(default_factory=list)
    kwargs: dict[str, object] = field(default_factory=dict)


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o: object) -> object:
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


def _dumps(obj: object) -> str:
    return json.dumps(obj, cls=_DecimalEncoder)


def ok(req_id: object, result: object) -> web.Response:
    return web.json_response({"jsonrpc": "2.0", "result": result, "id": req_id}, dumps=_dumps)


def error(req_id: object, code: int, message: str, data: dict[str, object] | None = None) -> web.Response:
    body: dict[str, object] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return web.json_response({"jsonrpc": "2.0", "error": body, "id": req_id})


def split_params(params: object) -> tuple[list[object], dict[str, object]]:
    if params is None:
        return [], {}
    if isinstance(params, dict):
        return [], dict(params)
    if isinstance(params, list):
        if params and isinstance(params[-1], dict):
            return list(params[:-1]), dict(params[-1])
        return list(params), {}
    raise RpcError(spec.INVALID_PARAMS, "params must be a list or an object")


def check_not_batch(body: bytes) -> None:
    """Batches are refused before any parsing (Bitcart clients send one request per call), with the code
    a non-object request always had (-32600)."""
    if body.lstrip()[:1] == b"[":
        raise RpcError(spec.UNAUTHORIZED, "Invalid Request: expected one JSON-RPC object (no batches)")


def parse_request(body: bytes) -> RpcRequest:
    """Money-safe, bounded parse (app/core/limits.py): numbers with a fraction become Decimal, never float;
    numbers, nesting and batches past the bounds are refused with LIMIT_EXCEEDED."""
    check_not_batch(body)
    try:
        data = limits.loads(body)
    except LimitExceeded as exc:
        raise RpcError(spec.LIMIT_EXCEEDED, str(exc)) from None
    except ValueError:  # also UnicodeDecodeError
        raise RpcError(spec.PARSE_ERROR, "Parse error") from None
    if not isinstance(data, dict):
        raise RpcError(spec.UNAUTHORIZED, "Invalid Request: expected one JSON-RPC object (no batches)")
    req_id = data.get("id")
    method = data.get("method")
    if not isinstance(method, str) or not method:
        raise RpcError(spec.PROCEDURE_NOT_FOUND, "Procedure not found")
    args, kwargs = split_params(data.get("params", []))
    return RpcRequest(id=req_id, method=method, args=args, kwargs=kwargs)


# Most specific first: the first matching class decides the code.
_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (WalletNotLoaded, spec.WALLET_NOT_LOADED),
    (InvalidTxHash, spec.INVALID_TX_HASH),
    (TransactionNotFound, spec.TX_NOT_FOUND),
    (RequestNotFound, spec.REQUEST_NOT_FOUND),
    (LightningInvoiceNotFound, spec.INVOICE_NOT_FOUND),
    (NotEnoughInbound, spec.NOT_ENOUGH_FUNDS),
    (InvalidKey, spec.LOADING_WALLET),
    (LightningUnsupported, spec.LIGHTNING_UNSUPPORTED),
    (CannotPay, spec.NOT_SUPPORTED),
    (NotSupported, spec.NOT_SUPPORTED),
    (AddressNotWatched, spec.NOT_SUPPORTED),
    (LimitExceeded, spec.LIMIT_EXCEEDED),
    (ValidationError, spec.INVALID_PARAMS),
    (BroadcastFailed, spec.INTERNAL_ERROR),
    (NotConnected, spec.INTERNAL_ERROR),
)


def translate(exc: BaseException) -> RpcError:
    """Domain errors -> spec codes by class (never by message). Unexpected errors are logged and
    reported as a generic -32603 without details."""
    if isinstance(exc, RpcError):
        return exc
    fault = storage_fault(exc)  # StorageFull, or a full disk met unwrapped (a read)
    if fault is not None:
        return RpcError(spec.STORAGE_FULL, str(fault), {"code": fault.code, "field": None})
    data: dict[str, object] | None = {"code": exc.code, "field": exc.field} if isinstance(exc, UserFacingError) else None
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return RpcError(code, str(exc), data)
    if isinstance(exc, UserFacingError):
        return RpcError(spec.INTERNAL_ERROR, str(exc), data)
    logger.error("daemon: unexpected %s", type(exc).__name__, exc_info=exc)
    return RpcError(spec.INTERNAL_ERROR, "Internal error; it has been logged.")
