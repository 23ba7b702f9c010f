"""kill -9 of a RedWaves process paying from a hot wallet, at each step (after build, after the record
before broadcast, after broadcast before its status), then a restart: each payout is paid exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from app.chain.keys import derive_addresses, parse_wallet_keys
from app.core.payouts import SETTLED_CONFIRMATIONS
from app.devnet import Devnet
from app.devnet.addresses import address_to_script, scripthash

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


async def child(data_dir: Path, server: str, *args: str, killed: bool = False) -> Any:
    """Run the child to its end (or its SIGKILL) without blocking this loop: the devnet serves on it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDWAVES_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.test_payouts_child", str(data_dir), server, *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    stdout, stderr = out.decode(), err.decode()
    if killed:
        assert proc.returncode == -9, f"expected SIGKILL, got {proc.returncode}: {stderr[-3000:]}"
        return None
    assert proc.returncode == 0, f"child {args[0]} failed ({proc.returncode}): {stderr[-3000:]}"
    return json.loads(stdout.strip().splitlines()[-1])


def payments_to(devnet: Devnet, address: str) -> list[tuple[str, int, int]]:
    """(txid, height, sat) of every transaction on the devnet (mined or in the mempool) paying ``address``."""
    script = address_to_script(address)
    found = []
    for item in devnet.ledger.history(scripthash(script)):
        tx = devnet.transaction(item.txid)
        found += [(item.txid, item.height, out.value) for out in tx.tx.vout if bytes(out.script_pubkey.data) == script]
    return found


def status_of(db: Path, payout_id: str) -> tuple[str, str | None, str | None]:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        row = conn.execute("SELECT p.status, t.status, t.txid FROM payouts p LEFT JOIN payout_txs t "
                           "ON t.id = p.payout_tx_id WHERE p.id = ?", (payout_id,)).fetchone()
    return row[0], row[1], row[2]


async def test_kill9_at_each_step_pays_exactly_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    db = data_dir / "regtest" / "redwaves.sqlite3"
    dests = derive_addresses(parse_wallet_keys(
        "vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc",
        "regtest"), 50, 6)
    async with Devnet() as devnet:
        server = devnet.server_string
        setup = await child(data_dir, server, "setup")
        for address in setup["fund"]:
            await devnet.pay(address, 100_000)
        await devnet.mine(1)
        wallet, store = setup["wallet_id"], setup["store_id"]
        recorded: dict[str, str | None] = {}
        for n, step in enumerate(("built", "recorded", "broadcast")):
            pair = dests[2 * n:2 * n + 2]
            ids = await child(data_dir, server, "payouts", wallet, store, "20000", *pair)
            await child(data_dir, server, "pay", step, *ids, killed=True)
            payout_status, tx_status, txid = status_of(db, ids[0])
            if step == "built":  # nothing recorded, nothing sent: paying again is safe
                assert (payout_status, tx_status) == ("approved", None)
                assert all(payments_to(devnet, a) == [] for a in pair)
                await child(data_dir, server, "pay", "none", *ids)
            elif step == "recorded":  # recorded, never sent: the restart sends the SAME transaction
                assert (payout_status, tx_status) == ("in_progress", "signed") and txid
                assert all(payments_to(devnet, a) == [] for a in pair)
            else:  # sent, not marked: the restart finds it in the mempool
                assert (payout_status, tx_status) == ("in_progress", "signed") and txid
                assert [t for t, _h, _v in payments_to(devnet, pair[0])] == [txid]
            report = await child(data_dir, server, "resume", "broadcast", *ids)
            assert set(report["payouts"].values()) == {"broadcast"}
            [(tx_state, resumed_txid)] = report["txs"].values()
            assert tx_state == "broadcast"
            if txid is not None:
                assert resumed_txid == txid  # the recorded transaction, not a new one
            recorded[step] = resumed_txid
            for address in pair:
                assert [(t, v) for t, _h, v in payments_to(devnet, address)] == [(resumed_txid, 20_000)]
            print(f"kill -9 after {step}: paid once by {resumed_txid}")
        await devnet.mine(SETTLED_CONFIRMATIONS)  # final at the default settled depth
        report = await child(data_dir, server, "resume", "confirmed", *_payout_ids(db))
        assert set(report["payouts"].values()) == {"confirmed"}
        for address in dests:
            paid = payments_to(devnet, address)
            assert len(paid) == 1 and paid[0][1] > 0 and paid[0][2] == 20_000, (address, paid)
        assert len(set(recorded.values())) == 3


def _payout_ids(db: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM payouts ORDER BY created_at")]
