"""Which invoice ids exist, without asking the database: a Bloom filter of every invoice id.

Random ids are what an attacker sprays at ``/i/{id}``; each one used to cost a database read and a
rendered error page, several times a real (cached) page. The filter answers "certainly not" for an
unknown id in a few microseconds, and the shopper gets the static 404 page (pages.py). "Maybe"
(every real id, and ~1% of unknown ones) goes on to the database as before.

No false "no": the filter subscribes to invoice creation (``InvoiceService.watch_created``, called
right after the creating transaction commits, before ``create`` returns) *before* it reads the ids
already stored, and until that read is done every id counts as "maybe". So an invoice is found the
moment its creator can know its id. Memory is bounded: 1.5 bytes per id (~1% false positives),
sized for twice the ids found at start; when creations outgrow that, it is rebuilt larger. The
listeners of one process (LAN, onion, private) share one filter (``KnownInvoices.shared``).

The load never holds the event loop for long. With the database file known (``read_file``, set by
``create_app``) a worker thread reads the ids on its own read-only sqlite3 connection, ``FILE_BATCH``
per keyset read as one string, hashes them and sleeps ``FILE_PAUSE_S``: the loop only waits for the
GIL, and few objects are made, so no full garbage collection is triggered (1,000,000 ids: ~3 s, no
loop stall over ~20 ms). Otherwise ``InvoiceService.scan_ids`` on the loop, ``SCAN_BATCH`` ids per
read with a ``SCAN_PAUSE_S`` pause. Meanwhile unknown ids are looked up in the database, as without
a filter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Protocol

from app.core.records import Invoice

logger = logging.getLogger(__name__)

BITS_PER_ID = 12  # with 3 probes: ~1.1% false positives at capacity, 1.5 bytes per id
MIN_CAPACITY = 65_536
SCAN_BATCH = 2_000  # ids per database read: ~3-5 ms of the loop's time, hashing included
SCAN_PAUSE_S = 0.002  # between two reads the loop is free: other work waits for one batch at most
FILE_BATCH = 5_000  # ids per read of the worker thread's own connection (one string each: no GC churn)
FILE_PAUSE_S = 0.001  # the worker lets go of the GIL between two reads
# one string per batch (ids are [A-Za-z0-9_-], so a space separates them): no row objects for the GC
_IDS_AFTER = ("SELECT group_concat(id, ' '), max(id) FROM "
              "(SELECT id FROM invoices WHERE id > ? ORDER BY id LIMIT ?)")


class BloomFilter:
    """Three probes into ``BITS_PER_ID`` bits per id (about 1.1% false positives at capacity), from
    Python's own string hash: keyed per process (an attacker cannot craft ids that hit it), C-speed,
    and cached on the string, so building the filter for 1,000,000 ids costs ~1 s, not ~6."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 1)
        self._bits = (self.capacity * BITS_PER_ID + 7) // 8 * 8
        self._array = bytearray(self._bits // 8)
        self.count = 0

    @property
    def size_bytes(self) -> int:
        return len(self._array)

    def add(self, key: str) -> None:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        h1, h2, bits, array = h & 0xFFFFFFFF, (h >> 32) | 1, self._bits, self._array
        for bit in (h1 % bits, (h1 + h2) % bits, (h1 + 2 * h2) % bits):  # double hashing (Kirsch-Mitzenmacher)
            array[bit >> 3] |= 1 << (bit & 7)
        self.count += 1

    def add_all(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.add(key)

    def __contains__(self, key: str) -> bool:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        h1, h2, bits, array = h & 0xFFFFFFFF, (h >> 32) | 1, self._bits, self._array
        bit = h1 % bits
        if not array[bit >> 3] & (1 << (bit & 7)):
            return False  # most unknown ids stop here
        bit = (h1 + h2) % bits
        if not array[bit >> 3] & (1 << (bit & 7)):
            return False
        bit = (h1 + 2 * h2) % bits
        return bool(array[bit >> 3] & (1 << (bit & 7)))


def read_ids_file(db_path: Path, bloom: BloomFilter, cancelled: threading.Event) -> None:
    """In a worker thread: every invoice id of the database file into ``bloom``, on a read-only
    connection of its own, one keyset read of ``FILE_BATCH`` ids at a time."""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        after = ""
        while not cancelled.is_set():
            joined, last = conn.execute(_IDS_AFTER, (after, FILE_BATCH)).fetchone()
            if not joined:
                return
            bloom.add_all(joined.split(" "))
            after = last
            time.sleep(FILE_PAUSE_S)
    finally:
        conn.close()


class InvoiceIds(Protocol):
    """The part of InvoiceService the filter uses (app/services/invoicing/invoices.py)."""

    def watch_created(self, callback: Callable[[Invoice], None]) -> Callable[[], None]: ...

    def scan_ids(self, *, batch: int) -> AsyncIterator[list[str]]: ...

    async def count(self) -> int: ...


class KnownInvoices:
    """``might_exist(id)``: False only for an id no invoice has (see the module docstring)."""

    @classmethod
    def shared(cls, invoices: InvoiceIds) -> KnownInvoices:
        """The one filter of these invoices: every listener's app asks for it, started once."""
        known = _SHARED.get(invoices)
        if known is None:
            known = _SHARED[invoices] = cls(invoices)
        return known

    def __init__(self, invoices: InvoiceIds) -> None:
        self._users = 0
        self._invoices = weakref.ref(invoices)  # weak: the shared registry is keyed by the service
        self._filter: BloomFilter | None = None  # None: not loaded yet, everything is "maybe"
        self._created: list[str] = []  # ids created while a (re)load is reading
        self._loading: asyncio.Task[None] | None = None
        self._unwatch: Callable[[], None] | None = None
        self._db_path: Path | None = None

    def read_file(self, db_path: Path) -> None:
        """Load from this SQLite file in a worker thread (its own read-only connection) instead of
        through the invoice service on the loop: the loop only waits for the GIL, and a million ids
        make a handful of objects, so the load triggers no full garbage collection either."""
        self._db_path = db_path

    def _service(self) -> InvoiceIds:
        invoices = self._invoices()
        if invoices is None:
            raise RuntimeError("the invoice service is gone")
        return invoices

    @property
    def ready(self) -> bool:
        return self._filter is not None

    def might_exist(self, invoice_id: str) -> bool:
        bloom = self._filter
        return bloom is None or invoice_id in bloom

    def start(self) -> None:
        self._users += 1
        if self._unwatch is None:
            self._unwatch = self._service().watch_created(self._on_created)  # first: no creation is missed
            self._reload()

    async def stop(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users:
            return  # another listener still serves pages
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._loading is not None:
            self._loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loading
            self._loading = None

    async def loaded(self) -> None:
        """Wait for the current (re)load, if any (tests, benchmarks)."""
        if self._loading is not None:
            await asyncio.shield(self._loading)

    def _on_created(self, invoice: Invoice) -> None:
        if self._loading is not None:
            self._created.append(invoice.id)
        bloom = self._filter
        if bloom is not None:
            bloom.add(invoice.id)
            if bloom.count > bloom.capacity and self._loading is None:
                self._reload()  # keep the false-positive rate: rebuild larger (the old one serves meanwhile)

    def _reload(self) -> None:
        self._created = []
        self._loading = asyncio.get_running_loop().create_task(self._load(), name="known-invoices")

    async def _load(self) -> None:
        try:
            invoices = self._service()
            total = await invoices.count()
            bloom = BloomFilter(max(MIN_CAPACITY, 2 * total))
            if self._db_path is not None and self._db_path.exists():
                await self._read_file(self._db_path, bloom)
            else:
                async for ids in invoices.scan_ids(batch=SCAN_BATCH):
                    bloom.add_all(ids)
                    await asyncio.sleep(SCAN_PAUSE_S)
            for invoice_id in self._created:
                bloom.add(invoice_id)
            self._filter = bloom
            logger.info("known invoice ids: %d in a %d KiB filter", bloom.count, bloom.size_bytes // 1024)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database failed: stay (or go back) to asking it for every id
            logger.exception("could not load the invoice ids; unknown ids are looked up in the database")
            self._filter = None
        finally:
            self._created = []
            self._loading = None


    @staticmethod
    async def _read_file(db_path: Path, bloom: BloomFilter) -> None:
        cancelled = threading.Event()
        try:
            await asyncio.to_thread(read_ids_file, db_path, bloom, cancelled)
        finally:
            cancelled.set()  # a cancelled load stops its thread at the next batch


_SHARED: weakref.WeakKeyDictionary[InvoiceIds, KnownInvoices] = weakref.WeakKeyDictionary()
