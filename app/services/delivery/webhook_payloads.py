"""JSON snapshots of invoices and payments: the webhook body and the REST API share this shape.
The "greenfield" flavor (BTCPay Server-compatible bodies) is at the end.

Money: satoshis as integers (`*_sat`), fiat as decimal strings, never floats. Times: ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.core.invoices import arrived_at
from app.core.lightning import offer_open, unified_uri
from app.core.money import format_btc
from app.core.payments import Payment
from app.core.records import Invoice

SIGNATURE_HEADER = "X-RedWaves-Signature"
DELIVERY_HEADER = "X-RedWaves-Delivery"
EVENT_HEADER = "X-RedWaves-Event"


def decimal_str(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def payment_snapshot(payment: Payment) -> dict[str, Any]:
    return {
        "txid": payment.txid, "vout": payment.vout, "amount_sat": payment.amount_sat,
        "state": str(payment.state), "confirmations": payment.confirmations, "height": payment.height,
        "first_seen_at": _iso(payment.first_seen_at), "accounted": payment.accounted, "rbf": payment.rbf,
        "block_time": _iso(payment.block_time),
        "fee_sat": None if payment.fee is None else payment.fee.fee_sat,
        "vsize": None if payment.fee is None else payment.fee.vsize,
        "fee_rate_sat_vb": None if payment.fee is None else str(payment.fee.rate_sat_vb),
        "low_fee": payment.fee is not None and payment.fee.low,
        "method": payment.method,
        "payment_hash": payment.lightning.payment_hash if payment.lightning is not None else None,
        "preimage": payment.lightning.preimage if payment.lightning is not None else None,
    }


def invoice_snapshot(invoice: Invoice, now: datetime | None = None) -> dict[str, Any]:
    """``now`` (default: the clock) decides whether the BOLT11 is still on offer (``lightning_offered``, and
    ``payment_uri`` carries it as ``lightning=``; app/core/lightning.py)."""
    now = now or datetime.now(UTC)
    return {
        "id": invoice.id, "store_id": invoice.store_id, "wallet_id": invoice.wallet_id,
        "status": str(invoice.status), "exception_status": str(invoice.exception_status),
        "address": invoice.address, "payment_uri": unified_uri(invoice, now),
        "bolt11": invoice.bolt11, "payment_hash": invoice.payment_hash,
        "lightning_offered": offer_open(invoice, now),
        "amount_due_sat": invoice.amount_due_sat, "amount_paid_sat": invoice.amount_paid_sat,
        "amount_confirmed_sat": invoice.amount_confirmed_sat, "remaining_sat": invoice.remaining_sat,
        "price": decimal_str(invoice.price), "currency": invoice.currency, "rate": decimal_str(invoice.rate),
        "rate_source": invoice.rate_source, "order_id": invoice.order_id, "description": invoice.description,
        "buyer_email": invoice.buyer_email, "metadata": dict(invoice.metadata),
        "items": [dict(i) for i in invoice.items], "redirect_url": invoice.redirect_url,
        "notification_url": invoice.notification_url, "speed_policy": invoice.speed_policy,
        "underpaid_tolerance_pct": decimal_str(invoice.underpaid_tolerance_pct),
        "created_at": _iso(invoice.created_at), "expires_at": _iso(invoice.expires_at),
        "monitoring_until": _iso(invoice.monitoring_until), "paid_at": _iso(invoice.paid_at),
        "confirmed_at": _iso(invoice.confirmed_at), "completed_at": _iso(invoice.completed_at),
        "payments": [payment_snapshot(p) for p in invoice.payments],
    }


def delivery_body(*, delivery_id: str, event_seq: int, event_type: str, timestamp: datetime, store_id: str,
                  event: dict[str, Any], invoice: Invoice | None) -> str:
    """The exact bytes sent (and signed): compact JSON, keys in a fixed order."""
    body: dict[str, Any] = {
        "delivery_id": delivery_id, "event_seq": event_seq, "type": event_type, "timestamp": _iso(timestamp),
        "store_id": store_id, "event": event,
        "invoice": invoice_snapshot(invoice) if invoice is not None else None,
    }
    if event_type.startswith("payment.") and invoice is not None:
        outpoint = (event.get("txid"), event.get("vout"))
        match = next((p for p in invoice.payments if (p.txid, p.vout) == outpoint), None)
        body["payment"] = payment_snapshot(match) if match is not None else None
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def sign(secret: str, body: bytes) -> str:
    """The X-RedWaves-Signature header value: ``sha256=<hex HMAC-SHA256(secret, raw body)>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header or "")


# -- the "greenfield" flavor: BTCPay Server's webhook bodies (docs/greenfield.md) ----------------------------

GREENFIELD_SIGNATURE_HEADER = "BTCPay-Sig"
PAYMENT_METHOD_ID = "BTC-CHAIN"
LIGHTNING_METHOD_ID = "BTC-LN"  # BTCPay 2.x's Lightning id, beside its BTC-CHAIN (docs/greenfield.md)
GREENFIELD_EVENT_TYPES = ("InvoiceCreated", "InvoiceReceivedPayment", "InvoiceProcessing", "InvoiceExpired",
                          "InvoiceSettled", "InvoiceInvalid", "InvoicePaymentSettled")


