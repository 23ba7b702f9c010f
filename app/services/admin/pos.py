"""Point of sale (kiosk) rules without Qt: the merchant PIN and the shopper's receipt.

PIN
- Stored as a salted ``hashlib.scrypt`` hash (n=2**14, r=8, p=1) in ``app_settings["pos_pin"]``,
  never in clear. Hashing runs in a worker thread (about 50 ms), off the GUI loop.
- Rate-limited: ``FREE_ATTEMPTS`` wrong PINs in a row, then a lockout of ``BASE_LOCKOUT_S`` that
  doubles with every further wrong PIN (capped at ``MAX_LOCKOUT_S``). The failure count and the
  lockout end are stored with the hash, so restarting the app does not reset them. A correct PIN
  resets the count. While locked, no PIN is even checked.
- Set, changed (current + new) and reset (new only) by the owner in the admin window
  (Settings → Point of sale); the kiosk only verifies it.
- A 4-8 digit PIN keeps a shopper at the counter out of the admin views; it does not protect the
  database file against someone who has the disk (no PIN length would).

Receipt
- ``PosService.receipt(invoice_id)`` -> ``Receipt`` (app.core.receipts, re-exported here): what a front
  end prints or shows; ``app.core.receipts.layout`` puts it in columns for a 58/80 mm roll.
- ``PosService.send_receipt(invoice_id, to)``: the store's "receipt" email template, sent now with the
  store's SMTP settings (``EmailService.render`` + ``EmailService.send``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from app.core.errors import Conflict, ValidationError
from app.core.receipts import Receipt, ReceiptLine, build_receipt
from app.core.records import Invoice, Store
from app.db.models import AppSettingRow
from app.services.delivery.email import EmailService, check_address, parse_config
from app.services.writer import Writer

logger = logging.getLogger(__name__)

PIN_KEY = "pos_pin"
MIN_PIN_LEN, MAX_PIN_LEN = 4, 8
FREE_ATTEMPTS = 5
BASE_LOCKOUT_S = 30
MAX_LOCKOUT_S = 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
Clock = Callable[[], datetime]


class PinNotSet(Conflict):
    code = "pin_not_set"


class PinAlreadySet(Conflict):
    code = "pin_already_set"


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    attempts_left: int  # wrong PINs allowed before the next lockout
    locked_for_s: int  # 0 when not locked


class PinStorage(Protocol):
    async def load(self) -> dict[str, Any] | None: ...

    async def save(self, record: dict[str, Any]) -> None: ...


class MemoryPinStorage:
    def __init__(self) -> None:
        self.record: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        return dict(self.record) if self.record else None

    async def save(self, record: dict[str, Any]) -> None:
        self.record = dict(record)


class AppSettingsPinStorage:
    """The record as one JSON value in the app_settings table."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    async def load(self) -> dict[str, Any] | None:
        async with self._writer.read() as session:
            row = await session.get(AppSettingRow, PIN_KEY)
            return dict(row.value) if row is not None and row.value else None

    async def save(self, record: dict[str, Any]) -> None:
        async with self._writer.transaction() as session:
            row = await session.get(AppSettingRow, PIN_KEY)
            if row is None:
                session.add(AppSettingRow(key=PIN_KEY, value=dict(record)))
            else:
                row.value = dict(record)


def check_pin_format(pin: str) -> str:
    if not isinstance(pin, str) or not (pin.isascii() and pin.isdigit()) or not MIN_PIN_LEN <= len(pin) <= MAX_PIN_LEN:
        raise ValidationError(f"The PIN is {MIN_PIN_LEN} to {MAX_PIN_LEN} digits.", code="invalid_pin", field="pin")
    return pin


def _scrypt(pin: str, salt: bytes, params: Mapping[str, int]) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=params["n"], r=params["r"], p=params["p"], dklen=32)


