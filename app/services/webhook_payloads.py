"""JSON snapshots of invoices and payments: the webhook body and the REST API share this shape.

Money: satoshis as integers (`*_sat`), fiat as decimal strings, never floats. Times: ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

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
    }


def invoice_snapshot(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id, "store_id": invoice.store_id, "wallet_id": invoice.wallet_id,
        "status": str(invoice.status), "exception_status": str(invoice.exception_status),
        "address": invoice.address, "payment_uri": invoice.payment_uri(),
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
