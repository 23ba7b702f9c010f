"""A graceful stop is bounded and leaves no write unfinished: the real runtime (devnet, Electrum,
listeners) stopped 20 times while invoices are being created, some of their callers cancelled
mid-commit as a stopping listener cancels its handlers. Every acknowledged invoice is in the file
afterwards, and no component overran its stop deadline."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

import pytest

from tests.integration.helpers import make_store

pytestmark = pytest.mark.slow

ROUNDS = 20


async def test_twenty_stops_under_write_load_lose_nothing_and_never_time_out(tmp_path, caplog):
    from app.config import load_settings
    from app.runtime import Runtime

    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "devnet": True,
                                  "private_port": 0, "public_enabled": False, "daemon_enabled": False})
    acknowledged: list[str] = []
    store_id: str | None = None
    caplog.set_level(logging.INFO)
    for round_no in range(ROUNDS):
        runtime = Runtime(settings)
        await runtime.start()
        services = runtime.services
        assert services is not None
        if store_id is None:
            store_id = (await make_store(services)).id

        async def create_forever(invoices=services.invoices, sid: str = store_id) -> None:
            while True:
                invoice = await invoices.create(sid, price="1.00")
                acknowledged.append(invoice.id)

        load = [asyncio.create_task(create_forever()) for _ in range(4)]
        await asyncio.sleep(0.05 + 0.01 * (round_no % 5))
        for task in load[:2]:  # cancelled mid-commit, as a stopping listener cancels its handlers
            task.cancel()
        started = time.monotonic()
        await runtime.stop()
        elapsed = time.monotonic() - started
        for task in load:
            task.cancel()
        results = await asyncio.gather(*load, return_exceptions=True)
        assert all(isinstance(r, (asyncio.CancelledError, Exception)) for r in results)
        assert elapsed < 8.0, f"round {round_no}: stop took {elapsed:.1f} s"
    timeouts = [r.getMessage() for r in caplog.records if "did not stop within" in r.getMessage()]
    assert timeouts == []
    assert not [r for r in caplog.records if "cannot start a transaction" in r.getMessage()]
    assert len(acknowledged) > ROUNDS
    with sqlite3.connect(settings.db_path) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM invoices")}
    assert set(acknowledged) <= stored, f"{len(set(acknowledged) - stored)} acknowledged invoices lost"
