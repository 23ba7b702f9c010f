"""PIN and window-password records: the scheme of app/services/admin/pos.py (salted scrypt n=2**14, r=8,
p=1; 5 free wrong tries, then 30 s doubling up to 1 h), as a record stored on the person's row.

Checking is split so a service can save the new count and write the audit row in ONE transaction:
``hash_secret`` and ``digest`` run scrypt on a worker thread (never on the loop), ``outcome`` is pure.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.core.errors import ValidationError
from app.services.admin.pos import FREE_ATTEMPTS, SCRYPT, _scrypt, check_pin_format, lockout_s

MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS = 8, 200


def check_password_format(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise ValidationError(f"A window password is {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters.",
                              code="invalid_password", field="password")
    return password


async def hash_secret(secret: str, params: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A fresh record for ``secret`` (count and lockout reset)."""
    chosen = dict(params or SCRYPT)
    salt = secrets.token_bytes(16)
    digest = await asyncio.to_thread(_scrypt, secret, salt, chosen)
    return {"v": 1, "salt": salt.hex(), "hash": digest.hex(), **chosen, "failures": 0, "locked_until": None}


def locked_for_s(record: Mapping[str, Any], now: datetime) -> int:
    until = record.get("locked_until")
    if not until:
        return 0
    return max(0, int((datetime.fromisoformat(until) - now).total_seconds() + 0.999))


def locked_until(record: Mapping[str, Any] | None, now: datetime) -> datetime | None:
    if not record or not locked_for_s(record, now):
        return None
    return datetime.fromisoformat(record["locked_until"])


@dataclass(frozen=True)
class Outcome:
    ok: bool
    record: dict[str, Any]  # to save (the new count / lockout)
    attempts_left: int
    locked_for_s: int


async def digest(record: Mapping[str, Any], secret: str) -> bytes:
    params = {k: int(record.get(k, SCRYPT[k])) for k in SCRYPT}
    return await asyncio.to_thread(_scrypt, secret, bytes.fromhex(record["salt"]), params)


def outcome(record: Mapping[str, Any], given: bytes | None, now: datetime) -> Outcome:
    """``given``: the digest of what was typed (None: not checked, e.g. malformed)."""
    if given is not None and hmac.compare_digest(given, bytes.fromhex(record["hash"])):
        fresh = {**record, "failures": 0, "locked_until": None}
        return Outcome(True, fresh, FREE_ATTEMPTS, 0)
    failures = int(record.get("failures", 0)) + 1
    wait_s = lockout_s(failures)
    until = (now + timedelta(seconds=wait_s)).isoformat() if wait_s else None
    new = {**record, "failures": failures, "locked_until": until}
    return Outcome(False, new, max(0, FREE_ATTEMPTS - failures), wait_s)


def still_locked(record: Mapping[str, Any], now: datetime) -> Outcome | None:
    """While locked nothing is even checked: the refusal, or None when a try may go ahead."""
    wait_s = locked_for_s(record, now)
    if not wait_s:
        return None
    return Outcome(False, dict(record), max(0, FREE_ATTEMPTS - int(record.get("failures", 0))), wait_s)


__all__ = ["FREE_ATTEMPTS", "MAX_PASSWORD_CHARS", "MIN_PASSWORD_CHARS", "Outcome", "check_password_format",
           "check_pin_format", "digest", "hash_secret", "locked_for_s", "locked_until", "outcome", "still_locked"]
