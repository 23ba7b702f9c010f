"""RedWaves records in BTCPay's shapes: statuses, InvoiceData, invoice payment methods, StoreData.

Amounts are decimal strings, times unix seconds. The status table is documented in docs/greenfield.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.core import invoices as rules
from app.core.errors import AppError
from app.core.lightning import store_lightning
from app.core.money import format_btc
from app.core.payments import Payment
from app.core.records import Invoice, Store
from app.core.statuses import ExceptionStatus, InvoiceStatus
from app.services.delivery.webhook_payloads import (
    LIGHTNING_METHOD_ID,
    PAYMENT_METHOD_ID,
    greenfield_metadata,
    greenfield_payment,
    unix_s,
)

STATUS: dict[InvoiceStatus, str] = {
    InvoiceStatus.PENDING: "New",
    InvoiceStatus.PAID: "Processing",
    InvoiceStatus.CONFIRMED: "Processing",
    InvoiceStatus.COMPLETE: "Settled",
    InvoiceStatus.EXPIRED: "Expired",
    InvoiceStatus.INVALID: "Invalid",
    InvoiceStatus.REFUNDED: "Settled",  # BTCPay has no refunded status: a refund does not change it
}
ADDITIONAL_STATUS: dict[ExceptionStatus, str] = {
    ExceptionStatus.NONE: "None",
    ExceptionStatus.PAID_PARTIAL: "PaidPartial",
    ExceptionStatus.PAID_OVER: "PaidOver",
    ExceptionStatus.PAID_LATE: "PaidLate",
    ExceptionStatus.FAILED_CONFIRM: "Invalid",
    ExceptionStatus.MARKED: "Marked",
}
MARKS: dict[str, InvoiceStatus] = {"Settled": InvoiceStatus.COMPLETE, "Invalid": InvoiceStatus.INVALID}
SPEED_POLICY = {0: "HighSpeed", 1: "MediumSpeed", 2: "LowMediumSpeed"}  # 3 and more: LowSpeed


def enum_value(value: object, names: Iterable[str]) -> str | None:
    """The canonical spelling of an enum name sent in any case (BTCPay parses enums case-insensitively)."""
    if not isinstance(value, str):
        return None
    return next((name for name in names if name.lower() == value.strip().lower()), None)


def statuses_for(btcpay_status: str) -> list[str]:
    """RedWaves statuses shown as one BTCPay status (for list filters)."""
    return [str(s) for s, name in STATUS.items() if name.lower() == btcpay_status.strip().lower()]


def currency_out(code: str) -> str:
    return "SATS" if code == "SAT" else code


def currency_in(code: str | None) -> str | None:
    return "SAT" if code and code.upper() == "SATS" else code


def decimal_str(value: Decimal) -> str:
    return format(value, "f")


def speed_policy(confirmations: int) -> str:
    return SPEED_POLICY.get(confirmations, "LowSpeed")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds()) // 60


def markable(invoice: Invoice) -> list[str]:
    """The BTCPay statuses this invoice may be marked as, by the same rule as InvoiceService.mark."""
    allowed = []
    for name, target in MARKS.items():
        try:
            rules.mark(invoice.state, target, now=datetime.now(UTC))
        except AppError:
            continue
        allowed.append(name)
    return allowed


def invoice_data(invoice: Invoice, checkout_link: str | None) -> dict[str, object]:
    return {
        "id": invoice.id, "storeId": invoice.store_id, "amount": decimal_str(invoice.price),
        "currency": currency_out(invoice.currency), "type": "Standard", "checkoutLink": checkout_link or "",
        "createdTime": unix_s(invoice.created_at), "expirationTime": unix_s(invoice.expires_at),
        "monitoringExpiration": unix_s(invoice.monitoring_until), "status": STATUS[invoice.status],
        "additionalStatus": ADDITIONAL_STATUS[invoice.exception_status],
        "availableStatusesForManualMarking": markable(invoice), "archived": False,
        "metadata": greenfield_metadata(invoice),
        "checkout": {
            "speedPolicy": speed_policy(invoice.speed_policy), "paymentMethods": invoice_method_ids(invoice),
            "defaultPaymentMethod": PAYMENT_METHOD_ID,
            "expirationMinutes": _minutes(invoice.expires_at - invoice.created_at),
            "monitoringMinutes": _minutes(invoice.monitoring_until - invoice.expires_at),
            "paymentTolerance": _number(invoice.underpaid_tolerance_pct),
            "redirectURL": invoice.redirect_url, "redirectAutomatically": False,
        },
        "receipt": {"enabled": True, "showQR": None, "showPayments": None},
    }


def _rate(invoice: Invoice) -> str:
    """Invoice currency units per BTC."""
    if invoice.currency == "BTC":
        return "1"
    if invoice.currency == "SAT":
        return "100000000"
    return decimal_str(invoice.rate) if invoice.rate is not None else "0"


def invoice_method_ids(invoice: Invoice) -> list[str]:
    """On-chain always; Lightning beside it when the invoice was issued a BOLT11."""
    return [PAYMENT_METHOD_ID, LIGHTNING_METHOD_ID] if invoice.bolt11 else [PAYMENT_METHOD_ID]


def _method(invoice: Invoice, method_id: str, destination: str, link: str,
            payments: list[Payment]) -> dict[str, object]:
    paid = format_btc(invoice.amount_paid_sat)
    due_sat = invoice.amount_due_sat - invoice.amount_paid_sat
    due = format_btc(abs(due_sat))
    return {
        "paymentMethod": method_id, "cryptoCode": "BTC", "destination": destination, "paymentLink": link,
        "rate": _rate(invoice), "paymentMethodPaid": format_btc(sum(p.amount_sat for p in payments if p.accounted)),
        "totalPaid": paid, "due": due if due_sat >= 0 else f"-{due}", "amount": format_btc(invoice.amount_due_sat),
        "networkFee": "0.00000000", "payments": [greenfield_payment(p, invoice) for p in payments],
        "activated": True, "additionalData": {},
    }


def invoice_payment_methods(invoice: Invoice, *, only_accounted: bool = True) -> list[dict[str, object]]:
    """BTC-CHAIN, and BTC-LN (destination the BOLT11) when the invoice has one; each with its own payments."""
    payments = [p for p in invoice.payments if p.accounted or not only_accounted]
    onchain = [p for p in payments if p.lightning is None]
    methods = [_method(invoice, PAYMENT_METHOD_ID, invoice.address, invoice.payment_uri(), onchain)]
    if invoice.bolt11:
        lightning = [p for p in payments if p.lightning is not None]
        methods.append(_method(invoice, LIGHTNING_METHOD_ID, invoice.bolt11, f"lightning:{invoice.bolt11}", lightning))
    return methods


def store_data(store: Store) -> dict[str, object]:
    return {
        "id": store.id, "name": store.name, "website": None,
        "defaultCurrency": currency_out(store.default_currency), "invoiceExpiration": store.expiry_s,
        "monitoringExpiration": store.monitoring_s, "speedPolicy": speed_policy(store.speed_policy),
        "paymentTolerance": _number(store.underpaid_tolerance_pct), "archived": store.archived,
        "anyoneCanCreateInvoice": store.checkout.get("anyone_can_create_invoice") is True,
        "defaultPaymentMethod": PAYMENT_METHOD_ID, "lazyPaymentMethods": False, "redirectAutomatically": False,
    }


def store_payment_methods(store: Store) -> list[dict[str, object]]:
    """BTC-CHAIN; BTC-LN too when the store takes Lightning (checkout.lightning)."""
    methods: list[dict[str, object]] = [{"paymentMethodId": PAYMENT_METHOD_ID, "enabled": bool(store.wallet_ids)}]
    if store_lightning(store).enabled:
        methods.append({"paymentMethodId": LIGHTNING_METHOD_ID, "enabled": bool(store.wallet_ids)})
    return methods
