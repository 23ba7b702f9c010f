"""Issue 19 item 6 over real HTTP: validation messages are sentences naming the field sent, never
pydantic's wording or a regular expression."""

from __future__ import annotations

import re

import pytest

from app.checkout_server.api.messages import PATTERNS
from app.checkout_server.api.routes import all_operations
from tests.api.conftest import auth, shop

RAW = re.compile(r"String should|Input should|should match pattern|\^\[|\{1,|Value error|type=")


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"price": "-10"}, "price", "'price' must be a decimal number written as a string, such as \"12.50\""),
    ({"price": "1", "currency": "US$"}, "currency", "'currency' must be a 3- or 4-letter currency code"),
    ({"price": 12.5}, "price", "'price' must be text (a JSON string)."),
    ({"amount_sat": 0}, "amount_sat", "'amount_sat' must be at least 1."),
    ({"price": "1", "expiry_s": "soon"}, "expiry_s", "'expiry_s' must be a whole number."),
    ({"price": "1", "order_id": "x" * 201}, "order_id", "'order_id' is at most 200 characters long."),
    ({"price": "1", "redirect_url": "ftp://x"}, "redirect_url", "'redirect_url' must be an http:// or https://"),
    ({"price": "1", "items": {}}, "items", "'items' must be a JSON array."),
    ({"price": "0"}, "price", "Price must be greater than zero."),  # the rule speaks of amount_sat inside
    ({"price": "1.5", "currency": "SAT"}, "price", "SAT prices must be whole numbers."),
    ({"price": "0.001"}, "price", "USD prices have at most 2 decimal places."),
])
async def test_invoice_validation_messages_are_sentences(client, services, admin_key, body, field, words):
    store = await shop(services)
    resp = await client.post(f"/api/v1/stores/{store.id}/invoices", json=body, headers=auth(admin_key))
    error = (await resp.json())["error"]
    assert resp.status == 422 and error["field"] == field, error
    assert error["message"].startswith(words) and error["message"].endswith(".")
    assert not RAW.search(error["message"]), error["message"]


def test_every_pattern_in_the_request_schemas_is_described_in_words():
    from app.checkout_server.api.openapi import openapi_document

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(openapi_document())
    assert all_operations() and found
    assert found <= set(PATTERNS), sorted(found - set(PATTERNS))
