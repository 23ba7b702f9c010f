"""Single-writer transactions: SQLite allows one writer; we queue ours instead of retrying BUSY.

Every write goes through `Writer.transaction()` (ORM) or `Writer.run_sync()` (the hot path). Commit
first, then publish: an ORM commit that added outbox rows tells the event bus to read them back;
`run_sync` callers hand the events they wrote to `EventBus.committed` themselves.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.errors import UserFacingError
from app.db.engine import open_sync_connection
from app.db.storage import StorageMonitor, storage_fault

T = TypeVar("T")


class ShuttingDown(UserFacingError):
    code = "shutting_down"
    http_status = 503


class Writer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], db_path: Path | None = None) -> None:
        self._sessions = sessions
        self._db_path = db_path
        self._sync_conn: sqlite3.Connection | None = None
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._lock = asyncio.Lock()
        self._after_commit: list[Callable[[], None]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False
        self.storage = StorageMonitor()  # the last disk-full / I/O fault, until a write succeeds again

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        if self._closing:
            raise ShuttingDown("RedWaves is stopping; nothing was saved. Try again once it is running.")
        try:
            async with self._lock, self._sessions() as session:
                async with session.begin():
                    yield session
                wrote_events = session.info.get("outbox", False)
        except Exception as exc:
            fault = self._storage_fault(exc)
            if fault is exc:
                raise
            raise fault from exc
        self.storage.succeeded()
        if wrote_events:  # only commits that added outbox rows wake the event bus
            for callback in self._after_commit:
                callback()

    async def run_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """The hot path (invoice creation): `work(conn)` runs on a worker thread on a dedicated sqlite3
        connection, under the same single-writer lock, with group commit: works queued while a
        transaction is in flight are committed together in the next one, each in its own SAVEPOINT
        (one failing work rolls back alone). One fsync for many invoices under load; each caller
        still returns only after its own data is committed. SQL must come from app.db.fastpath.

        The batches run in one flusher task, not in a caller's: a caller cancelled mid-commit (a
        client gone, a stopping listener) neither releases the lock while its transaction is still
        running on the thread nor strands the other works of its batch; `close()` waits for it."""
        assert self._db_path is not None, "Writer built without a database path"
        if self._closing:
            raise ShuttingDown("RedWaves is stopping; nothing was saved. Try again once it is running.")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="writer flush")
        # No after-commit callbacks here: the caller publishes what it wrote (EventBus.committed).
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            async with self._lock:  # released between batches: ORM writers queue fairly
                batch, self._pending = self._pending, []
                job = asyncio.ensure_future(asyncio.to_thread(self._in_group_transaction, [w for w, _ in batch]))
                try:
                    await asyncio.shield(job)
                finally:
                    if not job.done():  # cancelled (the loop is going away): the thread still finishes
                        await asyncio.wait([job])
                    outcomes = job.result()
                    if any(ok for ok, _ in outcomes):
                        self.storage.succeeded()
                    for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
                        if not fut.done():
                            fut.set_result(value) if ok else fut.set_exception(self._storage_fault(value))

    def _storage_fault(self, exc: Exception) -> Exception:
        """A full disk / I/O error becomes StorageFull (507 storage_full; /health shows it); others stay."""
        fault = storage_fault(exc)
        if fault is None:
            return exc
        self.storage.failed(fault)
        return fault

    def _in_group_transaction(self, works: list[Callable[[sqlite3.Connection], Any]]) -> list[tuple[bool, Any]]:
        if self._sync_conn is None:
            assert self._db_path is not None, "Writer built without a database path"
            self._sync_conn = open_sync_connection(self._db_path)
        conn = self._sync_conn
        outcomes: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for work in works:
                conn.execute("SAVEPOINT work")
                try:
                    outcomes.append((True, work(conn)))
                except Exception as exc:  # noqa: BLE001 - this work alone is undone; the others commit
                    if not conn.in_transaction:  # SQLite rolled it all back (disk full, I/O): all fail
                        raise
                    conn.execute("ROLLBACK TO work")
                    outcomes.append((False, exc))
                conn.execute("RELEASE work")
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - reported to every caller of the batch
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            failure = exc if isinstance(exc, Exception) else RuntimeError("transaction aborted")
            return [(False, failure)] * len(works)
        return outcomes

    async def close(self) -> None:
        """After the works already queued are committed (a graceful stop leaves no write half-done);
        works offered meanwhile are refused (ShuttingDown), so the stop is bounded under load."""
        self._closing = True
        try:
            while self._flusher is not None and not self._flusher.done():
                await asyncio.shield(self._flusher)
            async with self._lock:
                if self._sync_conn is not None:
                    conn, self._sync_conn = self._sync_conn, None
                    await asyncio.to_thread(conn.close)
        finally:
            self._closing = False  # a later write reopens the connection (tests reuse a writer)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session
