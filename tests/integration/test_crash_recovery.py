"""SIGKILL RedWaves while payments and confirmations happen; restart; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.devnet import Devnet
from tests.integration.helpers import prepare_invoices

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]



def _start(data_dir: Path, server: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDWAVES_")}
    env.update(REDWAVES_DATA_DIR=str(data_dir), REDWAVES_ELECTRUM_SERVER=server, REDWAVES_ELECTRUM_ONESERVER="1")
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--network", "regtest", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line or re.search(r"private\s+http://", line):
            break
    assert proc.poll() is None, "redwaves serve exited"
    return proc


def _close(proc: subprocess.Popen) -> None:
    proc.stdout.close()


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


async def _until(check, timeout_s: float, what: str) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        if check():
            return time.monotonic() - began
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _status(db: Path, invoice_id: str) -> tuple[str, str]:
    return _rows(db, "SELECT status, exception_status FROM invoices WHERE id = ?", invoice_id)[0]


async def test_sigkill_then_restart_reconciles_without_losing_or_doubling_events(tmp_path):
    data_dir = tmp_path / "data"
    a, b, c = await prepare_invoices(data_dir, 3, speed_policy=1)
    db = data_dir / "regtest" / "redwaves.sqlite3"
    async with Devnet() as devnet:
        proc = _start(data_dir, devnet.server_string)
        try:
            await devnet.pay(a.address, a.amount_due_sat)
            await _until(lambda: _status(db, a.id)[0] == "paid", 20, "A paid")
        finally:
            proc.kill()
            proc.wait(timeout=10)
            _close(proc)
        # While RedWaves is dead: A confirms, B is paid and confirmed, C is paid partially.
        await devnet.mine(1)
        await devnet.pay(b.address, b.amount_due_sat)
        await devnet.pay(c.address, c.amount_due_sat // 2)
        await devnet.mine(1)
        proc = _start(data_dir, devnet.server_string)
        try:
            took = await _until(lambda: _status(db, a.id)[0] == "complete" and _status(db, b.id)[0] == "complete"
                                and _status(db, c.id) == ("pending", "paid_partial"), 10, "statuses after restart")
            await asyncio.sleep(1.5)  # let any duplicate work show up before counting events
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            _close(proc)
    assert proc.returncode == 0
    assert took < 10
    seqs = [r[0] for r in _rows(db, "SELECT seq FROM outbox_events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1)), "outbox sequence has a gap"
    events = _rows(db, "SELECT invoice_id, type, payload FROM outbox_events ORDER BY seq")
    for invoice in (a, b, c):
        mine = [(t, json.loads(p)) for i, t, p in events if i == invoice.id]
        assert [t for t, _ in mine].count("invoice.created") == 1
        received = [p["txid"] for t, p in mine if t == "payment.received"]
        assert len(received) == len(set(received)) == 1
        transitions = [(p["old_status"], p["new_status"]) for t, p in mine if t == "invoice.status_changed"]
        assert len(transitions) == len(set(transitions)), f"duplicate transition for {invoice.id}: {transitions}"
    a_path = [(p["old_status"], p["new_status"]) for i, t, p in
              ((i, t, json.loads(p)) for i, t, p in events) if i == a.id and t == "invoice.status_changed"]
    assert a_path == [("pending", "paid"), ("paid", "complete")]
