"""Validation problems as sentences a merchant understands, never pydantic's own wording.

`sentence(error)` turns one pydantic error (`exc.errors()[0]`) into a message that names the field the
client sent; regular expressions are described in words (PATTERNS), bounds are stated as numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_core import ErrorDetails

from app.core.errors import UserFacingError
from app.core.urls import URL_PATTERN

# The patterns used in the request schemas (app/checkout_server/api/schemas), described in words.
PATTERNS: dict[str, str] = {
    r"^[0-9]{1,16}(\.[0-9]{1,8})?$": 'a decimal number written as a string, such as "12.50" '
                                     "(digits and one '.', at most 8 decimal places, no sign)",
    r"^[0-9]{1,3}(\.[0-9]{1,4})?$": 'a percentage written as a string, such as "2.5" (at most 4 decimal places)',
    r"^[0-9]{1,5}(\.[0-9]{1,3})?$": 'a fee rate in sat/vB written as a string, such as "2.5" '
                                   "(at most 3 decimal places)",
    r"^[0-9]{1,6}(\.[0-9]{1,3})?$": 'a fee rate in sat/vB written as a string, such as "12.5" '
                                   "(at most 3 decimal places)",
    r"^[A-Za-z0-9_-]+$": "made of letters, digits, '-' and '_' only",
    r"^[A-Za-z]{3,4}$": 'a 3- or 4-letter currency code, such as "USD"',
    URL_PATTERN: "an http:// or https:// address without spaces",
    f"^$|{URL_PATTERN}": "an http:// or https:// address without spaces, or empty",
    r"^https?://[^\s]+$": "an http:// or https:// address without spaces",
    r"^[ -~]+$": "made of printable ASCII characters (letters, digits, punctuation, spaces)",
    r"^[a-z_]+(,[a-z_]+)*$": 'one or more lower-case statuses separated by commas, such as "pending,paid"',
}

_SHAPES = {
    "string_type": "must be text (a JSON string)", "int_type": "must be a whole number",
    "int_parsing": "must be a whole number", "int_from_float": "must be a whole number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "dict_type": "must be a JSON object", "model_type": "must be a JSON object",
    "list_type": "must be a JSON array", "float_type": "must be a number", "float_parsing": "must be a number",
    "decimal_type": "must be a decimal number", "decimal_parsing": "must be a decimal number",
    "datetime_type": "must be a date and time such as 2026-01-31T12:00:00Z",
    "datetime_parsing": "must be a date and time such as 2026-01-31T12:00:00Z",
    "datetime_from_date_parsing": "must be a date and time such as 2026-01-31T12:00:00Z",
    "url_parsing": "must be an http:// or https:// address", "url_scheme": "must be an http:// or https:// address",
    "none_required": "must be null", "string_unicode": "must be valid text",
}


def _bound(kind: str, ctx: Mapping[str, object]) -> str | None:
    bounds = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
              "greater_than": ("gt", "more than"), "less_than": ("lt", "less than")}
    if kind in bounds:
        key, words = bounds[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind == "string_too_short":
        least = ctx.get("min_length")
        return "must not be empty" if least == 1 else f"needs at least {least} characters"
    if kind == "string_too_long":
        return f"is at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items"
    if kind == "too_long":
        return f"holds at most {ctx.get('max_length')} items"
    return None


def _problem(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return "must be " + PATTERNS.get(str(ctx.get("pattern")), "written in the format this field's "
                                                                    "documentation shows")
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}"
    if kind == "value_error":  # our own validators: their message is already a sentence
        return str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return _SHAPES.get(kind) or _bound(kind, ctx) or "has a value RedWaves cannot use here"


def sentence(error: ErrorDetails, name: str | None) -> str:
    """One validation problem as a sentence, e.g. "'price' must be a decimal number ... ."."""
    problem = _problem(error)
    subject = f"'{name}'" if name else "The request body"
    return f"{subject} {problem}."


# Rewordings that apply whatever the client called the field.
PLAIN_WORDS = (("prices have at most 0 decimal places", "prices must be whole numbers"),
               ("amounts have at most 0 decimal places", "amounts must be whole numbers"))


def as_sent(exc: UserFacingError, fields: Mapping[str, str],
            words: tuple[tuple[str, str], ...] = ()) -> UserFacingError:
    """The same error naming the field as the client sent it (`fields`: ours -> theirs), worded for it
    (`words`: replacements made when the field was renamed), ending as a sentence."""
    ours = exc.field
    if ours is not None and ours in fields:
        exc.field = fields[ours]
        exc.message = exc.message.replace(f"'{ours}'", f"'{exc.field.rpartition('.')[2]}'")
        for old, new in words:
            exc.message = exc.message.replace(old, new)
    for old, new in PLAIN_WORDS:
        exc.message = exc.message.replace(old, new)
    if not exc.message.endswith((".", "?", "!")):
        exc.message += "."
    exc.args = (exc.message,)
    return exc
