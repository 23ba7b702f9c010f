"""P8 of bench/bench_engine.py: restart cost against the shop's history (issue 24).

    .venv/bin/python bench/bench_engine.py p8                  # 1,000 / 100,000 / 1,000,000 lifetime
    .venv/bin/python bench/bench_engine.py p8 1000 100000      # chosen sizes

For each lifetime (1,000 open, the newest): bench/history_data.py fills a data directory; a devnet
runs in its own process (as a real Electrum server would); a first `Runtime` start on that directory
builds the Electrum side the real app holds (the watch set: monitored invoices + look-ahead), synced,
then stopped. Two restarts follow, each a FRESH process (its RSS is the app's, not the filler's);
the second is the one in the table (the first's figures are in the JSON as `first_restart_*`: on the
first row it also pays for cold OS caches), paying other, still unpaid open invoices:

- ready: `Runtime.start()` returned (server listening, wallets open, watch set subscribed);
- synced: then until `chain.state()` is synced with no request pending;
- RSS after synced;
- latency: one payment is sent the moment the runtime is ready (before synced), then one after
  another for the rest of the first minute (at most SAMPLES), each devnet payment -> the invoice's
  `invoice.status_changed` to paid on the event bus: p50 / p99 / max.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")

LIFETIMES = (1_000, 100_000, 1_000_000)
OPEN = 1_000
SAMPLES = 100
FIRST_MINUTE_S = 60.0
GOAL_RATIO, GOAL_RSS_MB, GOAL_SYNCED_S = 1.2, 250.0, 3.0


def _settings(data_dir: Path, server: str):
    from app.config import load_settings

    return load_settings({}, {"data_dir": data_dir, "network": "regtest", "private_port": 0, "daemon_port": 0,
                              "electrum_server": server, "electrum_oneserver": True, "log_level": "warning"})


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _until_synced(runtime, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = runtime.chain.state()
        if state.connected and state.synced and state.pending_requests == 0:
            return
        await asyncio.sleep(0.005)
    raise RuntimeError("not synced in time")


async def child(phase: str, data_dir: Path, server: str, control: str, samples: list[tuple[str, str, int]]) -> dict:
    """One RedWaves process: `prime` (first start, sync, stop) or `restart` (the measured one)."""
    import aiohttp

    from app.core.statuses import InvoiceStatus
    from app.logs import configure_logging
    from app.runtime import Runtime

    settings = _settings(data_dir, server)
    configure_logging(settings.log_dir, "warning")
    began = time.perf_counter()
    runtime = Runtime(settings)
    await runtime.start()
    ready_s = time.perf_counter() - began
    if phase == "prime":
        await _until_synced(runtime)
        await runtime.stop()
        return {"prime_synced_s": round(time.perf_counter() - began, 2)}
    seen: dict[str, asyncio.Future[float]] = {}

    def on_event(event) -> None:
        if event.type == "invoice.status_changed" and event.payload.get("new_status") == InvoiceStatus.PAID:
            fut = seen.get(event.invoice_id)
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())

    runtime.services.events.subscribe(on_event)
    latencies: list[float] = []
    try:
        async with aiohttp.ClientSession() as http:
            async def pay(invoice_id: str, address: str, sat: int) -> float:
                fut = seen[invoice_id] = asyncio.get_running_loop().create_future()
                sent = time.perf_counter()
                async with http.post(f"{control}/pay", json={"address": address, "sat": sat}) as resp:
                    resp.raise_for_status()
                return (await asyncio.wait_for(fut, 60)) - sent

            first = asyncio.create_task(pay(*samples[0]))  # right after the restart, before synced
            await _until_synced(runtime)
            synced_s = time.perf_counter() - began - ready_s
            rss_mb = _rss_mb()
            latencies.append(await first)
            for sample in samples[1:]:
                if time.perf_counter() - began > FIRST_MINUTE_S:
                    break
                latencies.append(await pay(*sample))
                await asyncio.sleep(0.05)
    finally:
        await runtime.stop()
    ms = sorted(x * 1000 for x in latencies)
    rest = sorted(x * 1000 for x in latencies[1:]) or ms
    return {"ready_s": round(ready_s, 3), "synced_s": round(synced_s, 3), "rss_mb": round(rss_mb, 1),
            "first_payment_ms": round(latencies[0] * 1000, 1), "samples": len(ms),
            "p50_ms": round(statistics.median(ms), 1), "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "max_ms": round(ms[-1], 1), "after_first_p99_ms": round(rest[min(len(rest) - 1, int(len(rest) * 0.99))], 1)}


async def _run_child(phase: str, data_dir: Path, devnet, samples_file: Path) -> dict:
    done = await asyncio.to_thread(subprocess.run, [sys.executable, str(Path(__file__)), "child", phase, str(data_dir),
                                                    devnet.server, devnet.control, str(samples_file)],
                                   capture_output=True, text=True, timeout=900, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"P8 {phase} child failed: {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _samples(data_dir: Path, invoice_ids: list[str], skip: int = 0) -> list[tuple[str, str, int]]:
    from app.config import load_settings

    db = load_settings({}, {"data_dir": data_dir, "network": "regtest"}).db_path
    wanted = invoice_ids[skip:skip + SAMPLES]  # unpaid open invoices
    with sqlite3.connect(db) as conn:
        found = {i: (i, a, s) for i, a, s in conn.execute(
            f"SELECT id, address, amount_due_sat FROM invoices WHERE id IN ({','.join('?' * len(wanted))})", wanted)}
    return [found[i] for i in wanted]


async def one_size(lifetime: int) -> dict:
    from bench.bench_engine import ExternalDevnet
    from bench.history_data import fill_history

    with tempfile.TemporaryDirectory(prefix="rw-p8-") as tmp:
        data_dir = Path(tmp) / "data"
        began = time.perf_counter()
        filled = await fill_history(data_dir, lifetime=lifetime, open_count=OPEN)
        fill_s = time.perf_counter() - began
        samples_file = Path(tmp) / "samples.json"
        samples_file.write_text(json.dumps(_samples(data_dir, filled.open_invoice_ids)))
        devnet = await asyncio.to_thread(ExternalDevnet)
        try:
            prime = await _run_child("prime", data_dir, devnet, samples_file)
            cold = await _run_child("restart", data_dir, devnet, samples_file)
            samples_file.write_text(json.dumps(_samples(data_dir, filled.open_invoice_ids, skip=SAMPLES)))
            measured = await _run_child("restart", data_dir, devnet, samples_file)
        finally:
            await asyncio.to_thread(devnet.stop)
    return {"lifetime": lifetime, "open": OPEN, "fill_s": round(fill_s, 1), **prime,
            **{f"first_restart_{k}": cold[k] for k in ("ready_s", "synced_s", "rss_mb", "first_payment_ms")}, **measured}


def _table(rows: list[dict]) -> str:
    head = (f"{'lifetime':>10} {'open':>5} {'fill s':>7} {'ready s':>8} {'synced s':>9} {'RSS MB':>7} "
            f"{'1st pay ms':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'n':>4} {'p99 after 1st':>13}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['lifetime']:>10,} {r['open']:>5,} {r['fill_s']:>7.1f} {r['ready_s']:>8.3f} "
                     f"{r['synced_s']:>9.3f} {r['rss_mb']:>7.1f} {r['first_payment_ms']:>10.1f} {r['p50_ms']:>7.1f} "
                     f"{r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} {r['samples']:>4} {r['after_first_p99_ms']:>13.1f}")
    return "\n".join(lines)


async def p8(lifetimes: tuple[int, ...] = LIFETIMES) -> dict:
    rows = [await one_size(n) for n in lifetimes]
    print(_table(rows), flush=True)
    small, big = rows[0], rows[-1]
    restart = {r["lifetime"]: r["ready_s"] + r["synced_s"] for r in rows}
    ratios = {"restart_to_synced": round(restart[big["lifetime"]] / restart[small["lifetime"]], 2),
              "rss": round(big["rss_mb"] / small["rss_mb"], 2),
              "p99": round(big["p99_ms"] / small["p99_ms"], 2)}
    goals = {"ratio_time_le_1_2": ratios["restart_to_synced"] <= GOAL_RATIO, "ratio_rss_le_1_2": ratios["rss"] <= GOAL_RATIO,
             "rss_lt_250_mb": all(r["rss_mb"] < GOAL_RSS_MB for r in rows),
             "synced_lt_3_s": all(r["synced_s"] < GOAL_SYNCED_S for r in rows)}
    print(f"ratio {big['lifetime']:,} / {small['lifetime']:,}: restart-to-synced {ratios['restart_to_synced']}x, "
          f"RSS {ratios['rss']}x, p99 {ratios['p99']}x; goals: "
          + ", ".join(f"{k} {'MET' if v else 'NOT MET'}" for k, v in goals.items()), flush=True)
    return {"rows": rows, "ratio": ratios, "goals": goals}


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        phase, data_dir, server, control, samples = sys.argv[2:7]
        wanted = [tuple(x) for x in json.loads(Path(samples).read_text())]
        print(json.dumps(asyncio.run(child(phase, Path(data_dir), server, control, wanted))), flush=True)
    else:
        asyncio.run(p8(tuple(int(n) for n in sys.argv[1:]) or LIFETIMES))
