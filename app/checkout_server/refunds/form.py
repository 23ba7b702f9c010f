"""The claim form: a bounded urlencoded body, and a per-form token (CSRF) that needs no session.

The token is an HMAC of the refund id under a random key made when the listener starts: a page of
another site cannot read it (our pages are not framable and send no CORS headers), and the form
guard (app/checkout_server/guards.py) refuses cross-site posts before this runs. A token from
before a restart no longer matches: the form is shown again with a fresh one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

MAX_FORM_BYTES = 2048
MAX_ADDRESS_CHARS = 100  # bech32 addresses are at most 90 characters
FIELDS = ("address", "token", "lang")


class FormTooLarge(Exception):
    """The body was larger than MAX_FORM_BYTES."""


class FormTokens:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def token(self, refund_id: str) -> str:
        return hmac.new(self._key, refund_id.encode(), hashlib.sha256).hexdigest()[:32]

    def valid(self, refund_id: str, token: str) -> bool:
        return hmac.compare_digest(self.token(refund_id).encode(), token.encode()[:64])


@dataclass(frozen=True)
class ClaimForm:
    address: str
    token: str


async def read_claim_form(request: web.Request) -> ClaimForm:
    """The form's fields (unknown ones ignored); FormTooLarge beyond MAX_FORM_BYTES."""
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise FormTooLarge
    raw = await request.content.read(MAX_FORM_BYTES + 1)
    if len(raw) > MAX_FORM_BYTES:
        raise FormTooLarge
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=len(FIELDS) + 2)
    except (UnicodeDecodeError, ValueError):
        pairs = []
    values = {name: value for name, value in pairs if name in FIELDS}
    return ClaimForm(address=values.get("address", ""), token=values.get("token", ""))
