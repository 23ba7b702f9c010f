"""Bounds every input is checked against before any work is done with it.

One oversized input must never stall the shop: a JSON number like ``1e999999`` turned into an int
takes seconds to print, a 40 KB "xpub" seconds to base58-decode, a deeply nested body recursion.
So each interface (REST, Greenfield, the daemon, shopper forms) checks sizes first, with these
bounds, and answers a specific error:

- ``loads`` parses JSON with every number bounded (at most ``MAX_NUMBER_CHARS`` characters, a
  magnitude below 10**``MAX_MAGNITUDE``, at most ``MAX_PLACES`` decimal places), nesting at most
  ``MAX_JSON_DEPTH`` deep, no NaN/Infinity. Fractions become ``Decimal``, never float.
- ``bounded_decimal`` / ``check_decimal`` do the same for one number given as text or Decimal.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from app.core.errors import ValidationError

MAX_JSON_DEPTH = 32  # objects/arrays inside each other
MAX_NUMBER_CHARS = 40  # sign, digits, point and exponent of one number
MAX_MAGNITUDE = 30  # |number| < 10**30 (21 million BTC is 2.1 * 10**15 sat)
MAX_PLACES = 30  # decimal places
MAX_KEY_TEXT_CHARS = 4000  # a pasted key set: 15 cosigner xpubs (111 chars each) or a seed phrase
MAX_KEY_TOKEN_CHARS = 200  # one key: an xpub is 111 characters, an Electrum 1.x key 128
MAX_URL_CHARS = 2000


class LimitExceeded(ValidationError):
    """An input is larger than this server accepts; ``code`` says which bound."""

    code = "limit_exceeded"
    NUMBER_TOO_LARGE = "number_too_large"
    TOO_DEEP = "too_deep"
    TOO_LONG = "too_long"


def check_decimal(value: Decimal, field: str | None = None) -> Decimal:
    """``value`` if it is finite, below 10**MAX_MAGNITUDE with at most MAX_PLACES places, else LimitExceeded.

    Reads only the exponent and the digit count: no arithmetic on the number itself.
    """
    if not value.is_finite():
        raise LimitExceeded("Numbers must be finite.", code=LimitExceeded.NUMBER_TOO_LARGE, field=field)
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or len(digits) > MAX_NUMBER_CHARS:
        raise LimitExceeded(f"A number has at most {MAX_NUMBER_CHARS} digits.", code=LimitExceeded.NUMBER_TOO_LARGE,
                            field=field)
    if value.adjusted() >= MAX_MAGNITUDE:
        raise LimitExceeded(f"Numbers must be below 10^{MAX_MAGNITUDE}.", code=LimitExceeded.NUMBER_TOO_LARGE,
                            field=field)
    if exponent < -MAX_PLACES:
        raise LimitExceeded(f"A number has at most {MAX_PLACES} decimal places.",
                            code=LimitExceeded.NUMBER_TOO_LARGE, field=field)
    return value


def bounded_decimal(text: str, field: str | None = None) -> Decimal:
    """A number written as text (``"12.5"``, ``"1e3"``) as Decimal, bounded before it is parsed.

    LimitExceeded when too long or too large; ``decimal.InvalidOperation`` (an ArithmeticError) when it
    is not a number at all.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise LimitExceeded(f"A number has at most {MAX_NUMBER_CHARS} characters.",
                            code=LimitExceeded.NUMBER_TOO_LARGE, field=field)
    return check_decimal(Decimal(text), field)


def check_text(value: str, max_chars: int, field: str | None = None) -> str:
    if len(value) > max_chars:
        raise LimitExceeded(f"'{field or 'text'}' is longer than {max_chars} characters.",
                            code=LimitExceeded.TOO_LONG, field=field)
    return value


# -- JSON --------------------------------------------------------------------------------------------


def _number(text: str) -> Decimal:
    try:
        return bounded_decimal(text)
    except InvalidOperation:  # the JSON scanner only hands over valid numbers
        raise ValueError(f"not a number: {text[:20]}") from None


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise LimitExceeded(f"A number has at most {MAX_NUMBER_CHARS} digits.", code=LimitExceeded.NUMBER_TOO_LARGE)
    value = int(text)
    if abs(value) >= 10**MAX_MAGNITUDE:
        raise LimitExceeded(f"Numbers must be below 10^{MAX_MAGNITUDE}.", code=LimitExceeded.NUMBER_TOO_LARGE)
    return value


def _constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _too_deep(text: str, limit: int) -> bool:
    """Whether valid JSON ``text`` nests deeper than ``limit``: C-speed string passes, no recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text)).replace("{", "[").replace("}", "]")
    for _ in range(limit):  # each pass removes the innermost level
        skeleton = skeleton.replace("[]", "")
        if not skeleton:
            return False
    return True


def loads(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> object:
    """Parse JSON with every bound above. ValueError when it is not JSON, LimitExceeded past a bound."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # UnicodeDecodeError is a ValueError
    try:
        data = json.loads(text, parse_float=_number, parse_int=_integer, parse_constant=_constant)
    except RecursionError:
        raise LimitExceeded(f"JSON nests deeper than {max_depth} levels.", code=LimitExceeded.TOO_DEEP) from None
    if _too_deep(text, max_depth):
        raise LimitExceeded(f"JSON nests deeper than {max_depth} levels.", code=LimitExceeded.TOO_DEEP)
    return data
