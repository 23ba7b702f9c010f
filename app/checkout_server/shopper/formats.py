"""Amounts and dates formatted for the shopper's locale (Babel). Money stays int sat / Decimal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal

from app.core.money import is_fiat, sat_to_btc

_BTC_PATTERN = "#,##0.00000000"


def btc_amount(sat: int, locale: Locale) -> str:
    """12345 sat -> '0.00012345' (en) / '0,00012345' (de), without the unit."""
    return format_decimal(sat_to_btc(sat), format=_BTC_PATTERN, locale=locale, decimal_quantization=False)


def btc_text(sat: int, locale: Locale) -> str:
    return f"{btc_amount(sat, locale)}\u00a0BTC"


def price_text(price: Decimal, currency: str, locale: Locale) -> str:
    """A store price in its own currency: fiat with the locale's symbol, BTC or sats with a unit."""
    if currency == "SAT":
        return f"{format_decimal(price, format='#,##0', locale=locale)}\u00a0sat"
    if currency == "BTC":
        return f"{format_decimal(price, format=_BTC_PATTERN, locale=locale)}\u00a0BTC"
    return format_currency(price, currency, locale=locale)


def fiat_text(price: Decimal, currency: str, locale: Locale) -> str | None:
    """The invoice's fiat price, or None when the invoice was priced in bitcoin."""
    return format_currency(price, currency, locale=locale) if is_fiat(currency) else None


def datetime_text(moment: datetime | None, locale: Locale) -> str:
    if moment is None:
        return ""
    return f"{format_datetime(moment, format='medium', tzinfo=UTC, locale=locale)} UTC"


def relative_text(delta: timedelta, locale: Locale) -> str:
    """'in 14 minutes' / 'in 14 Minuten' (rounded; at least one second)."""
    seconds = max(1, int(delta.total_seconds()))
    return format_timedelta(timedelta(seconds=seconds), granularity="second", threshold=1.5,
                            add_direction=True, locale=locale)
