"""BTCPay's published Greenfield schemas (schemas/*.json, kept from btcpayserver/btcpayserver) as validators.

Two documented adjustments, both about how BTCPay's documents are written rather than what they say:

- `allOf` composes a C# subclass there: `{"allOf": [Base, {"additionalProperties": false, ...}]}` means
  "no properties beyond the class's own and inherited ones". Strict JSON Schema would reject the inherited
  ones (so BTCPay's own responses would fail), so every `allOf` of object schemas is folded into one
  object: the union of the properties, closed if any branch is closed.
- `schemas/errata.json`: where the swagger text disagrees with the C# models BTCPay serializes
  (each entry names its evidence).
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from openapi_schema_validator import OAS30Validator

DIR = Path(__file__).parent / "schemas"
FILES = ("common", "invoices", "webhooks", "stores", "server", "stores-payment-methods", "pull-payments")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def _load(name: str) -> dict[str, Any]:
    return json.loads((DIR / f"{name}.json").read_text())


def _apply_errata(schemas: dict[str, Any]) -> None:
    errata = _load("errata")
    for name, schema in {**errata["replace"], **errata["add"]}.items():
        schemas[name] = schema
    for target, schema in errata["properties"].items():
        name, prop = target.split(".")
        schemas[name].setdefault("properties", {})[prop] = schema
    payment = {"$ref": "#/components/schemas/WebhookInvoicePaymentEventFields"}
    schemas["WebhookInvoiceReceivedPaymentEvent"]["allOf"].append(payment)
    schemas["WebhookInvoicePaymentSettledEvent"] = copy.deepcopy(schemas["WebhookInvoiceReceivedPaymentEvent"])


class _Folder:
    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.done: dict[str, Any] = {}

    def named(self, name: str) -> Any:
        if name not in self.done:
            self.done[name] = self.fold(self.schemas[name])
        return self.done[name]

    def branch(self, schema: Any) -> Any:
        ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
        return self.named(ref.rsplit("/", 1)[1]) if ref.startswith("#/components/schemas/") else self.fold(schema)

    def fold(self, schema: Any) -> Any:
        if isinstance(schema, list):
            return [self.fold(s) for s in schema]
        if not isinstance(schema, dict):
            return schema
        out = {k: self.fold(v) for k, v in schema.items() if k != "allOf"}
        if "allOf" not in schema:
            return out
        branches = [self.branch(b) for b in schema["allOf"]]
        if not any("properties" in b for b in branches):
            out["allOf"] = self.fold(schema["allOf"])
            return out
        out["type"] = "object"
        out["properties"] = {**{k: v for b in branches for k, v in b.get("properties", {}).items()},
                             **out.get("properties", {})}
        if any(b.get("additionalProperties") is False for b in branches):
            out["additionalProperties"] = False
        required = sorted({r for b in branches for r in b.get("required", [])})
        if required:
            out["required"] = required
        return out


@cache
def components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name in FILES:
        schemas.update(_load(name)["components"]["schemas"])
    _apply_errata(schemas)
    folder = _Folder(schemas)
    return {name: folder.named(name) for name in schemas}


def _checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("decimal")(lambda value: not isinstance(value, str) or bool(_DECIMAL.match(value)))
    return checker


def validate(instance: Any, name: str) -> None:
    """Raise jsonschema.ValidationError unless `instance` matches BTCPay's schema `name`."""
    schemas = components()
    schema = {**schemas[name], "components": {"schemas": schemas}}
    OAS30Validator(schema, format_checker=_checker()).validate(instance)


def validate_array(instance: Any, name: str) -> None:
    assert isinstance(instance, list), instance
    for item in instance:
        validate(item, name)
