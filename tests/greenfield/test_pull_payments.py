"""Greenfield pull payments and invoice refunds in BTCPay's published shapes (tests/greenfield/schemas/
pull-payments.json, from BTCPay's swagger), as the WooCommerce plugin and the PHP client call them."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from app.chain.models import AddressesChanged
from app.core.payments import ObservedOutput
from app.core.refunds import RefundVariant
from app.core.statuses import InvoiceStatus
from tests.api.conftest import make_key
from tests.greenfield.conftest import token
from tests.greenfield.schema import validate, validate_array
from tests.services.refund_helpers import foreign_address, shop

GF = "/greenfield/api/v1"


async def _paid(services, store, *, order_id: str | None = None, price: str = "50.00", paid_sat: int | None = None):
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await services.invoices.create(store.id, price=price, currency="USD", order_id=order_id)
    sat = invoice.amount_due_sat if paid_sat is None else paid_sat
    tip = services.fake_chain.current.tip_height
    services.fake_chain.outputs[invoice.address] = [ObservedOutput("ab" * 32, 0, sat, tip, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))
    for _ in range(250):
        invoice = await services.invoices.get(invoice.id)
        if invoice.status is InvoiceStatus.COMPLETE:
            return invoice
        await asyncio.sleep(0.02)
    raise AssertionError(f"invoice stayed {invoice.status}")


async def _json(resp, status: int = 200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_woocommerce_refund_as_a_pull_payment(client, services):
    store = await shop(services)
    invoice = await _paid(services, store, order_id="4711")
    h = token(await make_key(services, "refunds:write", "invoices:read", "stores:read"))
    current = await _json(await client.get(f"{GF}/api-keys/current", headers=h))
    assert "btcpay.store.cancreatepullpayments" in current["permissions"]  # the plugin's refund check

    body = {"name": "Refund for order no.: 4711 reason: damaged", "amount": "20.00", "currency": "USD",
            "BOLT11Expiration": None, "autoApproveClaims": False, "startsAt": None, "expiresAt": None,
            "paymentMethods": ["BTC"]}
    pp = await _json(await client.post(f"{GF}/stores/{store.id}/pull-payments", json=body, headers=h))
    validate(pp, "PullPaymentData")
    assert pp["amount"] == "20.00" and pp["currency"] == "USD" and pp["name"] == body["name"]
    assert pp["viewLink"].endswith(f"/refund/{pp['id']}") and pp["archived"] is False
    refund = await services.refunds.get(pp["id"])
    assert refund.invoice_id == invoice.id and refund.variant is RefundVariant.CUSTOM_FIAT
    assert refund.amount_sat == 40_000

    public = await _json(await client.get(f"{GF}/pull-payments/{pp['id']}"))  # no key: public in BTCPay
    validate(public, "PullPaymentData")
    assert public == pp
    listed = await _json(await client.get(f"{GF}/stores/{store.id}/pull-payments", headers=h))
    validate_array(listed, "PullPaymentData")
    assert [p["id"] for p in listed] == [pp["id"]]
    assert await _json(await client.get(f"{GF}/pull-payments/{pp['id']}/payouts")) == []

    claimed = await services.refunds.claim(pp["id"], foreign_address(3))
    payouts = await _json(await client.get(f"{GF}/pull-payments/{pp['id']}/payouts"))
    validate_array(payouts, "PayoutData")
    assert payouts[0]["id"] == claimed.payout_id and payouts[0]["destination"] == foreign_address(3)
    assert payouts[0]["state"] == "AwaitingApproval" and payouts[0]["pullPaymentId"] == pp["id"]
    one = await _json(await client.get(f"{GF}/pull-payments/{pp['id']}/payouts/{claimed.payout_id}"))
    validate(one, "PayoutData")
    store_payouts = await _json(await client.get(f"{GF}/stores/{store.id}/payouts", headers=h))
    validate_array(store_payouts, "PayoutData")
    assert [p["id"] for p in store_payouts] == [claimed.payout_id]


async def test_pull_payment_without_a_matching_invoice_is_a_validation_problem(client, services):
    store = await shop(services)
    await _paid(services, store, order_id="1")
    h = token(await make_key(services, "refunds:write"))
    body = {"name": "Refund for order no.: 999", "amount": "1.00", "currency": "USD"}
    problem = await _json(await client.post(f"{GF}/stores/{store.id}/pull-payments", json=body, headers=h), 422)
    validate(problem, "ValidationProblemDetails")
    assert problem[0]["path"] == "name" and "invoice" in problem[0]["message"]
    lightning = {"name": "Refund for order no.: 1", "amount": "1.00", "currency": "USD",
                 "paymentMethods": ["BTC-LightningNetwork"]}
    problem = await _json(await client.post(f"{GF}/stores/{store.id}/pull-payments", json=lightning, headers=h), 422)
    assert problem[0]["path"] == "payoutMethods"
    sats = {"name": "Refund for order no.: 1", "amount": "10000", "currency": "SATS"}
    pp = await _json(await client.post(f"{GF}/stores/{store.id}/pull-payments", json=sats, headers=h))
    assert (await services.refunds.get(pp["id"])).amount_sat == 10_000 and pp["currency"] == "BTC"
    assert (await client.get(f"{GF}/pull-payments/nope")).status == 404


async def test_invoice_refund_variants(client, services):
    store = await shop(services)
    invoice = await _paid(services, store, price="50.00", paid_sat=120_000)  # 20 000 sat overpaid
    h = token(await make_key(services, "refunds:write"))
    url = f"{GF}/stores/{store.id}/invoices/{invoice.id}/refund"
    cases = [
        ({"refundVariant": "OverpaidAmount"}, 20_000, RefundVariant.OVERPAID),
        ({"refundVariant": "Custom", "customAmount": "0.0001", "customCurrency": "BTC"}, 10_000,
         RefundVariant.CUSTOM_BTC),
        ({"refundVariant": "Custom", "customAmount": "5.00", "customCurrency": "USD", "subtractPercentage": "10"},
         9_000, RefundVariant.CUSTOM_FIAT),
        ({"refundVariant": "Fiat", "name": "Goodwill"}, None, RefundVariant.CURRENT_RATE),
    ]
    for body, amount_sat, variant in cases:
        validate(body, "RefundInvoiceRequest")
        pp = await _json(await client.post(url, json=body, headers=h))
        validate(pp, "PullPaymentData")
        refund = await services.refunds.get(pp["id"])
        assert refund.variant is variant and refund.invoice_id == invoice.id, body
        if amount_sat is not None:
            assert refund.amount_sat == amount_sat, body
    assert pp["name"] == "Goodwill"
    store_less = await client.post(f"{GF}/invoices/{invoice.id}/refund", json={"refundVariant": "RateThen"}, headers=h)
    assert store_less.status == 409  # everything paid is refunded (or promised) already
    assert (await store_less.json())["code"] == "refund-exceeds-paid"


async def test_invoice_refund_errors_in_btcpay_shapes(client, services):
    store = await shop(services)
    invoice = await _paid(services, store)
    h = token(await make_key(services, "refunds:write"))
    url = f"{GF}/stores/{store.id}/invoices/{invoice.id}/refund"
    problem = await _json(await client.post(url, json={"refundVariant": "Everything"}, headers=h), 422)
    validate(problem, "ValidationProblemDetails")
    assert problem[0]["path"] == "refundVariant"
    over = await client.post(url, json={"refundVariant": "OverpaidAmount"}, headers=h)
    assert over.status == 409 and (await over.json())["code"] == "nothing-overpaid"
    euro = await _json(await client.post(url, json={"refundVariant": "Custom", "customAmount": "5",
                                                    "customCurrency": "EUR"}, headers=h), 422)
    assert euro[0]["path"] == "customCurrency"
    pct = await _json(await client.post(url, json={"refundVariant": "RateThen", "subtractPercentage": "100"},
                                        headers=h), 422)
    assert pct[0]["path"] == "subtractPercentage"
    no_scope = token(await make_key(services, "invoices:write"))
    refused = await client.post(url, json={"refundVariant": "RateThen"}, headers=no_scope)
    assert refused.status == 403 and (await refused.json())["code"] == "missing-permission"
    assert await services.refunds.for_invoice(invoice.id) == []
