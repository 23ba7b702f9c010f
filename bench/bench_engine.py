"""Payment-engine benchmarks (issue: Payment engine). One command, figures printed.

    .venv/bin/python bench/bench_engine.py            # P1, P2, P3 and P6
    .venv/bin/python bench/bench_engine.py p1         # just one

P1  invoice creation through the service vs Electrum 4.3.4's create_request and JSON-RPC add_request
P2  flat growth: the last 1,000 of 50,000 invoices (10,000 open) vs the first 1,000
P3  devnet broadcast -> InvoiceStatusChanged latency with 10,000 open invoices (p50, p99)
P6  RSS with 10,000 open invoices watched
P8  cost that does not grow with history: 1,000 / 100,000 / 1,000,000 lifetime invoices with 1,000 open
    (bench/history_data.py fills SQLite; a first start builds the Electrum side the app would hold,
    then a fresh process restarts): restart to ready, to synced, RSS, payment->event latency in the
    first minute after the restart, and the 1M/1k ratios against the goals (<= 1.2x, RSS < 250 MB,
    synced < 3 s). `bench_engine.py p8 1000 100000` runs chosen sizes.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")

VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
        "rf8ZhDYe2jWAqvZVnsc")


def _settings(tmp: str, devnet: bool):
    from app.config import load_settings

    return load_settings({}, {"data_dir": Path(tmp), "network": "regtest", "devnet": devnet, "private_port": 0,
                              "daemon_port": 0, "log_level": "warning"})


async def _runtime(tmp: str, *, devnet: bool):
    from app.logs import configure_logging
    from app.runtime import Runtime

    settings = _settings(tmp, devnet)
    configure_logging(settings.log_dir, "warning")
    runtime = Runtime(settings)
    await runtime.start()
    services = runtime.services
    wallet = await services.wallets.add_wallet("bench", VPUB, gap_limit=20)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Bench", default_currency="USD", wallet_ids=[wallet.id], speed_policy=1)
    return runtime, store


async def _create(services, store_id: str, n: int, concurrency: int) -> float:
    queue = iter(range(n))

    async def worker() -> None:
        for _ in queue:
            await services.invoices.create(store_id, price="10.00")

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - began)


async def p1(n: int = 2000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        runtime, store = await _runtime(tmp, devnet=False)
        try:
            sequential = await _create(runtime.services, store.id, n, 1)
            concurrent = await _create(runtime.services, store.id, n, 16)
        finally:
            await runtime.stop()
    done = await asyncio.to_thread(subprocess.run, [sys.executable, str(ROOT / "bench" / "electrum_baseline.py"),
                                                    "300", "300"], capture_output=True, text=True, check=True,
                                   timeout=600)
    baseline = json.loads(done.stdout.strip().splitlines()[-1])
    rpc = baseline["jsonrpc_add_request_per_s"]
    return {"redwaves_sequential_per_s": round(sequential, 1), "redwaves_16_concurrent_per_s": round(concurrent, 1),
            "electrum_create_request_per_s": baseline["create_request_per_s"],
            "electrum_jsonrpc_add_request_per_s": rpc,
            "ratio_vs_jsonrpc": round(sequential / rpc, 1),
            # synchronous=FULL: one fsync per sequential commit bounds the single-client rate; group commit
            # lets concurrent clients share it.
            "goal_500_per_s_met": max(sequential, concurrent) >= 500, "goal_10x_jsonrpc_met": sequential >= 10 * rpc}


async def p2(total: int = 50_000, open_target: int = 10_000, chunk: int = 1000) -> dict:
    from sqlalchemy import func, select, update

    from app.db.models import InvoiceRow

    with tempfile.TemporaryDirectory() as tmp:
        runtime, store = await _runtime(tmp, devnet=False)
        services = runtime.services
        rates = []
        try:
            for _ in range(total // chunk):
                rates.append(await _create(services, store.id, chunk, 1))
                # the shop settles its oldest invoices, so about `open_target` stay open
                async with services.writer.transaction() as session:
                    pending = await session.scalar(select(func.count()).where(InvoiceRow.status == "pending"))
                    if pending > open_target:
                        oldest = (select(InvoiceRow.id).where(InvoiceRow.status == "pending")
                                  .order_by(InvoiceRow.created_at).limit(pending - open_target))
                        await session.execute(update(InvoiceRow).where(InvoiceRow.id.in_(oldest))
                                              .values(status="complete", monitored=False))
        finally:
            await runtime.stop()
    first, last = rates[0], rates[-1]
    return {"first_1000_per_s": round(first, 1), "last_1000_per_s": round(last, 1),
            "cost_ratio_last_vs_first": round(first / last, 2), "goal_met": first / last <= 1.5}


class ExternalDevnet:
    """The devnet in its own process (as a real Electrum server would be), paid over its HTTP control."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "devnet", "--port", "0", "--control-port", "0"],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.server = self.control = None
        while self.server is None or self.control is None:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("devnet did not start")
            if line.startswith("Electrum server:"):
                self.server = line.split(":", 1)[1].strip()
            elif line.startswith("Control URL:"):
                self.control = line.split(":", 1)[1].strip()

    async def pay(self, session, address: str, sat: int) -> None:
        async with session.post(f"{self.control}/pay", json={"address": address, "sat": sat}) as resp:
            resp.raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.proc.stdout.close()


