"""The cost of the Idempotency-Key check on invoice creation (issue 18, item 1). Figures printed.

    .venv/bin/python bench/bench_idempotency.py [n] [concurrency]

One Runtime (no chain), one run: POST /api/v1/stores/{id}/invoices over real HTTP on 127.0.0.1,
n invoices without a key and n with a fresh `Idempotency-Key` each, interleaved in rounds so both
see the same database size and machine load; then n replays of stored keys. Prints invoices/s for
each and the ratio with/without.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BODY = {"price": "10.00"}


async def _post(session: aiohttp.ClientSession, url: str, headers: dict[str, str], n: int, concurrency: int,
                keys: list[str] | None) -> float:
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            extra = {"Idempotency-Key": keys[i]} if keys is not None else {}
            async with session.post(url, json=BODY, headers=headers | extra) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"{resp.status}: {await resp.text()}")
                await resp.read()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


async def run(n: int = 1000, concurrency: int = 8, rounds: int = 4) -> dict[str, object]:
    from bench.bench_engine import _runtime

    with tempfile.TemporaryDirectory() as tmp:
        runtime, store = await _runtime(tmp, devnet=False)
        try:
            key = (await runtime.services.apikeys.bootstrap()).key.reveal()
            url = f"{runtime.urls['private']}/api/v1/stores/{store.id}/invoices"
            headers = {"Authorization": f"Bearer {key}"}
            plain_s = keyed_s = 0.0
            used: list[str] = []
            async with aiohttp.ClientSession() as session:
                await _post(session, url, headers, 50, concurrency, None)  # warm-up
                per_round = n // rounds
                for _ in range(rounds):
                    plain_s += await _post(session, url, headers, per_round, concurrency, None)
                    keys = [str(uuid.uuid4()) for _ in range(per_round)]
                    keyed_s += await _post(session, url, headers, per_round, concurrency, keys)
                    used += keys
                replay_s = await _post(session, url, headers, len(used), concurrency, used)
        finally:
            await runtime.stop()
    total = per_round * rounds
    plain, keyed, replay = total / plain_s, total / keyed_s, len(used) / replay_s
    return {"invoices": total, "concurrency": concurrency, "without_key_per_s": round(plain, 1),
            "with_key_per_s": round(keyed, 1), "ratio_with_over_without": round(keyed / plain, 3),
            "replays_per_s": round(replay, 1)}


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps({"bench": "IDEMPOTENCY", **asyncio.run(run(*args))}), flush=True)
