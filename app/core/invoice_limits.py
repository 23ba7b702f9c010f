"""The owner's "are you sure?" limit for large invoices created in the window (pure rules).

Two limits: ``btc_sat`` (default 0.5 BTC) and an optional ``fiat`` amount in ``fiat_currency``
(default 10,000 USD). An invoice above *either* is asked about, so the lower of the two (once
converted) is the one that applies: at 66,000 USD/BTC, 10,000 USD (0.15 BTC) asks before 0.5 BTC does.
The service that stores them and converts is app/services/invoicing/large_amounts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.core.currencies import is_fiat, normalize_currency
from app.core.errors import UnknownCurrency, ValidationError
from app.core.money import MAX_SAT, SAT_PER_BTC, parse_price


@dataclass(frozen=True)
class LargeInvoiceLimit:
    btc_sat: int
    fiat: Decimal | None
    fiat_currency: str


DEFAULT_LIMIT = LargeInvoiceLimit(btc_sat=SAT_PER_BTC // 2, fiat=Decimal("10000"), fiat_currency="USD")


@dataclass(frozen=True)
class InvoicePreview:
    """What an invoice would be, checked by the same rules as ``create`` but not written."""

    price: Decimal
    currency: str
    amount_due_sat: int
    rate: Decimal | None
    above_limit: str | None  # the limit it exceeds ("0.50000000 BTC", "10,000 USD"), None when below


def check_limit(limit: LargeInvoiceLimit) -> LargeInvoiceLimit:
    if isinstance(limit.btc_sat, bool) or not isinstance(limit.btc_sat, int) or not 0 < limit.btc_sat <= MAX_SAT:
        raise ValidationError("The bitcoin limit must be more than 0 and at most 21 million BTC.",
                              code="invalid_limit", field="limit_btc")
    try:
        code = normalize_currency(limit.fiat_currency)
    except UnknownCurrency as exc:
        raise ValidationError(exc.message, code="invalid_limit", field="limit_currency") from None
    if not is_fiat(code):
        raise ValidationError("Choose a fiat currency for the fiat limit.", code="invalid_limit",
                              field="limit_currency")
    fiat = None
    if limit.fiat is not None:
        try:
            fiat = parse_price(limit.fiat, code)
        except ValidationError as exc:
            raise ValidationError(exc.message, code="invalid_limit", field="limit_fiat") from None
        if fiat <= 0:
            raise ValidationError("The fiat limit must be more than 0 (or empty for none).", code="invalid_limit",
                                  field="limit_fiat")
    return LargeInvoiceLimit(btc_sat=limit.btc_sat, fiat=fiat, fiat_currency=code)
