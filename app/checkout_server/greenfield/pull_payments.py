"""Greenfield pull payments, the subset BTCPay's WooCommerce plugin and PHP client use for refunds.

- ``POST /stores/{storeId}/pull-payments`` (name, description, amount, currency, paymentMethods /
  payoutMethods, autoApproveClaims...) -> PullPaymentData. RedWaves refunds belong to an invoice: it is
  the store's invoice whose orderId the name or description names (the WooCommerce plugin writes
  "Refund for order no.: 123 reason: ..."), or the one sent as ``invoiceId`` (a RedWaves extension).
- ``GET /stores/{storeId}/pull-payments``, ``GET /pull-payments/{id}`` and its ``/payouts`` (public in
  BTCPay: the id is the capability), ``GET /stores/{storeId}/payouts``.
- ``POST /stores/{storeId}/invoices/{invoiceId}/refund`` and ``POST /invoices/{invoiceId}/refund``
  (refundVariant RateThen / CurrentRate / OverpaidAmount / Fiat / Custom, subtractPercentage,
  customAmount, customCurrency).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from aiohttp import web

from app.checkout_server.api.messages import as_sent
from app.checkout_server.greenfield.auth import GfCall, from_error
from app.checkout_server.greenfield.fields import optional_text
from app.checkout_server.greenfield.models import enum_value
from app.checkout_server.greenfield.pull_payment_data import note_of, payout_data, pull_payment_data
from app.checkout_server.keys import SERVICES
from app.core.errors import InvoiceNotFound, NotFound, UserFacingError, ValidationError
from app.core.limits import bounded_decimal
from app.core.money import SAT_PER_BTC, normalize_currency
from app.core.payouts import PayoutStatus
from app.core.records import Invoice, Store
from app.core.refunds import Refund, RefundRequest, RefundVariant, is_refundable, refund_settings
from app.services.invoicing.invoices import InvoiceFilter

if TYPE_CHECKING:
    from app.services.container import Services

ON_CHAIN = frozenset({"btc", "btc-chain", "btc-onchain", "btc_onchain"})
ORDER_IN_NAME = re.compile(r"\border(?:\s+no\.?|\s+number)?\s*[:#]?\s*#?\s*([A-Za-z0-9][A-Za-z0-9_.-]{0,99})",
                           re.IGNORECASE)
VARIANTS = {"RateThen": RefundVariant.RATE_THEN, "CurrentRate": RefundVariant.CURRENT_RATE,
            "OverpaidAmount": RefundVariant.OVERPAID, "Fiat": RefundVariant.CURRENT_RATE}  # Custom: by currency
SENT_AS = {"custom_amount": "customAmount", "fee_pct": "subtractPercentage", "variant": "refundVariant",
           "note": "name", "amount": "customAmount"}


class PullPaymentNotFound(NotFound):
    code = "pullpayment-not-found"


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationError(f"'{field}' must be a decimal string.", field=field)
    try:
        return bounded_decimal(str(value).strip(), field)
    except ArithmeticError:
        raise ValidationError(f"'{field}' must be a decimal string.", field=field) from None


def _check_methods(body: dict[str, object]) -> None:
    methods = body.get("payoutMethods", body.get("paymentMethods"))
    if methods is None:
        return
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise ValidationError("'payoutMethods' must be a list of payout method ids.", field="payoutMethods")
    if methods and not any(m.strip().lower() in ON_CHAIN for m in methods if isinstance(m, str)):
        raise ValidationError("RedWaves pays refunds on chain only: include 'BTC-CHAIN'.", field="payoutMethods")


def custom_request(invoice: Invoice, amount: Decimal, currency: str, *, fee_pct: Decimal = Decimal(0),
                   note: str = "") -> RefundRequest:
    """An amount in BTC, SATS or the invoice's own currency, as a RedWaves custom refund."""
    code = currency.strip().upper()
    if code in ("SAT", "SATS"):
        return RefundRequest(RefundVariant.CUSTOM_BTC, amount / SAT_PER_BTC, fee_pct=fee_pct, note=note)
    if code == "BTC":
        return RefundRequest(RefundVariant.CUSTOM_BTC, amount, fee_pct=fee_pct, note=note)
    if code == normalize_currency(invoice.currency):
        return RefundRequest(RefundVariant.CUSTOM_FIAT, amount, fee_pct=fee_pct, note=note)
    raise ValidationError(f"Refund in BTC, SATS or the invoice's currency ({invoice.currency}).", field="currency")


