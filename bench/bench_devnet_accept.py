"""Devnet mempool acceptance cost: Mempool.accept() per transaction (script checks included).

Run: /work/main/.venv/bin/python bench/bench_devnet_accept.py
Faucet p2wpkh spends (1 input, 2 outputs), each from its own mature coinbase, accepted one by one
into a fresh mempool; reports mean and p50/p99 of accept() alone (signing is not timed).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.devnet.blocks import GENESIS_TIME  # noqa: E402
from app.devnet.faucet import Faucet, Spendable  # noqa: E402
from app.devnet.ledger import Ledger  # noqa: E402
from app.devnet.transactions import TxOut  # noqa: E402

TXS = 500
RECIPIENT = bytes.fromhex("0014") + bytes(range(20))


def main() -> int:
    ledger, faucet = Ledger(), Faucet()
    for height in range(1, TXS + 101):
        ledger.mine_block(faucet.script, GENESIS_TIME + 600 * height, height, [], 0)
    coins = sorted(ledger.spendable(faucet.scripthash), key=lambda c: ledger.chain.utxos[c.outpoint].height)
    txs = [faucet.sign_spend([Spendable(c.outpoint, c.out, True)], [TxOut(50_000, RECIPIENT)], True, 2)
           for c in coins[:TXS]]
    times_us = []
    for tx in txs:
        started = time.perf_counter()
        ledger.mempool.accept(tx)
        times_us.append((time.perf_counter() - started) * 1e6)
    ordered = sorted(times_us)
    print(f"accept() of {len(txs)} p2wpkh txs: mean {statistics.fmean(times_us):.0f} us, "
          f"p50 {ordered[len(ordered) // 2]:.0f} us, p99 {ordered[int(len(ordered) * 0.99)]:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
