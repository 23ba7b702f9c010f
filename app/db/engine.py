"""The SQLite engine: aiosqlite, WAL, foreign keys, synchronous=FULL (money is written here)."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)


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
        import asyncio

        from app.db.migrate import upgrade_to_head

        private_db_files(self.path)  # before the migrations create it
        await asyncio.to_thread(upgrade_to_head, self.path)
        self.engine = create_engine(self.path)
        self.sessions = create_sessionmaker(self.engine)
        logger.info("database ready at %s", self.path)

    async def stop(self) -> None:
        if self.engine is None:
            return
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        await self.engine.dispose()
        self.engine = None
        logger.info("database closed")

    async def ping(self) -> bool:
        if self.engine is None:
            return False
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            return (await conn.execute(text("SELECT 1"))).scalar() == 1
