"""Money: integer satoshis for bitcoin, Decimal for fiat, never float.

Conversions go through ``fractions.Fraction`` so they are exact before the one deliberate rounding.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from app.core.currencies import CURRENCIES, fiat_minor_units, is_fiat, normalize_currency
from app.core.errors import InvalidAmount, RateUnavailable
from app.core.limits import LimitExceeded, bounded_decimal, check_decimal

__all__ = [
    "CURRENCIES", "MAX_SAT", "SAT_PER_BTC", "btc_to_sat", "fiat_minor_units", "fiat_to_sat", "format_btc",
    "is_fiat", "normalize_currency", "parse_price", "price_to_sat", "quantize_fiat", "sat_to_btc",
    "sat_to_fiat", "validate_amount_sat",
]

SAT_PER_BTC = 100_000_000
MAX_SAT = 21_000_000 * SAT_PER_BTC
MAX_PRICE = Decimal(10) ** 15 - 1  # no fiat price needs 16 integer digits; keeps Decimal maths small
MAX_DISPLAY_SAT = 10**18  # far above MAX_SAT: any satoshi amount shown (balances, sums) fits; bigger is an error
_BTC_PLACES = Decimal("1E-8")
MAX_PRICE_CHARS = 40  # "1234567890123456.12345678" and some zeros; longer text is never a price
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _require_int(sat: int) -> int:
    if isinstance(sat, bool) or not isinstance(sat, int):
        raise TypeError(f"satoshi amounts are int, got {type(sat).__name__}")
    if not -MAX_DISPLAY_SAT <= sat <= MAX_DISPLAY_SAT:  # before any Decimal maths: a huge int takes seconds
        raise InvalidAmount("Amount exceeds 21 million bitcoin", field="amount_sat")
    return sat


def _require_decimal(value: Decimal | str, what: str) -> Decimal:
    """A finite Decimal of bounded size (app.core.limits), checked before any arithmetic on it."""
    try:
        if isinstance(value, str):
            value = bounded_decimal(value, what)
        if not isinstance(value, Decimal):
            raise TypeError(f"{what} must be Decimal or str, got {type(value).__name__}")
        if not value.is_finite():
            raise InvalidAmount(f"{what} must be a finite number", field=what)
        return check_decimal(value, what)
    except InvalidOperation:
        raise InvalidAmount(f"{what} is not a number", field=what) from None
    except LimitExceeded as exc:
        raise InvalidAmount(f"{what} is too large: {exc}", code=exc.code, field=what) from None


def _decimals(value: Decimal) -> int:
    """Significant decimal places: 1.50 -> 1, 2 -> 0, 1E+3 -> 0."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def btc_to_sat(btc: Decimal | str) -> int:
    """Exact BTC -> sat; more than 8 decimal places is an InvalidAmount, never a silent rounding."""
    value = _require_decimal(btc, "amount")
    if _decimals(value) > 8:
        raise InvalidAmount("A bitcoin amount has at most 8 decimal places", field="amount")
    return int(Fraction(value) * SAT_PER_BTC)


def sat_to_btc(sat: int) -> Decimal:
    """12345 -> Decimal('0.00012345') (always 8 places)."""
    return Decimal(_require_int(sat)).scaleb(-8).quantize(_BTC_PLACES)


def format_btc(sat: int) -> str:
    return f"{sat_to_btc(sat):f}"


def validate_amount_sat(sat: int) -> int:
    """Return ``sat`` if it is a payable amount: an int in 1..MAX_SAT."""
    if isinstance(sat, bool) or not isinstance(sat, int):
        raise InvalidAmount("Amount must be a whole number of satoshis", field="amount_sat")
    if sat <= 0:
        raise InvalidAmount("Amount must be greater than zero", field="amount_sat")
    if sat > MAX_SAT:
        raise InvalidAmount("Amount exceeds 21 million bitcoin", field="amount_sat")
    return sat