async def _store(call: GfCall, store_id: str | None = None) -> Store:
    store_id = store_id or call.param("store_id")
    call.check_store(store_id)
    return await call.services.stores.get(store_id)


async def _order_invoice(call: GfCall, store: Store, texts: tuple[str | None, ...]) -> Invoice:
    for text in texts:
        for order_id in ORDER_IN_NAME.findall(text or ""):
            for candidate in (order_id, order_id.rstrip(".")):
                page = await call.services.invoices.list(InvoiceFilter(store_id=store.id, order_id=candidate), limit=20)
                paid = [i for i in page.items if is_refundable(i)]
                if paid:
                    found: Invoice = paid[0]
                    return found
    raise ValidationError("RedWaves refunds belong to a paid invoice: name its order in 'name' "
                          "(\"Refund for order no.: 123\") or send 'invoiceId'.", field="name")


async def _invoice_of(call: GfCall, store: Store, invoice_id: str) -> Invoice:
    invoice = await call.services.invoices.get(invoice_id)
    if invoice.store_id != store.id:
        raise InvoiceNotFound("Invoice not found.")
    return invoice


async def _answer(call: GfCall, store: Store, refund: Refund) -> dict[str, object]:
    auto = refund_settings(store).auto_approves(refund.amount_sat)
    return pull_payment_data(refund, await call.services.refunds.link_for(refund), auto_approve=auto)


def _actor(call: GfCall) -> str:
    return f"greenfield:{call.key.id}"


async def create_pull_payment(call: GfCall) -> dict[str, object]:
    store = await _store(call)
    body = await call.json()
    name, description = optional_text(body.get("name"), "name"), optional_text(body.get("description"), "description")
    amount = _decimal(body.get("amount"), "amount")
    currency = optional_text(body.get("currency"), "currency")
    if not currency:
        raise ValidationError("'currency' is required.", field="currency")
    _check_methods(body)
    invoice_id = optional_text(body.get("invoiceId"), "invoiceId")
    invoice = await (_invoice_of(call, store, invoice_id) if invoice_id
                     else _order_invoice(call, store, (name, description)))
    request = custom_request(invoice, amount, currency, note=note_of(name, description)[:500])
    try:
        refund = await call.services.refunds.create(invoice.id, request, actor=_actor(call))
    except UserFacingError as exc:
        raise as_sent(exc, {**SENT_AS, "custom_amount": "amount"}) from None
    return await _answer(call, store, refund)


def _variant_request(invoice: Invoice, body: dict[str, object]) -> RefundRequest:
    name = enum_value(body.get("refundVariant"), (*VARIANTS, "Custom"))
    if name is None:
        raise ValidationError("'refundVariant' must be RateThen, CurrentRate, OverpaidAmount, Fiat or Custom.",
                              field="refundVariant")
    raw_pct = body.get("subtractPercentage")
    fee_pct = Decimal(0) if raw_pct is None else _decimal(raw_pct, "subtractPercentage")
    note = note_of(optional_text(body.get("name"), "name"), optional_text(body.get("description"), "description"))[:500]
    if name != "Custom":
        return RefundRequest(VARIANTS[name], fee_pct=fee_pct, note=note)
    amount = _decimal(body.get("customAmount"), "customAmount")
    currency = optional_text(body.get("customCurrency"), "customCurrency") or invoice.currency
    try:
        return custom_request(invoice, amount, currency, fee_pct=fee_pct, note=note)
    except ValidationError as exc:
        exc.field = "customCurrency"
        raise


