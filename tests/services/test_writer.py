"""Group commit: concurrent works share a transaction; a failing one is undone alone."""

from __future__ import annotations

import asyncio

import pytest

from app.db.engine import Database
from app.services.writer import Writer


@pytest.fixture
async def writer(tmp_path):
    db = Database(tmp_path / "w.sqlite3")
    await db.start()
    writer = Writer(db.sessions, db.path)
    yield writer
    await writer.close()
    await db.stop()


def _insert(key: str, fail: bool = False):
    def work(conn):
        conn.execute("INSERT INTO app_settings(key, value) VALUES (?, '1')", (key,))
        if fail:
            raise ValueError(f"{key} refused")
        return key

    return work


async def _keys(writer):
    async with writer.read() as session:
        from sqlalchemy import text

        return sorted(r[0] for r in (await session.execute(text("SELECT key FROM app_settings"))).all())


async def test_concurrent_works_commit_and_one_failure_is_isolated(writer):
    results = await asyncio.gather(*(writer.run_sync(_insert(f"k{i}", fail=(i == 3))) for i in range(8)),
                                   return_exceptions=True)
    assert isinstance(results[3], ValueError)
    assert [r for i, r in enumerate(results) if i != 3] == [f"k{i}" for i in range(8) if i != 3]
    assert await _keys(writer) == sorted(f"k{i}" for i in range(8) if i != 3)


async def test_constraint_violation_rolls_back_only_that_work(writer):
    await writer.run_sync(_insert("dup"))
    results = await asyncio.gather(writer.run_sync(_insert("dup")), writer.run_sync(_insert("fresh")),
                                   return_exceptions=True)
    assert results[1] == "fresh" and isinstance(results[0], Exception)
    assert await _keys(writer) == ["dup", "fresh"]
