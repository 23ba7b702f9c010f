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


def parse_amount(text: str, *, decimal_point: str = ".") -> Decimal:
    """What the merchant typed -> Decimal, accepting ',' or '.' as the decimal separator.

    ``12,50`` and ``12.50`` are both 12.50; with both separators the last one is the decimal point
    (``1.234,50`` / ``1,234.50``); a lone separator followed by exactly three digits is read with the
    locale's ``decimal_point`` (``1,234`` is 1234 where the point is '.', 1.234 where it is ',').
    Spaces and apostrophes (thousands in fr/ch) are ignored. Raises ValueError for anything else.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    if not cleaned or len(cleaned) > 40:
        raise ValueError("not a number")
    last_comma, last_dot = cleaned.rfind(","), cleaned.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        point = "," if last_comma > last_dot else "."
    elif last_comma >= 0 or last_dot >= 0:
        sep = "," if last_comma >= 0 else "."
        head, _, tail = cleaned.rpartition(sep)
        grouped = cleaned.count(sep) > 1 or (len(tail) == 3 and sep != decimal_point and head.lstrip("-+") != "0")
        point = ("." if sep == "," else ",") if grouped else sep
    else:
        point = "."
    thousands = "," if point == "." else "."
    whole = cleaned.rpartition(point)[0] if point in cleaned else cleaned
    if thousands in whole and any(len(group) != 3 for group in whole.split(thousands)[1:]):
        raise ValueError("not a number")
    normal = cleaned.replace(thousands, "").replace(point, ".")
    if normal.count(".") > 1 or not normal.lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("not a number")
    return Decimal(normal)