def lockout_s(failures: int) -> int:
    """Seconds locked after ``failures`` wrong PINs in a row: 0 for the free ones, then 30, 60, 120..."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(MAX_LOCKOUT_S, BASE_LOCKOUT_S * (1 << (failures - FREE_ATTEMPTS)))


class PinGuard:
    """Set and check the merchant PIN; attempts are serialised (no parallel guessing)."""

    def __init__(self, storage: PinStorage, *, clock: Clock = lambda: datetime.now(UTC),
                 params: Mapping[str, int] | None = None) -> None:
        self._storage = storage
        self._clock = clock
        self._params = dict(params or SCRYPT)
        self._lock = asyncio.Lock()

    async def is_set(self) -> bool:
        record = await self._storage.load()
        return bool(record and record.get("hash"))

    async def set_pin(self, pin: str) -> None:
        """First-time set-up only; changing the PIN goes through ``change_pin`` (needs the old one)."""
        check_pin_format(pin)
        async with self._lock:
            if await self.is_set():
                raise PinAlreadySet("A PIN is already set.")
            await self._store_new(pin)
        logger.info("merchant PIN set")

    async def change_pin(self, current: str, new: str) -> PinCheck:
        check_pin_format(new)
        result = await self.verify(current)
        if result.ok:
            async with self._lock:
                await self._store_new(new)
            logger.info("merchant PIN changed")
        return result

    async def reset_pin(self, new: str) -> None:
        """A new PIN without the current one: only from the unlocked admin window (the owner forgot it).
        The wrong-PIN count and any lockout go with the old hash."""
        check_pin_format(new)
        async with self._lock:
            await self._store_new(new)
        logger.info("merchant PIN reset from the admin window")

    async def _store_new(self, pin: str) -> None:
        salt = secrets.token_bytes(16)
        digest = await asyncio.to_thread(_scrypt, pin, salt, self._params)
        await self._storage.save({"v": 1, "salt": salt.hex(), "hash": digest.hex(), **self._params,
                                  "failures": 0, "locked_until": None})

    async def state(self) -> PinCheck:
        """Without guessing: how many attempts are left and how long a lockout still lasts."""
        record = await self._storage.load()
        if not record:
            return PinCheck(ok=False, attempts_left=FREE_ATTEMPTS, locked_for_s=0)
        return self._check(record, ok=False)

    def _locked_for(self, record: Mapping[str, Any]) -> int:
        until = record.get("locked_until")
        if not until:
            return 0
        left = (datetime.fromisoformat(until) - self._clock()).total_seconds()
        return max(0, int(left + 0.999))

    def _check(self, record: Mapping[str, Any], *, ok: bool) -> PinCheck:
        failures = int(record.get("failures", 0))
        return PinCheck(ok=ok, attempts_left=max(0, FREE_ATTEMPTS - failures),
                        locked_for_s=self._locked_for(record))

    async def verify(self, pin: str) -> PinCheck:
        async with self._lock:
            record = await self._storage.load()
            if not record or not record.get("hash"):
                raise PinNotSet("No PIN is set yet.")
            if self._locked_for(record):
                return self._check(record, ok=False)
            params = {k: int(record.get(k, SCRYPT[k])) for k in SCRYPT}
            given = await asyncio.to_thread(_scrypt, str(pin), bytes.fromhex(record["salt"]), params) \
                if isinstance(pin, str) and pin.isascii() and pin.isdigit() else b""
            if given and hmac.compare_digest(given, bytes.fromhex(record["hash"])):
                record = {**record, "failures": 0, "locked_until": None}
                await self._storage.save(record)
                return self._check(record, ok=True)
            failures = int(record.get("failures", 0)) + 1
            wait_s = lockout_s(failures)
            until = (self._clock() + timedelta(seconds=wait_s)).isoformat() if wait_s else None
            record = {**record, "failures": failures, "locked_until": until}
            await self._storage.save(record)
            logger.warning("wrong merchant PIN (%d in a row)%s", failures, f"; locked for {wait_s} s" if wait_s else "")
            return self._check(record, ok=False)


# -- the service the kiosk uses ------------------------------------------------------------------


class StoreLookup(Protocol):
    async def get(self, store_id: str) -> Store: ...


class InvoiceLookup(Protocol):
    async def get(self, invoice_id: str) -> Invoice: ...


class PosService:
    def __init__(self, pin: PinGuard, stores: StoreLookup, invoices: InvoiceLookup, email: EmailService | None) -> None:
        self.pin = pin
        self._stores = stores
        self._invoices = invoices
        self._email = email

    async def email_ready(self, store_id: str) -> bool:
        """True when the store has SMTP settings (the kiosk offers an emailed receipt)."""
        if self._email is None:
            return False
        return parse_config((await self._stores.get(store_id)).email).smtp is not None

    async def receipt(self, invoice_id: str) -> Receipt:
        """The receipt (app.core.receipts) with the invoice's link for the printed QR."""
        invoice = await self._invoices.get(invoice_id)
        store = await self._stores.get(invoice.store_id)
        link = self._email.invoice_link(store, invoice.id) if self._email is not None else None
        return build_receipt(store, invoice, link=link)

    async def send_receipt(self, invoice_id: str, to: str) -> str:
        if self._email is None:
            raise Conflict("Email is not available.", code="email_unavailable")
        address = check_address(to, "to")
        invoice = await self._invoices.get(invoice_id)
        store = await self._stores.get(invoice.store_id)
        await self._email.send(store, address, self._email.render("receipt", store, invoice, label="is paid"))
        logger.info("receipt for %s emailed", invoice.id)
        return address


__all__ = ["FREE_ATTEMPTS", "AppSettingsPinStorage", "MemoryPinStorage", "PinAlreadySet", "PinCheck", "PinGuard",
           "PinNotSet", "PosService", "Receipt", "ReceiptLine", "build_receipt",
           "lockout_s"]
