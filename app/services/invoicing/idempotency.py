"""`Idempotency-Key` replays: the first response to a creating call, kept at least 24 h.

A client that lost the answer to a POST retries it with the same key and gets the original status
and body; the same key with a different request is refused (409 `idempotency_key_reused`). For
invoice creation the key is written by ``record_sync`` inside the invoice's own write transaction
(``InvoiceService.create(record=...)``), so "the invoice exists" and "the key is stored" commit
together or not at all, and survive a restart or a kill -9. Calls with one key are serialised by a
per-key lock (the app is one process), so concurrent retries create exactly one invoice: the
second waits for the first and gets its stored response. The primary key (scope, key) is the
backstop: a second insert fails and rolls its whole write back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.dialects import sqlite

from app.core.errors import Conflict, ValidationError
from app.db.fastpath import compiled_insert
from app.db.models import IdempotencyKeyRow
from app.db.types import UTCDateTime
from app.services.writer import Writer

RETENTION = timedelta(hours=24)  # a key is kept at least this long, then purged (at most hourly)
PURGE_EVERY = timedelta(hours=1)
MAX_KEY_CHARS = 255
_TIME = UTCDateTime().bind_processor(sqlite.dialect())
ORDER_ID_UNIQUE = "order_id_unique"  # the store's opt-in checkout setting: one invoice per order_id


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class OrderIdTaken(Conflict):
    """The store has ``checkout.order_id_unique`` on and an invoice for this order_id exists."""

    code = "order_id_exists"

    def __init__(self, message: str, *, invoice_id: str) -> None:
        super().__init__(message, field="order_id")
        self.invoice_id = invoice_id


def check_order_id_free(conn: sqlite3.Connection, store_id: str, order_id: str) -> None:
    """In the creating write (one writer: nothing can slip in between this check and the insert)."""
    found = conn.execute("SELECT id FROM invoices WHERE order_id = ? AND store_id = ? LIMIT 1",
                         (order_id, store_id)).fetchone()
    if found is not None:
        raise OrderIdTaken(f"Invoice {found[0]} already has order id '{order_id}' in this store.",
                           invoice_id=str(found[0]))


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str


@dataclass(frozen=True)
class StoredRequest:
    request_hash: str
    status: int
    body: str


def check_key(key: str) -> str:
    """1-255 printable ASCII characters (a UUID is the usual choice)."""
    if not 1 <= len(key) <= MAX_KEY_CHARS or not all(" " <= ch <= "~" for ch in key):
        raise ValidationError(f"Idempotency-Key must be 1-{MAX_KEY_CHARS} printable ASCII characters.",
                              code="invalid_idempotency_key", field="Idempotency-Key")
    return key


def request_hash(method: str, path: str, body: bytes) -> str:
    """What "the same request" means: method, path and the JSON body (key order and spacing ignored)."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@dataclass
class Claim:
    """One call holding a key: what it must store, and whether its response was stored already."""

    service: IdempotencyService
    scope: str
    key: str
    request_hash: str
    status: int
    stored: str | None = None

    def record_sync(self, conn: sqlite3.Connection, body: str) -> None:
        """Store ``body`` in ``conn``'s transaction (call it from the creating write)."""
        self.service.record_sync(conn, self, body)
        self.stored = body


class IdempotencyService:
    def __init__(self, writer: Writer, db_path: Path | None = None) -> None:
        self._writer = writer
        self._db_path = db_path
        self._reader: sqlite3.Connection | None = None  # one read-only connection: a lookup is ~10 µs
        self._reader_lock = threading.Lock()
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._last_purge: datetime | None = None

    @asynccontextmanager
    async def claim(self, scope: str, key: str, digest: str, *, status: int) -> AsyncIterator[Claim | StoredResponse]:
        """The stored response for a repeated call, or a `Claim` the caller fills while it holds the key.
        A repeated key with another request raises IdempotencyKeyReused."""
        slot = (scope, check_key(key))
        lock, users = self._locks.get(slot, (asyncio.Lock(), 0))
        self._locks[slot] = (lock, users + 1)
        try:
            async with lock:
                stored = await self._find(scope, key)
                if stored is not None:
                    if stored.request_hash != digest:
                        raise IdempotencyKeyReused(
                            "This Idempotency-Key was used for a different request; use a new key.")
                    yield StoredResponse(stored.status, stored.body)
                    return
                yield Claim(self, scope, key, digest, status)
        finally:
            lock, users = self._locks[slot]
            if users <= 1:
                del self._locks[slot]
            else:
                self._locks[slot] = (lock, users - 1)

    async def _find(self, scope: str, key: str) -> StoredRequest | None:
        if self._db_path is not None:  # a plain read-only sqlite3 read: ~10x cheaper than an ORM session
            return await asyncio.to_thread(self._find_sync, self._db_path, scope, key)
        async with self._writer.read() as session:
            row = await session.get(IdempotencyKeyRow, (scope, key))
            return None if row is None else StoredRequest(row.request_hash, row.status, row.body)

    def _find_sync(self, db_path: Path, scope: str, key: str) -> StoredRequest | None:
        with self._reader_lock:
            if self._reader is None:
                self._reader = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
            found = self._reader.execute(
                "SELECT request_hash, status, body FROM idempotency_keys WHERE scope = ? AND key = ?",
                (scope, key)).fetchone()
        return None if found is None else StoredRequest(str(found[0]), int(found[1]), str(found[2]))

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    async def record(self, claim: Claim, body: str) -> None:
        """Store a response after its own commit (for creations without an in-transaction hook)."""
        await self._writer.run_sync(lambda conn: claim.record_sync(conn, body))

    def record_sync(self, conn: sqlite3.Connection, claim: Claim, body: str, *,
                    now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            self.purge_sync(conn, now - RETENTION)
            self._last_purge = now
        compiled = compiled_insert(IdempotencyKeyRow.__table__)
        try:
            conn.execute(compiled.sql, compiled.params({
                "scope": claim.scope, "key": claim.key, "request_hash": claim.request_hash,
                "status": claim.status, "body": body, "created_at": now}))
        except sqlite3.IntegrityError:  # only if another process wrote it: the whole write rolls back
            raise IdempotencyKeyReused("This Idempotency-Key is being used by another request.") from None

    @staticmethod
    def purge_sync(conn: sqlite3.Connection, before: datetime) -> int:
        cutoff = _TIME(before) if _TIME is not None else before
        return conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (cutoff,)).rowcount
