"""RedWaves refunds and payouts in BTCPay's pull-payment shapes (PullPaymentData, PayoutData).

A BTCPay pull payment is a RedWaves refund: its id is the refund id, its ``viewLink`` the public refund
page. The name and description the client sent are kept in the refund's note (first line: the name).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from app.checkout_server.greenfield.models import currency_out, decimal_str
from app.core.money import fiat_minor_units, format_btc, is_fiat
from app.core.payouts import Payout, PayoutStatus
from app.core.refunds import Refund, RefundStatus, RefundVariant
from app.services.delivery.webhook_payloads import PAYMENT_METHOD_ID, unix_s

BOLT11_EXPIRATION_DAYS = 30  # BTCPay's default; RedWaves pays on chain only
PAYOUT_STATE: dict[PayoutStatus, str] = {
    PayoutStatus.AWAITING_APPROVAL: "AwaitingApproval",
    PayoutStatus.APPROVED: "AwaitingPayment",
    PayoutStatus.IN_PROGRESS: "InProgress",
    PayoutStatus.BROADCAST: "InProgress",
    PayoutStatus.CONFIRMED: "Completed",
    PayoutStatus.CANCELLED: "Cancelled",
    PayoutStatus.FAILED: "Cancelled",
}
_FIAT_VARIANTS = frozenset({RefundVariant.CURRENT_RATE, RefundVariant.CUSTOM_FIAT})


def note_of(name: str | None, description: str | None) -> str:
    return "\n".join(part.strip() for part in (name, description) if part and part.strip())


def _name_description(refund: Refund) -> tuple[str, str]:
    name, _, description = refund.note.partition("\n")
    return (name or f"Refund {refund.invoice_id}"), description


def refund_amount(refund: Refund) -> tuple[str, str]:
    """(amount, currency) as the pull payment names it: fiat for fiat refunds, else BTC (what the shopper gets)."""
    if refund.variant in _FIAT_VARIANTS and refund.fiat_amount is not None and is_fiat(refund.currency):
        fiat = refund.fiat_amount if not refund.fee_sat else _net_fiat(refund)
        return decimal_str(fiat), currency_out(refund.currency)
    return format_btc(refund.amount_sat), "BTC"


def _net_fiat(refund: Refund) -> Decimal:
    """The fiat value of what the shopper receives (fees off), rounded down to the currency's minor unit."""
    assert refund.fiat_amount is not None
    if refund.gross_sat == 0:
        return refund.fiat_amount
    share = refund.fiat_amount * refund.amount_sat / refund.gross_sat
    return share.quantize(Decimal(1).scaleb(-fiat_minor_units(refund.currency)), rounding=ROUND_DOWN)


def pull_payment_data(refund: Refund, view_link: str, *, auto_approve: bool) -> dict[str, object]:
    name, description = _name_description(refund)
    amount, currency = refund_amount(refund)
    return {
        "id": refund.id, "name": name, "description": description, "currency": currency, "amount": amount,
        "BOLT11Expiration": BOLT11_EXPIRATION_DAYS, "autoApproveClaims": auto_approve,
        "archived": refund.status in (RefundStatus.CANCELLED, RefundStatus.EXPIRED), "viewLink": view_link,
        "startsAt": unix_s(refund.created_at), "expiresAt": unix_s(refund.expires_at),
    }


def payout_data(payout: Payout, refund: Refund | None) -> dict[str, object]:
    original_amount, original_currency = refund_amount(refund) if refund is not None else (
        format_btc(payout.amount_sat), "BTC")
    return {
        "id": payout.id, "revision": 0, "pullPaymentId": payout.refund_id, "date": unix_s(payout.created_at),
        "destination": payout.destination, "originalAmount": original_amount, "originalCurrency": original_currency,
        "payoutCurrency": "BTC",
        "payoutAmount": format_btc(payout.amount_sat) if payout.status is not PayoutStatus.AWAITING_APPROVAL else None,
        "payoutMethodId": PAYMENT_METHOD_ID, "state": PAYOUT_STATE[payout.status],
        "metadata": {"source": payout.label or None} if payout.label else {},
    }
