"""Single-writer transactions: SQLite allows one writer; we queue ours instead of retrying BUSY.

Every write goes through `Writer.transaction()`: commit first, then the event bus is told that new
outbox rows may exist (so subscribers only ever see committed facts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class Writer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._lock = asyncio.Lock()
        self._after_commit: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._lock, self._sessions() as session:
            async with session.begin():
                yield session
        for callback in self._after_commit:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session
