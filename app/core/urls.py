"""The one rule for URLs a merchant or a developer gives us to send shoppers or data to.

``check_http_url`` accepts only an absolute ``http://`` or ``https://`` URL with a host, at most
``MAX_URL_CHARS`` long, without whitespace, control characters (NUL included), quotes, angle
brackets, backslashes or user-info (``user@host``). ``javascript:``, ``data:`` and relative URLs
are refused: a redirect URL ends up in a shopper's browser.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import ValidationError
from app.core.limits import MAX_URL_CHARS

_BAD = r"\s\x00-\x1f\x7f-\x9f<>\"'\\`"  # whitespace, C0/C1 controls, DEL, quotes, angle brackets, \\, `
# The whole rule as one pattern, also published in the OpenAPI document: scheme, a host (not starting
# with ':'; no user-info), then an optional path, query or fragment.
URL_PATTERN = rf"^[hH][tT][tT][pP][sS]?://[^{_BAD}:/?#@][^{_BAD}/?#@]*([/?#][^{_BAD}]*)?$"
_URL = re.compile(URL_PATTERN)


def check_http_url(value: object, field: str, *, code: str | None = None, max_chars: int = MAX_URL_CHARS) -> str:
    """``value`` as a checked http(s) URL, else ValidationError(code=``code`` or ``invalid_<field>``)."""
    error_code = code or f"invalid_{field.rsplit('.', 1)[-1]}"
    if not isinstance(value, str):
        raise ValidationError(f"'{field}' must be an http(s) URL (a string).", code=error_code, field=field)
    if len(value) > max_chars:
        raise ValidationError(f"'{field}' is longer than {max_chars} characters.", code=error_code, field=field)
    if not _URL.fullmatch(value):
        raise ValidationError(f"'{field}' must be an http:// or https:// URL (no spaces or control characters).",
                              code=error_code, field=field)
    try:
        urlsplit(value)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        raise ValidationError(f"'{field}' is not a valid URL.", code=error_code, field=field) from None
    return value


def optional_http_url(value: object, field: str, *, code: str | None = None) -> str | None:
    """None or '' -> None; anything else must pass ``check_http_url``."""
    if value is None or value == "":
        return None
    return check_http_url(value.strip() if isinstance(value, str) else value, field, code=code)


def clean_redirect_url(checkout: dict[str, Any]) -> dict[str, Any]:
    """A store's checkout options with ``redirect_url`` checked (where cart checkouts send the shopper)."""
    if "redirect_url" in checkout:
        checkout["redirect_url"] = optional_http_url(checkout["redirect_url"], "checkout.redirect_url",
                                                     code="invalid_redirect_url") or ""
    return checkout