async def p3_p6(open_invoices: int = int(os.environ.get("P3_OPEN", "10000")), samples: int = 60) -> dict:
    import aiohttp

    from app.core.statuses import InvoiceStatus
    from app.logs import configure_logging
    from app.runtime import Runtime

    devnet = ExternalDevnet()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from app.config import load_settings

            settings = load_settings({}, {"data_dir": Path(tmp), "network": "regtest", "private_port": 0,
                                          "electrum_server": devnet.server, "log_level": "warning",
                                          "daemon_port": 0})
            configure_logging(settings.log_dir, "warning")
            runtime = Runtime(settings)
            await runtime.start()
            services = runtime.services
            wallet = await services.wallets.add_wallet("bench", VPUB)
            store = await services.stores.create("Bench", default_currency="BTC", wallet_ids=[wallet.id])
            try:
                invoices = [await services.invoices.create(store.id, price="0.0001") for _ in range(open_invoices)]
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    state = runtime.chain.state()
                    if state.synced and state.pending_requests == 0:
                        break
                    await asyncio.sleep(0.2)
                await asyncio.sleep(2)
                waiting: dict[str, asyncio.Future] = {}

                def on_event(event) -> None:
                    if event.type == "invoice.status_changed" and event.payload.get("new_status") == InvoiceStatus.PAID:
                        fut = waiting.pop(event.invoice_id, None)
                        if fut is not None and not fut.done():
                            fut.set_result(time.perf_counter())

                services.events.subscribe(on_event)
                latencies = []
                async with aiohttp.ClientSession() as session:
                    for invoice in invoices[:samples]:
                        fut = asyncio.get_running_loop().create_future()
                        waiting[invoice.id] = fut
                        began = time.perf_counter()
                        await devnet.pay(session, invoice.address, invoice.amount_due_sat)
                        done = await asyncio.wait_for(fut, 30)
                        latencies.append((done - began) * 1000)
                        await asyncio.sleep(0.05)
                rss_mb = _rss_mb()
            finally:
                await runtime.stop()
    finally:
        devnet.stop()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {"P3_open_invoices": open_invoices, "P3_samples": samples, "P3_p50_ms": round(p50, 1),
            "P3_p99_ms": round(p99, 1), "P3_goal_met": p50 < 50 and p99 < 250,
            "P6_rss_mb": round(rss_mb, 1), "P6_goal_met": rss_mb < 300}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(which: list[str]) -> None:
    from bench.bench_history import p8

    if which[:1] == ["p8"] and len(which) > 1:  # chosen sizes: bench_engine.py p8 1000 1000000
        began = time.perf_counter()
        result = await p8(tuple(int(n) for n in which[1:]))
        print(json.dumps({"bench": "P8", **result, "seconds": round(time.perf_counter() - began, 1)}), flush=True)
        return
    benches = {"p1": p1, "p2": p2, "p3": p3_p6, "p8": p8}
    for name in which or list(benches):
        began = time.perf_counter()
        result = await benches[name]()
        print(json.dumps({"bench": name.upper(), **result, "seconds": round(time.perf_counter() - began, 1)}),
              flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
