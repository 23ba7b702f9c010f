"""SIGKILL RedWaves while deliveries wait for a receiver that is down (webhook HTTP server, SMTP server);
restart with the receiver up: each delivery row arrives, none is planned twice, the log says delivered."""

from __future__ import annotations

import json
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from app.config import load_settings
from app.db.engine import Database
from app.devnet import Devnet
from app.services.container import Services, build_services
from tests.api.conftest import Receiver
from tests.integration.helpers import prepare_invoices
from tests.integration.test_crash_recovery import _close, _rows, _start, _until
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.slow
OWNER = "owner@example.com"


async def _set_up(data_dir: Path, configure: Callable[[Services, str], Awaitable[None]], n: int) -> list[str]:
    """A store, `configure(services, store_id)`, then n invoices: their events wait in the outbox."""
    await prepare_invoices(data_dir, 0, speed_policy=1)
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    db = Database(settings.db_path)
    await db.start()
    services = build_services(settings, db, None)
    await services.rates.load()
    [store] = await services.stores.list()
    await configure(services, store.id)
    invoices = [(await services.invoices.create(store.id, price="1.00")).id for _ in range(n)]
    await db.stop()
    return invoices


async def _kill_while_pending_then_restart(data_dir: Path, table: str, receiver_up: Callable[[], Awaitable[None]],
                                           n: int) -> None:
    db = data_dir / "regtest" / "redwaves.sqlite3"
    async with Devnet() as devnet:
        proc = _start(data_dir, devnet.server_string)
        try:
            tried = f"SELECT id FROM {table} WHERE status = 'pending' AND attempts >= 1"
            await _until(lambda: len(_rows(db, tried)) == n, 20, "every delivery attempted once")
        finally:
            proc.kill()
            proc.wait(timeout=10)
            _close(proc)
        await receiver_up()
        proc = _start(data_dir, devnet.server_string)
        try:
            delivered = f"SELECT id FROM {table} WHERE status = 'delivered'"
            await _until(lambda: len(_rows(db, delivered)) == n, 40, "all delivered after the restart")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            _close(proc)
    assert len(_rows(db, f"SELECT id FROM {table}")) == n  # nothing planned twice


async def test_webhooks_survive_sigkill(tmp_path):
    receiver = Receiver()
    await receiver.start()
    await receiver.stop()  # its port is now closed: the receiver is down

    async def configure(services: Services, store_id: str) -> None:
        saved = await services.webhooks.create(store_id, receiver.url, event_types=["invoice.created"])
        receiver.secret = saved.secret.reveal() if saved.secret else ""

    invoices = await _set_up(tmp_path, configure, 3)
    try:
        await _kill_while_pending_then_restart(tmp_path, "webhook_deliveries", receiver.start, 3)
    finally:
        await receiver.stop()
    ids = {row[0] for row in _rows(tmp_path / "regtest" / "redwaves.sqlite3", "SELECT id FROM webhook_deliveries")}
    assert {r["delivery"] for r in receiver.received} == ids and all(r["valid"] for r in receiver.received)
    assert {json.loads(r["body"])["invoice"]["id"] for r in receiver.received} == set(invoices)


async def test_emails_survive_sigkill(tmp_path, smtp):
    port = free_port()
    inboxes = []

    async def configure(services: Services, store_id: str) -> None:
        await services.email.configure(store_id, {"host": "127.0.0.1", "port": port, "mode": "plain",
                                                  "from_address": "shop@example.com", "merchant_to": [OWNER]})
        await services.notifications.configure(store_id, {"rules": [{"on": ["invoice.created"], "notify": ["email"]}]})

    async def smtp_up() -> None:
        inboxes.append((await smtp.start(port=port))[0])

    invoices = await _set_up(tmp_path, configure, 3)
    await _kill_while_pending_then_restart(tmp_path, "notification_deliveries", smtp_up, 3)
    messages = inboxes[0].to(OWNER)
    assert len(messages) == 3 and all(any(i in m["Subject"] for m in messages) for i in invoices)