async def refund_invoice(call: GfCall) -> dict[str, object]:
    """Both routes: ``/stores/{storeId}/invoices/{invoiceId}/refund`` and ``/invoices/{invoiceId}/refund``."""
    if "store_id" in call.request.match_info:
        store = await _store(call)
        invoice = await _invoice_of(call, store, call.param("invoice_id"))
    else:
        invoice = await call.services.invoices.get(call.param("invoice_id"))
        store = await _store(call, invoice.store_id)
    body = await call.json()
    _check_methods(body)
    request = _variant_request(invoice, body)
    try:
        refund = await call.services.refunds.create(invoice.id, request, actor=_actor(call))
    except UserFacingError as exc:
        raise as_sent(exc, SENT_AS) from None
    return await _answer(call, store, refund)


async def refund_invoice_of_any_store(call: GfCall) -> dict[str, object]:
    """``POST /invoices/{invoiceId}/refund`` (BTCPay 2.x): the store is the invoice's."""
    return await refund_invoice(call)


async def list_pull_payments(call: GfCall) -> list[dict[str, object]]:
    store = await _store(call)
    archived = call.request.query.get("includeArchived", "false").lower() == "true"
    page = await call.services.refunds.list(store_id=store.id, limit=200)
    items = [r for r in page.items if archived or r.status.value in ("open", "claimed", "paid")]
    return [await _answer(call, store, r) for r in items]


async def store_pull_payment(call: GfCall) -> dict[str, object]:
    store = await _store(call)
    refund = await _refund_in(call, store)
    return await _answer(call, store, refund)


async def _refund_in(call: GfCall, store: Store) -> Refund:
    refund = await _refund(call.services, call.param("pull_payment_id"))
    if refund.store_id != store.id:
        raise PullPaymentNotFound("Pull payment not found.")
    return refund


async def store_payouts(call: GfCall) -> list[dict[str, object]]:
    store = await _store(call)
    cancelled = call.request.query.get("includeCancelled", "false").lower() == "true"
    page = await call.services.payouts.list(store_id=store.id, limit=200)
    out = []
    for payout in page.items:
        if cancelled or payout.status is not PayoutStatus.CANCELLED:
            refund = await call.services.refunds.get(payout.refund_id) if payout.refund_id else None
            out.append(payout_data(payout, refund))
    return out


# -- public (no key, as in BTCPay: the pull payment id is the capability) ---------------------------------

async def _refund(services: Services, refund_id: str) -> Refund:
    try:
        return await services.refunds.get(refund_id)
    except NotFound:
        raise PullPaymentNotFound("Pull payment not found.") from None


PublicHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def public(handler: Callable[[web.Request], Awaitable[object]]) -> PublicHandler:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return web.json_response(await handler(request))
        except UserFacingError as exc:
            return from_error(exc)

    handle.__name__ = handler.__name__
    return handle


async def get_pull_payment(request: web.Request) -> dict[str, object]:
    services = request.app[SERVICES]
    refund = await _refund(services, request.match_info["pull_payment_id"])
    store = await services.stores.get(refund.store_id)
    auto = refund_settings(store).auto_approves(refund.amount_sat)
    return pull_payment_data(refund, await services.refunds.link_for(refund), auto_approve=auto)


async def pull_payment_payouts(request: web.Request) -> list[dict[str, object]]:
    """A RedWaves refund has at most one payout: the one made when the shopper claimed it."""
    services = request.app[SERVICES]
    refund = await _refund(services, request.match_info["pull_payment_id"])
    cancelled = request.query.get("includeCancelled", "false").lower() == "true"
    payouts = [await services.payouts.get(refund.payout_id)] if refund.payout_id else []
    return [payout_data(p, refund) for p in payouts if cancelled or p.status is not PayoutStatus.CANCELLED]


async def pull_payment_payout(request: web.Request) -> dict[str, object]:
    services = request.app[SERVICES]
    refund = await _refund(services, request.match_info["pull_payment_id"])
    if refund.payout_id is None or refund.payout_id != request.match_info["payout_id"]:
        raise NotFound("Payout not found.", code="payout-not-found")
    return payout_data(await services.payouts.get(refund.payout_id), refund)
