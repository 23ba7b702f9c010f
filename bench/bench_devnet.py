"""Devnet benchmark: 10,000 subscriptions on one connection, pay -> notification latency, 1,000-tx block.

Run: /work/main/.venv/bin/python bench/bench_devnet.py
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.devnet import Devnet  # noqa: E402
from app.devnet.addresses import address_to_script, p2wpkh_address, scripthash  # noqa: E402

SUBSCRIPTIONS = 10_000
LATENCY_SAMPLES = 300
BLOCK_TXS = 1_000
GOAL_P50_MS = 5.0
GOAL_MINE_S = 1.0
TIMEOUT_S = 30.0


class Client:
    """Raw protocol client; a reader task timestamps every notification."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.replies: dict[int, asyncio.Future[object]] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.notified = 0
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.reader.readline():
            message = json.loads(line)
            now = time.perf_counter()
            for item in message if isinstance(message, list) else [message]:
                if "id" in item and item["id"] in self.replies:
                    self.replies.pop(item["id"]).set_result(item)
                elif item.get("method") == "blockchain.scripthash.subscribe":
                    self.notified += 1
                    waiter = self.waiters.pop(item["params"][0], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(now)

    async def batch(self, calls: list[tuple[int, str, list[object]]]) -> list[object]:
        loop = asyncio.get_running_loop()
        futures = [self.replies.setdefault(i, loop.create_future()) for i, _, _ in calls]
        self.writer.write(json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                                      for i, m, p in calls]).encode() + b"\n")
        return await asyncio.wait_for(asyncio.gather(*futures), TIMEOUT_S)

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def main() -> int:
    addresses = [p2wpkh_address(hashlib.sha256(b"bench%d" % i).digest()[:20]) for i in range(SUBSCRIPTIONS)]
    shs = [scripthash(address_to_script(a)) for a in addresses]
    async with Devnet(premine_blocks=200) as devnet:
        reader, writer = await asyncio.open_connection("127.0.0.1", devnet.port, limit=2**24)
        client = Client(reader, writer)
        try:
            started = time.perf_counter()
            for offset in range(0, SUBSCRIPTIONS, 1_000):
                await client.batch([(i, "blockchain.scripthash.subscribe", [shs[i]])
                                    for i in range(offset, min(offset + 1_000, SUBSCRIPTIONS))])
            subscribe_s = time.perf_counter() - started
            print(f"subscribed {SUBSCRIPTIONS:,} scripthashes on one connection in {subscribe_s * 1000:.0f} ms")

            latencies_ms = []
            for i in range(LATENCY_SAMPLES):
                waiter = client.waiters[shs[i]] = asyncio.get_running_loop().create_future()
                t0 = time.perf_counter()
                await devnet.pay(addresses[i], 10_000 + i)
                latencies_ms.append((await asyncio.wait_for(waiter, TIMEOUT_S) - t0) * 1000)
            p50, p99 = percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99)
            print(f"pay -> scripthash notification over loopback ({LATENCY_SAMPLES} payments): "
                  f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, mean {statistics.fmean(latencies_ms):.2f} ms "
                  f"(goal p50 < {GOAL_P50_MS} ms: {'met' if p50 < GOAL_P50_MS else 'NOT met'})")
            await devnet.mine(1)

            started = time.perf_counter()
            for i in range(BLOCK_TXS):
                await devnet.pay(addresses[LATENCY_SAMPLES + i], 5_000 + i)
            fill_s = time.perf_counter() - started
            print(f"{BLOCK_TXS:,} faucet payments into the mempool in {fill_s:.2f} s "
                  f"({BLOCK_TXS / fill_s:,.0f} tx/s)")
            last = shs[LATENCY_SAMPLES + BLOCK_TXS - 1]
            await asyncio.sleep(0.2)  # let the client drain mempool notifications first
            waiter = client.waiters[last] = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            [block_hash] = await devnet.mine(1)
            mine_s = time.perf_counter() - started
            notified_s = await asyncio.wait_for(waiter, TIMEOUT_S) - started
            block = devnet.ledger.chain.tip
            assert block.hash == block_hash and len(block.txs) == BLOCK_TXS + 1
            print(f"mined a block of {len(block.txs) - 1:,} transactions in {mine_s * 1000:.0f} ms, "
                  f"last subscriber notified after {notified_s * 1000:.0f} ms "
                  f"(goal < {GOAL_MINE_S:.0f} s: {'met' if mine_s < GOAL_MINE_S else 'NOT met'})")
            print(f"notifications received: {client.notified:,}")
            return 0 if p50 < GOAL_P50_MS and mine_s < GOAL_MINE_S else 1
        finally:
            await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