def unix_s(value: datetime) -> int:
    return int(value.timestamp())


def greenfield_metadata(invoice: Invoice) -> dict[str, Any]:
    """BTCPay's invoice metadata: what the client sent, plus orderId/buyerEmail/itemDesc from our columns."""
    metadata = dict(invoice.metadata)
    for key, value in (("orderId", invoice.order_id), ("buyerEmail", invoice.buyer_email),
                       ("itemDesc", invoice.description or None)):
        if value is not None:
            metadata.setdefault(key, value)
    return metadata


def greenfield_payment_status(payment: Payment, invoice: Invoice) -> str:
    if payment.lightning is not None:
        return "Settled"  # a settled Lightning payment is final
    if not payment.accounted:
        return "Invalid"
    return "Settled" if payment.confirmations >= invoice.speed_policy else "Processing"


def greenfield_method_id(payment: Payment) -> str:
    return LIGHTNING_METHOD_ID if payment.lightning is not None else PAYMENT_METHOD_ID


def greenfield_payment(payment: Payment, invoice: Invoice) -> dict[str, Any]:
    """BTCPay's `Payment` object: value in BTC as a decimal string, receivedDate in unix seconds. A Lightning
    payment's id is its payment hash and its destination the BOLT11, as BTCPay's Lightning payments."""
    if payment.lightning is not None:
        payment_id, destination = payment.lightning.payment_hash, invoice.bolt11 or ""
    else:
        payment_id, destination = f"{payment.txid}-{payment.vout}", invoice.address
    return {"id": payment_id, "receivedDate": unix_s(payment.first_seen_at),
            "value": format_btc(payment.amount_sat), "fee": "0.00000000",
            "status": greenfield_payment_status(payment, invoice), "destination": destination}


def _status_event(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    old, new, exception = event.get("old_status"), event.get("new_status"), event.get("new_exception")
    if old == new:
        return None  # an exception-only change: BTCPay has no event for it
    marked = exception == "marked"
    if new in ("paid", "confirmed") and old not in ("paid", "confirmed"):
        return "InvoiceProcessing", {"overPaid": exception == "paid_over"}
    if new == "complete":
        return "InvoiceSettled", {"manuallyMarked": marked}
    if new == "expired":
        return "InvoiceExpired", {"partiallyPaid": int(event.get("amount_paid_sat") or 0) > 0}
    if new == "invalid":
        return "InvoiceInvalid", {"manuallyMarked": marked}
    return None


def _payment_event(kind: str, event: dict[str, Any], invoice: Invoice) -> tuple[str, dict[str, Any]] | None:
    outpoint = (event.get("txid"), event.get("vout"))
    payment = next((p for p in invoice.payments if (p.txid, p.vout) == outpoint), None)
    if payment is None:
        return None
    return kind, {"afterExpiration": arrived_at(payment) >= invoice.expires_at,
                  "paymentMethodId": greenfield_method_id(payment), "payment": greenfield_payment(payment, invoice),
                  "overPaid": invoice.amount_paid_sat > invoice.amount_due_sat}


def greenfield_event(event_type: str, event: dict[str, Any],
                     invoice: Invoice | None) -> tuple[str, dict[str, Any]] | None:
    """The BTCPay event type and its specific fields for one outbox event; None when BTCPay has no such event.

    invoice.created -> InvoiceCreated; payment.received -> InvoiceReceivedPayment; payment.confirmed and
    payment.settled (Lightning) -> InvoicePaymentSettled; invoice.status_changed -> InvoiceProcessing / InvoiceSettled / InvoiceExpired /
    InvoiceInvalid (entering that BTCPay status); payment.state_changed and refunds -> nothing.
    """
    if invoice is None:
        return None
    if event_type == "invoice.created":
        return "InvoiceCreated", {}
    if event_type == "invoice.status_changed":
        return _status_event(event)
    if event_type == "payment.received":
        return _payment_event("InvoiceReceivedPayment", event, invoice)
    if event_type in ("payment.confirmed", "payment.settled"):  # first confirmation; a Lightning payment settled
        return _payment_event("InvoicePaymentSettled", event, invoice)
    return None


def greenfield_body(*, delivery_id: str, webhook_id: str, btcpay_type: str, timestamp: datetime,
                    invoice: Invoice, fields: dict[str, Any]) -> str:
    """BTCPay's webhook body (WebhookInvoiceEvent and its subtypes): the exact bytes sent and signed."""
    body: dict[str, Any] = {
        "deliveryId": delivery_id, "webhookId": webhook_id, "originalDeliveryId": delivery_id,
        "isRedelivery": False, "type": btcpay_type, "timestamp": unix_s(timestamp), "storeId": invoice.store_id,
        "invoiceId": invoice.id, "metadata": greenfield_metadata(invoice), **fields,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
