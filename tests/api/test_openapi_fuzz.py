"""The served OpenAPI document is valid, and schemathesis finds no server error (5xx) in any operation.

The app runs on this test's loop (aiohttp_client on loopback); schemathesis is synchronous, so it runs in
a worker thread. Path ids are sometimes swapped for real ones so requests reach past the 404s.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.currencies import CURRENCIES
from tests.api.conftest import auth, shop

MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


async def test_openapi_document_is_valid(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    validate(doc)
    ops = [op for path in doc["paths"].values() for op in path.values()]
    assert len(ops) >= 40 and all(op["responses"].get("default") for op in ops)


def _fuzz(doc: dict[str, Any], base_url: str, headers: dict[str, str], real_ids: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), data=st.data())
        def run(case: Any, data: Any) -> None:
            for name in list(case.path_parameters or {}):
                if name in real_ids and data.draw(st.booleans()):
                    case.path_parameters[name] = real_ids[name]
            response = case.call(base_url=base_url, headers=headers, timeout=10)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}"[:2000])
    return failures


async def test_schemathesis_finds_no_server_errors(client, services, admin_key):
    await services.webhooks.stop()  # fuzzed webhook URLs must not be called
    store = await shop(services)
    for code, currency in CURRENCIES.items():
        if currency.fiat:
            await services.rates.set_manual_rate(code, Decimal("50000"))
    product = await services.products.create(store.id, name="Coffee", price="3.00")
    invoice = await services.invoices.create(store.id, price="1.00")
    saved = await services.webhooks.create(store.id, "http://127.0.0.1:9/hook")
    real_ids = {"store_id": store.id, "wallet_id": store.wallet_ids[0], "product_id": product.id,
                "invoice_id": invoice.id, "webhook_id": saved.webhook.id}
    doc = await (await client.get("/api/v1/openapi.json")).json()
    base_url = str(client.make_url("")).rstrip("/")
    failures = await asyncio.to_thread(_fuzz, doc, base_url, auth(admin_key), real_ids)
    assert not failures, "\n\n".join(failures)

