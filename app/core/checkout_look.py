"""How a store's checkout page looks: accent colour and logo URL, checked before they are stored.

The same rules serve the window's store form and the API (``StoreService`` applies them to the
``checkout`` object), so a colour the page could not use or a logo URL that could run script is
refused with a message beside its field, never silently "saved".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.core.errors import ValidationError

MAX_LOGO_URL_CHARS = 200_000  # a data: URL carries the image itself (about 150 KB of image)
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|webp|gif);base64,[A-Za-z0-9+/]+={0,2}")
_HTTP = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)


def accent_color(value: object) -> str:
    """'' (the default colour) or '#rgb' / '#rrggbb', lower-cased."""
    text = str(value if value is not None else "").strip()
    if text and not _COLOR.fullmatch(text):
        raise ValidationError("Use a colour like #c62f3a (# and 3 or 6 hex digits).", code="invalid_accent_color",
                              field="accent_color")
    return text.lower()


def logo_url(value: object) -> str:
    """'' (no logo), an http(s) URL or a base64 data: URL of a PNG, JPEG, WebP or GIF image."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    if len(text) > MAX_LOGO_URL_CHARS or not (_HTTP.fullmatch(text) or _DATA_IMAGE.fullmatch(text)):
        raise ValidationError("The logo must be an http:// or https:// address, or a data:image/png, jpeg, webp "
                              "or gif;base64 URL.", code="invalid_logo_url", field="logo_url")
    return text


def clean_checkout(options: Mapping[str, Any]) -> dict[str, Any]:
    """The checkout options with ``accent_color`` and ``logo_url`` checked (other keys kept as given)."""
    out = dict(options)
    if "accent_color" in out:
        out["accent_color"] = accent_color(out["accent_color"])
    if "logo_url" in out:
        out["logo_url"] = logo_url(out["logo_url"])
    return out
