"""On time while RedWaves was offline (issue 18 item 2): `redwaves serve` is SIGKILLed before expiry,
the shopper pays while it is down, expiry passes, it restarts. A payment mined in a block whose header
timestamp is before expires_at was broadcast in time (not paid_late); one mined after it is paid_late."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import load_settings
from app.db.engine import Database
from app.db.models import InvoiceRow
from app.devnet import Devnet
from tests.integration.helpers import prepare_invoices
from tests.integration.test_crash_recovery import _close, _start, _until

pytestmark = pytest.mark.slow
EXPIRY_S = 900
SHIFT_S = 960  # while RedWaves is down, the invoices' clocks move back: expiry was 60 s ago


def _rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _status(db: Path, invoice_id: str) -> tuple[str, str]:
    return _rows(db, "SELECT status, exception_status FROM invoices WHERE id = ?", invoice_id)[0]



async def _let_expiry_pass(data_dir: Path) -> datetime:
    """Move every invoice's timeline back by SHIFT_S (RedWaves is not running); returns expires_at."""
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    db = Database(settings.db_path)
    await db.start()
    shift = timedelta(seconds=SHIFT_S)
    assert db.sessions is not None
    async with db.sessions() as session, session.begin():
        for row in (await session.scalars(select(InvoiceRow))).all():
            row.created_at -= shift
            row.expires_at -= shift
            row.monitoring_until -= shift
    await db.stop()
    rows = _rows(settings.db_path, "SELECT expires_at FROM invoices LIMIT 1")
    return datetime.fromisoformat(rows[0][0]).replace(tzinfo=UTC)


async def test_payment_mined_before_expiry_while_offline_is_on_time(tmp_path):
    data_dir = tmp_path / "data"
    on_time, late = await prepare_invoices(data_dir, 2, speed_policy=1, expiry_s=EXPIRY_S)
    db = data_dir / "regtest" / "redwaves.sqlite3"
    async with Devnet() as devnet:
        proc = _start(data_dir, devnet.server_string)  # RedWaves watches both addresses, then dies
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        _close(proc)
        assert _status(db, on_time.id) == _status(db, late.id) == ("pending", "none")
        expires_at = await _let_expiry_pass(data_dir)
        assert expires_at < datetime.now(UTC)
        paid_in_time = await devnet.pay(on_time.address, on_time.amount_due_sat)
        await devnet.mine(1, time=int((expires_at - timedelta(seconds=120)).timestamp()))
        paid_after = await devnet.pay(late.address, late.amount_due_sat)
        await devnet.mine(1)  # the control: mined now, after expiry
        proc = _start(data_dir, devnet.server_string)
        try:
            try:
                await _until(lambda: _status(db, on_time.id)[0] == _status(db, late.id)[0] == "complete",
                             20, "both invoices complete after restart")
            except AssertionError:
                raise AssertionError(f"{_status(db, on_time.id)} {_status(db, late.id)} "
                                     f"{_rows(db, 'SELECT * FROM payments')}") from None
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            _close(proc)
    assert _status(db, on_time.id) == ("complete", "none")
    assert _status(db, late.id) == ("complete", "paid_late")
    stored = dict(_rows(db, "SELECT txid, block_time FROM payments"))
    in_time_block = datetime.fromisoformat(stored[paid_in_time]).replace(tzinfo=UTC)
    assert in_time_block == expires_at.replace(microsecond=0) - timedelta(seconds=120)
    first_seen = _rows(db, "SELECT first_seen_at FROM payments WHERE txid = ?", paid_in_time)[0][0]
    assert datetime.fromisoformat(first_seen).replace(tzinfo=UTC) > expires_at  # first seen late, yet on time
    assert datetime.fromisoformat(stored[paid_after]).replace(tzinfo=UTC) > expires_at
