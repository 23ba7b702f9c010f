"""The invoice-id filter loads from the database file in a worker thread (known_invoices.py): every
stored id, ids created meanwhile, a cancelled load stops its thread, the service path stays."""

from __future__ import annotations

import asyncio
import threading
import time

from app.checkout_server.app import create_app
from app.checkout_server.shopper import known_invoices
from app.checkout_server.shopper.keys import KNOWN_INVOICES
from app.checkout_server.shopper.known_invoices import BloomFilter, KnownInvoices, read_ids_file
from tests.checkout.conftest import make_shop

HTML = {"Accept": "text/html"}


async def test_the_file_load_finds_every_stored_id_and_ids_created_meanwhile(aiohttp_client, services, monkeypatch):
    shop = await make_shop(services)
    stored = [await services.invoices.create(shop.store.id, price="1.00") for _ in range(6)]
    monkeypatch.setattr(known_invoices, "FILE_BATCH", 2)  # several reads, with creations between them
    app = create_app(services, public=True)
    client = await aiohttp_client(app)
    known = app[KNOWN_INVOICES]
    created = [await services.invoices.create(shop.store.id, price="1.00") for _ in range(4)]
    await known.loaded()
    assert known.ready
    for invoice in [shop.invoice, *stored, *created]:
        assert known.might_exist(invoice.id)
        assert (await client.get(f"/i/{invoice.id}", headers=HTML)).status == 200
    assert (await client.get("/i/unknownUnknownUnknown0", headers=HTML)).status == 404


async def test_read_ids_file_adds_each_stored_id_once(services, monkeypatch):
    empty = BloomFilter(1_000)
    await asyncio.to_thread(read_ids_file, services.settings.db_path, empty, threading.Event())
    assert empty.count == 0  # no invoice yet: nothing, and no error
    shop = await make_shop(services)
    ids = [shop.invoice.id] + [(await services.invoices.create(shop.store.id, price="1.00")).id for _ in range(6)]
    monkeypatch.setattr(known_invoices, "FILE_BATCH", 3)  # batch edges: 3 + 3 + 1
    bloom = BloomFilter(1_000)
    await asyncio.to_thread(read_ids_file, services.settings.db_path, bloom, threading.Event())
    assert bloom.count == len(ids) and all(invoice_id in bloom for invoice_id in ids)


async def test_the_file_load_runs_beside_the_loop(services, monkeypatch):
    shop = await make_shop(services)
    for _ in range(20):
        await services.invoices.create(shop.store.id, price="1.00")
    threads: list[str] = []
    real = known_invoices.read_ids_file

    def spy(*args):
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(known_invoices, "read_ids_file", spy)
    known = KnownInvoices(services.invoices)
    known.read_file(services.settings.db_path)
    known.start()
    await known.loaded()
    await known.stop()
    assert known.ready and known.might_exist(shop.invoice.id)
    assert threads and threads[0] != threading.main_thread().name


async def test_a_stopped_load_stops_its_thread(services, monkeypatch):
    await make_shop(services)
    reads = threading.Event()
    done = threading.Event()
    real = known_invoices.read_ids_file

    def slow(db_path, bloom, cancelled):
        reads.set()
        while not cancelled.is_set():
            time.sleep(0.01)
        real(db_path, bloom, cancelled)
        done.set()

    monkeypatch.setattr(known_invoices, "read_ids_file", slow)
    known = KnownInvoices(services.invoices)
    known.read_file(services.settings.db_path)
    known.start()
    assert await asyncio.to_thread(reads.wait, 10)
    await known.stop()
    assert await asyncio.to_thread(done.wait, 10)
    assert not known.ready


async def test_without_a_file_the_service_scan_loads_it(services, tmp_path):
    shop = await make_shop(services)
    known = KnownInvoices(services.invoices)
    known.read_file(tmp_path / "absent.sqlite3")
    known.start()
    await known.loaded()
    await known.stop()
    assert known.ready and known.might_exist(shop.invoice.id)
