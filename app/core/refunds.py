"""Refunds: how much goes back to the shopper, and when an invoice may be refunded. Pure: no I/O, no clock.

``calculate_refund`` is the one place an amount is computed (window preview, API, kiosk all call it):

- ``rate_then``: the paid bitcoin itself (the fiat value at the invoice's locked rate): what is still
  refundable, in sats.
- ``current_rate``: the same fiat value (the refundable sats at the invoice's rate, exactly) converted at
  today's rate; refused when that is more sats than were paid (the price fell).
- ``overpaid``: what was paid above the amount due, less what was refunded already (earlier refunds are
  counted against the overpaid part first).
- ``custom_fiat``: an amount in the invoice's currency at today's rate; ``custom_btc``: an amount in BTC.

Then a percentage fee and a fixed fee (sat) are taken off. Rounding, in whole sats, never float: a fiat
amount becomes sats rounded DOWN (the refund never exceeds the fiat value it names) and the percentage
fee is rounded DOWN too (the fee never exceeds the percentage named); the merchant keeps the sub-satoshi
remainders. Refunds add up: the gross amounts (fee included) of the live refunds (open, claimed, paid)
never exceed what was paid (``refund_exceeds_paid``). BTC- or SAT-priced invoices have no rate: the
fiat variants are refused (``rate_required``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from app.core.errors import Conflict, InvalidAmount, RateUnavailable, ValidationError
from app.core.limits import check_decimal, check_text
from app.core.money import MAX_SAT, SAT_PER_BTC, btc_to_sat, fiat_minor_units, normalize_currency, sat_to_fiat
from app.core.payouts import DUST_SAT
from app.core.records import Invoice, Store
from app.core.statuses import ExceptionStatus, InvoiceStatus

MAX_NOTE_CHARS = 500
DEFAULT_LINK_DAYS = 30
MAX_LINK_DAYS = 365


class RefundVariant(StrEnum):
    RATE_THEN = "rate_then"
    CURRENT_RATE = "current_rate"
    OVERPAID = "overpaid"
    CUSTOM_FIAT = "custom_fiat"
    CUSTOM_BTC = "custom_btc"


class RefundStatus(StrEnum):
    REQUESTED = "requested"  # a cashier asked; its link works once a manager or the owner approves (docs/staff.md)
    OPEN = "open"  # link issued, unclaimed
    CLAIMED = "claimed"  # address given, payout made
    PAID = "paid"  # its payout confirmed
    EXPIRED = "expired"
    CANCELLED = "cancelled"


LIVE_REFUND_STATUSES: frozenset[RefundStatus] = frozenset({RefundStatus.REQUESTED, RefundStatus.OPEN,
                                                           RefundStatus.CLAIMED, RefundStatus.PAID})
"""These count against what was paid; expired and cancelled refunds give their amount back."""

_R = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    _R.REQUESTED: frozenset({_R.OPEN, _R.CANCELLED}),  # approved, or refused
    _R.OPEN: frozenset({_R.CLAIMED, _R.EXPIRED, _R.CANCELLED}),
    _R.CLAIMED: frozenset({_R.PAID, _R.CANCELLED}),  # cancelled: its payout was cancelled before broadcast
    _R.PAID: frozenset({_R.CLAIMED}),  # a reorg took its payout's block away
    _R.EXPIRED: frozenset(),
    _R.CANCELLED: frozenset(),
}

_FIAT_VARIANTS = frozenset({RefundVariant.CURRENT_RATE, RefundVariant.CUSTOM_FIAT})


def check_refund_transition(old: RefundStatus, new: RefundStatus) -> None:
    if new not in REFUND_TRANSITIONS[old]:
        raise ValidationError(f"A refund that is {old.value} cannot become {new.value}.", code="invalid_transition",
                              field="status")


@dataclass(frozen=True)
class RefundRequest:
    variant: RefundVariant
    custom_amount: Decimal | None = None  # custom_fiat: in the invoice's currency; custom_btc: BTC (8 dp)
    fee_pct: Decimal = Decimal(0)
    fee_fixed_sat: int = 0
    note: str = ""


@dataclass(frozen=True)
class RefundCalculation:
    variant: RefundVariant
    gross_sat: int  # before fees: what counts against the paid amount
    fee_sat: int  # percentage + fixed, kept by the merchant
    amount_sat: int  # what the shopper receives
    fiat_amount: Decimal | None  # the fiat value of gross_sat (at the rate used), None without a rate
    currency: str
    rate: Decimal | None  # the rate used: the invoice's (rate_then, overpaid) or today's
    rate_source: str | None
    already_refunded_sat: int
    refundable_sat: int  # what was still refundable before this one


@dataclass(frozen=True)
class Refund:
    id: str  # 22 random url-safe characters: the link's capability
    invoice_id: str
    store_id: str
    status: RefundStatus
    variant: RefundVariant
    gross_sat: int
    fee_sat: int
    amount_sat: int
    fiat_amount: Decimal | None
    currency: str
    rate: Decimal | None
    rate_source: str | None
    fee_pct: Decimal
    fee_fixed_sat: int
    already_refunded_sat: int
    refundable_sat: int
    note: str
    created_at: datetime
    expires_at: datetime
    claimed_at: datetime | None
    destination: str | None
    payout_id: str | None
    created_by: str | None
    emailed_to: str | None = None  # RefundService.create only: the link's e-mail was queued to this address

    @property
    def calculation(self) -> RefundCalculation:
        return RefundCalculation(self.variant, self.gross_sat, self.fee_sat, self.amount_sat, self.fiat_amount,
                                 self.currency, self.rate, self.rate_source, self.already_refunded_sat,
                                 self.refundable_sat)

    def expired_at(self, now: datetime) -> bool:
        return self.status is RefundStatus.OPEN and now >= self.expires_at


@dataclass(frozen=True)
class PublicRefund:
    """What the shopper's refund page shows: no invoice internals, no merchant note."""

    id: str
    store_name: str
    amount_sat: int
    fiat_amount: Decimal | None
    currency: str
    status: RefundStatus  # EXPIRED as soon as the link's time is up, even before the row says so
    expires_at: datetime
    network: str
    destination: str | None  # once claimed
    payout_status: str | None
    txid: str | None


