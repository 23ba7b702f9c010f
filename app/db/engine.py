"""The SQLite engine: aiosqlite, WAL, foreign keys, synchronous=FULL (money is written here)."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)

STOP_BUSY_MS = 1000  # how long the stop's checkpoint waits for another connection's lock


def _set_pragmas(dbapi_connection: DBAPIConnection | sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed payment survives power loss, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def open_sync_connection(db_path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same pragmas, in autocommit mode (callers BEGIN)."""
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    _set_pragmas(conn, None)
    return conn


def private_db_files(db_path: Path) -> None:
    """The database and its -wal/-shm/-journal files are 0600 (xpubs, buyer e-mails); an absent
    database is created empty as 0600, and SQLite gives the files it adds the database's mode."""
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(db_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = db_path.with_name(db_path.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)


def _checkpoint(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=STOP_BUSY_MS / 1000)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy is not None and busy[0]:
            logger.warning("database: the WAL is still in use at stop; SQLite folds it in on its last close")
    except sqlite3.Error as exc:
        logger.warning("database: checkpoint at stop failed: %s", exc)
    finally:
        conn.close()


def create_engine(db_path: Path) -> AsyncEngine:
    private_db_files(db_path)
    engine = create_async_engine(f"sqlite+aiosqlite:///{db_path}")
    event.listen(engine.sync_engine, "connect", _set_pragmas)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """Owns the engine; `start()` applies migrations first, `stop()` checkpoints and disposes."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None

    async def start(self) -> None:
        from app.db.migrate import upgrade_to_head

        private_db_files(self.path)  # before the migrations create it
        await asyncio.to_thread(upgrade_to_head, self.path)
        self.engine = create_engine(self.path)
        self.sessions = create_sessionmaker(self.engine)
        logger.info("database ready at %s", self.path)

    async def stop(self) -> None:
        """Close the pool, then fold the WAL back in on a plain connection with a short busy timeout.

        Bounded: the old checkpoint ran on a pooled aiosqlite connection with the 5 s busy timeout,
        so a write still running elsewhere (a writer caller cancelled mid-commit) made it wait exactly
        as long as the runtime's stop deadline, and the deadline then cancelled the connection opening.
        Writers finish before this (`Writer.close()` waits for its last batch); if one is still busy
        anyway, the checkpoint gives up after STOP_BUSY_MS and SQLite checkpoints on the last close."""
        if self.engine is None:
            return
        engine, self.engine = self.engine, None
        await engine.dispose()
        await asyncio.to_thread(_checkpoint, self.path)
        logger.info("database closed")

    async def ping(self) -> bool:
        if self.engine is None:
            return False
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            return (await conn.execute(text("SELECT 1"))).scalar() == 1
