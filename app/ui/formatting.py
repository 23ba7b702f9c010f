"""How amounts, times and identifiers are written on screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.core.money import format_btc

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$"}


def fiat(amount: Decimal, currency: str) -> str:
    if currency == "BTC":
        return f"{amount} BTC"
    if currency == "SAT":
        return f"{amount:,} sat"
    symbol = _SYMBOLS.get(currency)
    text = f"{amount:,}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def btc(sat: int) -> str:
    """12345 -> '0.00012345 BTC' with the trailing zeros kept (amounts line up in a table)."""
    return f"{format_btc(sat)} BTC"


def local_time(when: datetime | None, *, seconds: bool = False) -> str:
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def relative(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - now
    future = delta > timedelta(0)
    secs = abs(int(delta.total_seconds()))
    if secs < 60:
        text = f"{secs} s"
    elif secs < 3600:
        text = f"{secs // 60} min"
    elif secs < 86400:
        text = f"{secs // 3600} h {secs % 3600 // 60} min"
    else:
        text = f"{secs // 86400} d"
    return f"in {text}" if future else f"{text} ago"


def duration(seconds: int) -> str:
    if seconds % 86400 == 0 and seconds >= 86400:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def short(text: str, keep: int = 10) -> str:
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-keep:]}"