def refundable_sat(invoice: Invoice, already_refunded_sat: int) -> int:
    """Paid (accounted payments) minus what live refunds already took, never negative."""
    return max(0, invoice.amount_paid_sat - already_refunded_sat)


def is_refundable(invoice: Invoice) -> bool:
    """Money was received and settled or flagged: complete (also while partially refunded), paid over,
    paid late, or invalid after a payment. A fully refunded invoice is not refundable again."""
    if invoice.amount_paid_sat <= 0 or invoice.status is InvoiceStatus.REFUNDED:
        return False
    return (invoice.status in (InvoiceStatus.COMPLETE, InvoiceStatus.INVALID)
            or invoice.exception_status in (ExceptionStatus.PAID_OVER, ExceptionStatus.PAID_LATE))


def already_refunded(refunds: Iterable[tuple[RefundStatus, int]]) -> int:
    """Sum of gross_sat of the live refunds among (status, gross_sat) pairs."""
    return sum(gross for status, gross in refunds if status in LIVE_REFUND_STATUSES)


def fully_refunded(invoice: Invoice, refunds: Iterable[tuple[RefundStatus, int]]) -> bool:
    """The invoice becomes ``refunded`` only when paid refunds cover everything paid and none is pending."""
    listed = list(refunds)
    if invoice.amount_paid_sat <= 0 or any(s in (_R.REQUESTED, _R.OPEN, _R.CLAIMED) for s, _ in listed):
        return False
    return sum(gross for status, gross in listed if status is _R.PAID) >= invoice.amount_paid_sat


def _not_refundable(invoice: Invoice) -> Conflict:
    return Conflict(f"Invoice {invoice.id} cannot be refunded: it is {invoice.status.value} and nothing "
                    "paid is settled or flagged.", code="not_refundable")


def _rate_required(what: str) -> ValidationError:
    return ValidationError(f"{what} needs an exchange rate; this invoice is priced in bitcoin and has none.",
                           code="rate_required", field="variant")


def _fiat_to_sat_down(amount: Decimal, rate: Decimal) -> int:
    return math.floor(Fraction(amount) * SAT_PER_BTC / Fraction(rate))


def _display_fiat(sat: int, rate: Decimal, currency: str) -> Decimal:
    """The fiat value shown: rounded half-up to the currency's minor unit."""
    return sat_to_fiat(sat, rate, currency)


def _check_rate(rate: Decimal | None, what: str) -> Decimal:
    if rate is None:
        raise RateUnavailable(f"No current exchange rate to compute {what}.")
    if not rate.is_finite() or rate <= 0:
        raise RateUnavailable(f"Exchange rate must be a positive number, got {rate}.")
    return check_decimal(rate, "rate")


def _custom_amount(req: RefundRequest) -> Decimal:
    if req.custom_amount is None:
        raise InvalidAmount("Enter the amount to refund.", field="custom_amount")
    amount = check_decimal(req.custom_amount, "custom_amount")
    if amount <= 0:
        raise InvalidAmount("The amount to refund must be greater than zero.", field="custom_amount")
    return amount


