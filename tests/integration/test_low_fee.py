"""Low-fee payments (issue 18 item 3) on `redwaves serve` against the devnet over TCP: the devnet's
fee estimate is 50 sat/vB; a 1 sat/vB payment to a speed-policy-0 store is held at `paid` until it
confirms, its fee rate is recorded and the merchant is told once; a 60 sat/vB one completes at 0-conf."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from app.devnet import Devnet
from tests.integration.helpers import prepare_invoices
from tests.integration.test_crash_recovery import _close, _start, _until
from tests.integration.test_on_time_offline import _rows, _status

pytestmark = pytest.mark.slow



def _fee(db: Path, txid: str) -> tuple:
    rows = _rows(db, "SELECT fee_sat, vsize, low_fee FROM payments WHERE txid = ?", txid)
    return rows[0] if rows else (None, None, None)


async def test_one_sat_per_vbyte_payment_is_held_at_paid_while_the_estimate_is_50(tmp_path):
    data_dir = tmp_path / "data"
    cheap, normal = await prepare_invoices(data_dir, 2, speed_policy=0)
    db = data_dir / "regtest" / "redwaves.sqlite3"
    async with Devnet(fee_rate_sat_vb=50) as devnet:
        proc = _start(data_dir, devnet.server_string)
        try:
            cheap_txid = await devnet.pay(cheap.address, cheap.amount_due_sat, fee_rate=1)
            normal_txid = await devnet.pay(normal.address, normal.amount_due_sat, fee_rate=60)
            await _until(lambda: _status(db, normal.id)[0] == "complete" and _fee(db, cheap_txid)[0] is not None,
                         20, "the 60 sat/vB payment completes, the 1 sat/vB one is measured")
            await asyncio.sleep(1.0)  # a held payment must stay held
            assert _status(db, cheap.id) == ("paid", "none")
            fee_sat, vsize, low = _fee(db, cheap_txid)
            assert low == 1 and fee_sat == vsize  # 1 sat/vB
            n_fee, n_vsize, n_low = _fee(db, normal_txid)
            assert n_low == 0 and n_fee >= 60 * n_vsize - 1
            await devnet.mine(1)
            await _until(lambda: _status(db, cheap.id)[0] == "complete", 20, "held payment completes once mined")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            _close(proc)
    events = [(t, json.loads(p)) for t, p in _rows(db, "SELECT type, payload FROM outbox_events WHERE invoice_id = ?",
                                                    cheap.id)]
    low_fee = [p for t, p in events if t == "payment.low_fee"]
    assert len(low_fee) == 1 and low_fee[0]["txid"] == cheap_txid and low_fee[0]["fee_rate_sat_vb"] == "1.0"
    assert not [t for t, _ in _rows(db, "SELECT type, payload FROM outbox_events WHERE invoice_id = ?", normal.id)
                if t == "payment.low_fee"]
