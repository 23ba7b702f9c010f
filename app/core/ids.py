"""Identifiers. Invoice ids appear in public checkout URLs, so they must be unguessable."""

from __future__ import annotations

import re
import secrets

INVOICE_ID_BYTES = 16  # 128 bits of entropy -> 22 URL-safe characters
_PREFIX = re.compile(r"[a-z][a-z0-9]{0,15}")


def new_invoice_id() -> str:
    """An unguessable, URL-safe invoice id (128 random bits)."""
    return secrets.token_urlsafe(INVOICE_ID_BYTES)


def new_id(prefix: str) -> str:
    """An opaque id for stores, products, wallets...: ``"store_3f9a..."`` (80 random bits, hex)."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"id prefix must be 1-16 lowercase letters/digits, got {prefix!r}")
    return f"{prefix}_{secrets.token_hex(10)}"