def _gross(invoice: Invoice, req: RefundRequest, refundable: int, already: int, current_rate: Decimal | None,
           current_source: str | None) -> tuple[int, Decimal | None, str | None]:
    """(gross_sat, rate used, its source)."""
    variant = req.variant
    fiat = invoice.rate is not None and normalize_currency(invoice.currency) not in ("BTC", "SAT")
    if variant in _FIAT_VARIANTS and not fiat:
        raise _rate_required("A refund in fiat")
    if variant is RefundVariant.RATE_THEN:
        return refundable, invoice.rate, invoice.rate_source
    if variant is RefundVariant.OVERPAID:
        over = invoice.amount_paid_sat - invoice.amount_due_sat - already
        if over <= 0:
            raise Conflict("Nothing was paid above the amount due (or it was refunded already).",
                           code="nothing_overpaid", field="variant")
        return over, invoice.rate, invoice.rate_source
    if variant is RefundVariant.CUSTOM_BTC:
        amount = _custom_amount(req)
        if amount > Decimal(MAX_SAT // SAT_PER_BTC):
            raise _exceeds(refundable)
        return btc_to_sat(amount), invoice.rate, invoice.rate_source
    rate = _check_rate(current_rate, "a refund at today's rate")
    if variant is RefundVariant.CURRENT_RATE:
        assert invoice.rate is not None  # the exact value then (not its display rounding), converted down
        return math.floor(Fraction(refundable) * Fraction(invoice.rate) / Fraction(rate)), rate, current_source
    amount = _custom_amount(req)
    places = fiat_minor_units(invoice.currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise InvalidAmount(f"{invoice.currency} amounts have at most {places} decimal places.",
                            field="custom_amount")
    return _fiat_to_sat_down(amount, rate), rate, current_source


def _exceeds(refundable: int) -> Conflict:
    return Conflict(f"This refund is more than the {refundable} sat still refundable on this invoice.",
                    code="refund_exceeds_paid", field="custom_amount")


def _fee(gross: int, req: RefundRequest) -> int:
    pct = check_decimal(req.fee_pct, "fee_pct")
    if not 0 <= pct < 100:
        raise InvalidAmount("The fee percentage must be from 0 to less than 100.", field="fee_pct")
    fixed = req.fee_fixed_sat
    if isinstance(fixed, bool) or not isinstance(fixed, int) or not 0 <= fixed <= MAX_SAT:
        raise InvalidAmount("The fixed fee is a whole number of satoshis, 0 or more.", field="fee_fixed_sat")
    return math.floor(Fraction(gross) * Fraction(pct) / 100) + fixed


def calculate_refund(invoice: Invoice, req: RefundRequest, *, current_rate: Decimal | None,
                     current_rate_source: str | None, already_refunded_sat: int) -> RefundCalculation:
    """The refund ``req`` asks for on ``invoice``, or a UserFacingError naming the field (see module doc)."""
    if not is_refundable(invoice):
        raise _not_refundable(invoice)
    check_text(req.note, MAX_NOTE_CHARS, "note")
    refundable = refundable_sat(invoice, already_refunded_sat)
    if refundable <= 0:
        raise Conflict("Everything paid on this invoice has been refunded already.", code="refund_exceeds_paid")
    gross, rate, source = _gross(invoice, req, refundable, already_refunded_sat, current_rate, current_rate_source)
    if gross > refundable:
        raise _exceeds(refundable)
    fee = _fee(gross, req)
    amount = gross - fee
    if amount < DUST_SAT:
        raise InvalidAmount(f"After fees the shopper would get {max(amount, 0)} sat; a refund must be at least "
                            f"{DUST_SAT} sat to be sendable.", field="fee_pct" if fee else "custom_amount")
    fiat = None if rate is None or normalize_currency(invoice.currency) in ("BTC", "SAT") \
        else _display_fiat(gross, rate, invoice.currency)
    return RefundCalculation(variant=req.variant, gross_sat=gross, fee_sat=fee, amount_sat=amount, fiat_amount=fiat,
                             currency=invoice.currency, rate=rate, rate_source=source,
                             already_refunded_sat=already_refunded_sat, refundable_sat=refundable)


# -- store settings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RefundSettings:
    payouts_auto_approve_sat: int = 0  # payouts up to this amount are approved at creation; 0 = never
    refund_link_days: int = DEFAULT_LINK_DAYS

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(days=self.refund_link_days)

    def auto_approves(self, amount_sat: int) -> bool:
        return 0 < amount_sat <= self.payouts_auto_approve_sat


REFUND_KEYS = ("payouts_auto_approve_sat", "refund_link_days")


def refund_settings(store: Store) -> RefundSettings:
    """The store's refund settings (kept in ``store.checkout``), defaults for what is unset."""
    values = store.checkout
    return RefundSettings(payouts_auto_approve_sat=int(values.get("payouts_auto_approve_sat", 0)),
                          refund_link_days=int(values.get("refund_link_days", DEFAULT_LINK_DAYS)))


def clean_refund_options(checkout: Mapping[str, Any]) -> dict[str, Any]:
    """``checkout`` with the refund keys checked (ValidationError beside the field)."""
    out = dict(checkout)
    limit = out.get("payouts_auto_approve_sat", 0)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_SAT:
        raise ValidationError("The auto-approve limit is a whole number of satoshis, 0 (never) or more.",
                              code="invalid_payouts_auto_approve_sat", field="payouts_auto_approve_sat")
    days = out.get("refund_link_days", DEFAULT_LINK_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError(f"Refund links last from 1 to {MAX_LINK_DAYS} days.", code="invalid_refund_link_days",
                              field="refund_link_days")
    return out
