"""JSON-RPC 2.0 framing for the Electrum protocol: errors, responses, notifications."""

from __future__ import annotations

import json

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
BAD_REQUEST = 1  # ElectrumX: a request the server understood but refuses
DAEMON_ERROR = 2  # ElectrumX: the daemon (here: the mempool) rejected it


class RPCError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode(message: object) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def result(request_id: object, value: object) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: object, exc: RPCError) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": exc.code, "message": exc.message}}


def notification(method: str, params: list[object]) -> dict[str, object]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def validate_request(message: object) -> tuple[object, str, list[object] | dict[str, object], bool]:
    """(id, method, params, is_notification) or RPCError(INVALID_REQUEST)."""
    if not isinstance(message, dict):
        raise RPCError(INVALID_REQUEST, "request must be a JSON object")
    method = message.get("method")
    if not isinstance(method, str):
        raise RPCError(INVALID_REQUEST, "missing or non-string method")
    params = message.get("params", [])
    if not isinstance(params, list | dict):
        raise RPCError(INVALID_REQUEST, "params must be an array or object")
    request_id = message.get("id")
    if request_id is not None and not isinstance(request_id, str | int | float) or isinstance(request_id, bool):
        raise RPCError(INVALID_REQUEST, "invalid id")
    return request_id, method, params, "id" not in message
