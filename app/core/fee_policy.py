"""A store's minimum fee rate for 0-conf (``checkout.min_fee_rate_sat_vb``), docs/invoices.md
"Low-fee payments": a speed-policy-0 store holds an unconfirmed payment paying less at ``paid``.

Given as a positive number of sat/vB, an int or a decimal string ("5", "2.5"); never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from app.core.errors import ValidationError

MIN_FEE_RATE_SETTING = "min_fee_rate_sat_vb"
MAX_MIN_FEE_RATE_SAT_VB = 10_000
_MAX_CHARS = 12


def parse_min_fee_rate(value: object) -> Fraction:
    """The minimum as an exact sat/vB Fraction; ValidationError naming the field otherwise."""
    rate: Decimal | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        rate = Decimal(value)
    elif isinstance(value, str) and len(value.strip()) <= _MAX_CHARS:
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            rate = None
    if rate is None or not rate.is_finite() or not 0 < rate <= MAX_MIN_FEE_RATE_SAT_VB:
        raise ValidationError(
            f"Minimum fee rate for 0-conf must be a number of sat/vB above 0 and at most "
            f"{MAX_MIN_FEE_RATE_SAT_VB}, e.g. 5 or \"2.5\".",
            code="invalid_min_fee_rate_sat_vb", field=MIN_FEE_RATE_SETTING)
    return Fraction(rate)


def clean_min_fee_rate(checkout: dict[str, Any]) -> dict[str, Any]:
    """A store's checkout options with the minimum checked (the window and the API)."""
    if MIN_FEE_RATE_SETTING in checkout:
        parse_min_fee_rate(checkout[MIN_FEE_RATE_SETTING])
    return checkout


def min_fee_rate_of(checkout: Mapping[str, Any]) -> Fraction | None:
    """The store's minimum in sat/vB, or None when it has none (a stored value is always valid)."""
    if MIN_FEE_RATE_SETTING not in checkout:
        return None
    try:
        return parse_min_fee_rate(checkout[MIN_FEE_RATE_SETTING])
    except ValidationError:
        return None
