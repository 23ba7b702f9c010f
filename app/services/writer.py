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

from app.db.engine import open_sync_connection

T = TypeVar("T")


class Writer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], db_path: Path | None = None) -> None:
        self._sessions = sessions
        self._db_path = db_path
        self._sync_conn: sqlite3.Connection | None = None
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._lock = asyncio.Lock()
        self._after_commit: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._lock, self._sessions() as session:
            async with session.begin():
                yield session
            wrote_events = session.info.get("outbox", False)
        if wrote_events:  # only commits that added outbox rows wake the event bus
            for callback in self._after_commit:
                callback()

    async def run_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """The hot path (invoice creation): `work(conn)` runs on a worker thread on a dedicated sqlite3
        connection, under the same single-writer lock, with group commit: works queued while a
        transaction is in flight are committed together in the next one, each in its own SAVEPOINT
        (one failing work rolls back alone). One fsync for many invoices under load; each caller
        still returns only after its own data is committed. SQL must come from app.db.fastpath."""
        assert self._db_path is not None, "Writer built without a database path"
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        async with self._lock:
            if not future.done():
                batch, self._pending = self._pending, []
                outcomes = await asyncio.to_thread(self._in_group_transaction, [w for w, _ in batch])
                for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
                    if fut.done():
                        continue
                    if ok:
                        fut.set_result(value)
                    else:
                        fut.set_exception(value)
        # No after-commit callbacks here: the caller publishes what it wrote (EventBus.committed).
        return await future

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
        async with self._lock:
            if self._sync_conn is not None:
                conn, self._sync_conn = self._sync_conn, None
                await asyncio.to_thread(conn.close)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session
