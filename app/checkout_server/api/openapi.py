"""The OpenAPI 3.1 document, generated from the operation table and its pydantic models (never by hand)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from app import __version__
from app.checkout_server.api.operations import AUTHENTICATED, Operation
from app.checkout_server.api.schemas.common import ErrorResponse

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")
ERROR_CODES_DOC = (
    "Every error is `{\"error\": {\"code\", \"message\", \"field\"}}`. Codes are stable: `missing_api_key`, "
    "`invalid_api_key` (401), `insufficient_scope`, `store_forbidden` (403), `*_not_found` (404), "
    "`invalid_json` (400), `method_not_allowed` (405, with `Allow`), `unknown_field`, `missing_field`, "
    "`invalid_value`, `number_too_large`, `too_deep` and the services' `invalid_*` (422), "
    "`payload_too_large`, `image_too_large` (413), `rate_limited` (429), `rate_unavailable`, "
    "`chain_unavailable` (503). Unknown fields in a JSON body or query string are rejected with `unknown_field`."
)


def _operations() -> list[Operation]:
    from app.checkout_server.api.routes import all_operations

    return all_operations()


def _models(ops: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorResponse, "serialization"): None}
    for op in ops:
        uses: tuple[tuple[type[BaseModel] | None, JsonSchemaMode], ...] = (
            (op.body, "validation"), (op.query, "validation"), (op.response, "serialization"))
        for model, mode in uses:
            if model is not None:
                wanted[(model, mode)] = None
    return list(wanted)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Query values are text: an omitted parameter is the null, so `X | None` is documented as X."""
    options = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    out = {k: v for k, v in schema.items() if k not in ("title", "anyOf") and not (k == "default" and v is None)}
    if len(options) == 1:
        out.update(options[0])
    elif options:
        out["anyOf"] = options
    return out


def _parameters(op: Operation, query_schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}}
        for name in _PATH_PARAM.findall(op.path)
    ]
    if op.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "Retry safely: a repeat with this key returns the first response; "
                                      "another body with it is 409 `idempotency_key_reused`. Kept >= 24 h.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}})
    if query_schema is not None:
        required = set(query_schema.get("required", ()))
        for name, prop in query_schema.get("properties", {}).items():
            prop = _not_null(prop)
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if "description" in prop:
                param["description"] = prop.pop("description")
            params.append(param)
    return params


def _security(op: Operation) -> list[dict[str, list[str]]]:
    if op.scope is None:
        return []
    return [{"bearerAuth": []}, {}] if op.anonymous else [{"bearerAuth": []}]


def _responses(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    error = {"description": "Error", "content": {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}}
    if op.status == 204:
        return {"204": {"description": "No content"}, "default": error}
    content: dict[str, Any] = {}
    if op.response is not None:
        content["application/json"] = {"schema": refs[(op.response, "serialization")]}
    content.update(op.extra_content)
    return {str(op.status): {"description": op.summary, "content": content}, "default": error}


def _operation(op: Operation, refs: dict[Any, Any], defs: dict[str, Any]) -> dict[str, Any]:
    query_schema = None
    if op.query is not None:
        query_schema = defs[refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[-1]]
    doc: dict[str, Any] = {
        "operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
        "security": _security(op), "parameters": _parameters(op, query_schema), "responses": _responses(op, refs),
    }
    if op.scope is not None:
        doc["x-required-scope"] = "any" if op.scope == AUTHENTICATED else str(op.scope)
    if op.description:
        doc["description"] = op.description
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[(op.body, "validation")]}}}
    elif op.raw_body:
        doc["requestBody"] = {"required": True, "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary",
                                                    "maxLength": op.raw_body}}}}
    return doc


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    ops = _operations()
    refs, top = models_json_schema(_models(ops), ref_template=REF)
    defs = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.full_path, {})[op.method.lower()] = _operation(op, refs, defs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "RedWaves API", "version": __version__, "description": (
            "Accept bitcoin: stores, wallets, products, invoices, payments, webhooks. Send "
            "`Authorization: Bearer <key>`. Amounts in satoshis are integers (`*_sat`); fiat amounts are "
            "decimal strings. " + ERROR_CODES_DOC)},
        "paths": paths,
        "components": {"schemas": defs, "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer", "description": "An API key `rw_<id>_<secret>`."}}},
    }
