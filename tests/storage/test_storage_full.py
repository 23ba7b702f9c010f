"""A full disk gets a clear answer: 507 storage_full over HTTP, /health degraded with the storage
component, nothing half-written, and recovery by itself once space is back. The disk is made "full"
with SQLite's own `PRAGMA max_page_count` (SQLITE_FULL), on the real runtime's connections."""

from __future__ import annotations

import sqlite3

import aiohttp
import pytest
from sqlalchemy import event

from app.db import engine as engine_module
from app.db.storage import StorageFull
from app.services import writer as writer_module
from tests.integration.helpers import make_store, wait_synced

pytestmark = pytest.mark.slow


class DiskCap:
    """Caps every connection the runtime opens (pool and writer) at the database's current size."""

    def __init__(self, runtime, monkeypatch) -> None:
        self.runtime = runtime
        self.capped = False
        event.listen(runtime.db.engine.sync_engine, "connect", self._on_connect)
        opener = engine_module.open_sync_connection

        def open_capped(path):
            return self._cap(opener(path))

        monkeypatch.setattr(writer_module, "open_sync_connection", open_capped)

    def _on_connect(self, dbapi_connection, _record) -> None:
        self._cap(dbapi_connection)

    def _cap(self, conn):
        if self.capped:
            cursor = conn.cursor()
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={pages}")
            cursor.close()
        return conn

    async def set(self, capped: bool) -> None:
        """Reopen the connections so the (un)cap applies to each: the disk fills up / space is back."""
        self.capped = capped
        services = self.runtime.services
        await services.writer.close()
        await self.runtime.db.engine.dispose()


async def test_full_disk_is_507_storage_full_health_degraded_and_recovers(app_runtime, monkeypatch):
    runtime = app_runtime
    services = runtime.services
    await wait_synced(runtime)
    store = await make_store(services)
    key = (await services.apikeys.create("storage test", ["full"])).key.reveal()
    headers = {"Authorization": f"Bearer {key}"}
    base = runtime.urls["private"]
    cap = DiskCap(runtime, monkeypatch)
    async with aiohttp.ClientSession(base_url=base, headers=headers) as http:
        async def create() -> tuple[int, dict]:
            async with http.post(f"/api/v1/stores/{store.id}/invoices", json={"price": "1.00"}) as resp:
                return resp.status, await resp.json()

        async def health() -> tuple[int, dict]:
            async with http.get("/health") as resp:
                return resp.status, await resp.json()

        status, _ = await create()
        assert status == 201
        assert (await health())[0] == 200
        await cap.set(True)
        created_ok = 1
        for _ in range(40):  # a small invoice may still fit in a page's free space; soon one cannot
            status, body = await create()
            if status != 201:
                break
            created_ok += 1
        assert status == 507, body
        assert body["error"]["code"] == "storage_full"
        assert "disk" in body["error"]["message"] and "Traceback" not in body["error"]["message"]
        status, report = await health()
        assert status == 503 and report["status"] == "degraded"
        assert "storage" in report["degraded"]
        assert report["components"]["storage"]["state"] == "full"
        assert "full" in report["components"]["storage"]["error"]
        assert report["banner"].startswith("degraded: storage full since ")
        for n in range(500):  # the ORM path (stores) says the same, once its pages are full too
            try:
                await services.stores.create(f"Shop {n}", default_currency="USD")
            except StorageFull as exc:
                assert exc.code == "storage_full" and exc.http_status == 507
                break
        else:
            pytest.fail("the ORM writes never met the full disk")

        await cap.set(False)  # space is back: nothing restarted
        status, _ = await create()
        assert status == 201
        status, report = await health()
        assert status == 200 and report["status"] == "ok"
        assert report["components"]["storage"]["ok"] is True
        assert "full" in report["components"]["storage"]["error"]  # the last error stays visible
    with sqlite3.connect(runtime.db.path) as conn:  # the refused ones left nothing half-written
        rows = conn.execute("SELECT count(*) FROM invoices WHERE store_id = ?", (store.id,)).fetchone()[0]
        orphans = conn.execute("SELECT count(*) FROM payments WHERE invoice_id NOT IN "
                               "(SELECT id FROM invoices)").fetchone()[0]
    assert rows == created_ok + 1 and orphans == 0