def quantize_fiat(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit: 1.005 USD -> 1.01, 1.5 JPY -> 2."""
    places = Decimal(1).scaleb(-fiat_minor_units(currency))
    return _require_decimal(amount, "amount").quantize(places, rounding=ROUND_HALF_UP)


def _positive_rate(rate: Decimal) -> Fraction:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise RateUnavailable(f"Exchange rate must be a positive number, got {rate!r}")
    return Fraction(rate)


def fiat_to_sat(amount: Decimal, rate: Decimal) -> int:
    """Fiat -> sat at ``rate`` (fiat per 1 BTC), rounded UP: the shopper never underpays by rounding."""
    value = _require_decimal(amount, "amount")
    if value < 0:
        raise InvalidAmount("Amount must not be negative", field="amount")
    return math.ceil(Fraction(value) * SAT_PER_BTC / _positive_rate(rate))


def sat_to_fiat(sat: int, rate: Decimal, currency: str) -> Decimal:
    """Sat -> fiat at ``rate``, rounded half-up to the currency's minor unit (for display)."""
    exact = Fraction(_require_int(sat)) * _positive_rate(rate) / SAT_PER_BTC
    places = fiat_minor_units(currency)
    minor = math.floor(exact * 10**places + Fraction(1, 2))
    return Decimal(minor).scaleb(-places)


def parse_price(value: str | int | Decimal, currency: str) -> Decimal:
    """A price typed by a merchant or sent to the API, as a Decimal with the currency's places.

    Rejects floats (binary rounding), bools, NaN/inf, negatives, exponents in strings, absurd sizes and
    more decimal places than the currency has (``"1.005"`` USD, ``"1.5"`` JPY, ``"1.5"`` SAT).
    Zero is allowed here; an invoice amount is checked separately with validate_amount_sat.
    """
    code = normalize_currency(currency)
    number = _parse_number(value)
    if number < 0:
        raise InvalidAmount("Price must not be negative", field="price")
    if number > _max_price(code):
        raise InvalidAmount("Price is too large", field="price")
    places = fiat_minor_units(code)
    if _decimals(number) > places:
        raise InvalidAmount(f"{code} prices have at most {places} decimal places", field="price")
    return number.quantize(Decimal(1).scaleb(-places))


def _max_price(code: str) -> Decimal:
    return {"BTC": Decimal(MAX_SAT // SAT_PER_BTC), "SAT": Decimal(MAX_SAT)}.get(code, MAX_PRICE)


def _parse_number(value: str | int | Decimal) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount("Price must be given as a decimal string, not a float", field="price")
    if isinstance(value, int):
        if abs(value) > MAX_SAT:  # a huge int takes seconds to become a Decimal
            raise InvalidAmount("Price is too large", field="price")
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_PRICE_CHARS or not _PLAIN_NUMBER.fullmatch(text):
            raise InvalidAmount("Price is not a number" if len(text) <= MAX_PRICE_CHARS else "Price is too large",
                                field="price")
        return Decimal(text)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount("Price must be a finite number", field="price")
        return _require_decimal(value, "price")  # bounded before any arithmetic
    raise InvalidAmount("Price is not a number", field="price")


def price_to_sat(price: Decimal, currency: str, rate: Decimal | None = None) -> int:
    """The satoshi amount due for ``price`` in ``currency``; fiat needs ``rate`` (fiat per BTC)."""
    code = normalize_currency(currency)
    price = _require_decimal(price, "price")
    if code == "SAT":
        if price != price.to_integral_value():
            raise InvalidAmount("A satoshi amount is a whole number", field="price")
        sat = int(price)
    elif code == "BTC":
        sat = btc_to_sat(price)
    elif rate is None:
        raise RateUnavailable(f"No exchange rate for {code}")
    else:
        sat = fiat_to_sat(price, rate)
    return validate_amount_sat(sat)
