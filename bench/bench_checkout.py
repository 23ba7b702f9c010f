"""P4: checkout page throughput and p99 latency vs a bare aiohttp handler, same process, same way.

    .venv/bin/python bench/bench_checkout.py [--duration 3] [--rounds 3] [--connections 64]
                                             [--mode all|page|404] [--history N]

Starts the real public listener (create_app(public=True) behind AppRunner + TCPSite, as the app does)
over real services on a temporary SQLite file, and a bare aiohttp app returning a 4 KB page through the
same Listener class. Drives both with wrk (loopback only; falls back to an aiohttp load generator when
wrk is missing) and prints requests/s, p99 and the ratio (goal >= 0.6, issue 24).

The 404 mode asks for an unknown invoice id (the same one: nothing caches misses, so it costs what
any unknown id costs), then sprays a new random 22-character id per request (a wrk Lua script, which
costs wrk CPU on the same cores: a handicap, shown for honesty), and prints req/s and p99 against the
page's (goals: no more cost than the page, p99 within 2x of the page's). ``--history N``
first fills N past invoices with bench/history_data.py, so the unknown ids meet a big table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from app.checkout_server.listeners import Listener  # noqa: E402

TPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
        "rf8ZhDYe2jWAqvZVnsc")
CPU_US: dict[str, list[float]] = {}  # the server process's CPU per request of each wrk run, per URL
UNKNOWN_ID = "unknownUnknownUnknown0"  # no negative cache exists: one unknown id costs what any other does
BARE_PAGE = ("<!doctype html><html><head><title>bare</title></head><body>" + "x" * 4000 + "</body></html>").encode()


async def _services(tmp: Path):
    from app.chain.keys import set_network
    from app.config import load_settings
    from app.db.engine import Database
    from app.services.container import build_services

    set_network("regtest")
    settings = load_settings({}, {"data_dir": tmp, "network": "regtest"})
    settings.network_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_path)
    await db.start()
    services = build_services(settings, db, None)
    await services.rates.load()
    await services.events.start()
    return services, db


async def _bare_listener() -> Listener:
    async def page(request: web.Request) -> web.Response:
        return web.Response(body=BARE_PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/page", page)
    listener = Listener(app, "127.0.0.1", 0, name="bare")
    await listener.start()
    return listener


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


RANDOM_IDS_LUA = """
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
math.randomseed(os.time())
request = function()
  local id = {}
  for i = 1, 22 do local n = math.random(1, 64); id[i] = chars:sub(n, n) end
  return wrk.format("GET", "/i/" .. table.concat(id))
end
"""


def _script_file(script: str) -> str:
    fd, name = tempfile.mkstemp(suffix=".lua", prefix="rw-bench-")
    with os.fdopen(fd, "w") as out:
        out.write(script)
    return name


async def _wrk(url: str, duration_s: int, connections: int, expect_ok: bool = True,
               script: str | None = None) -> tuple[float, float]:
    extra = ["-s", _script_file(script)] if script is not None else []
    cpu_began = time.process_time()
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--latency", "--timeout", "5s", *extra, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(process.communicate(), duration_s + 30)
    if extra:
        os.unlink(extra[1])
    text = out.decode()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    CPU_US.setdefault(url, []).append((time.process_time() - cpu_began) / max(requests, 1) * 1e6)
    p99 = _ms(re.search(r"99%\s+([\d.]+(?:us|ms|s))", text).group(1))
    if expect_ok and "Non-2xx" in text:
        raise SystemExit(f"non-2xx responses from {url}:\n{text}")
    return rps, p99


async def _aiohttp_load(url: str, duration_s: int, connections: int, expect_ok: bool = True,
                        script: str | None = None) -> tuple[float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + duration_s

    async def worker(session: ClientSession) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            target = url if script is None else url.rsplit("/", 1)[0] + "/" + secrets.token_urlsafe(16)
            async with session.get(target) as response:
                await response.read()
                assert response.status == 200 or not expect_ok
            latencies.append((time.perf_counter() - start) * 1000)

    async with ClientSession(connector=TCPConnector(limit=connections)) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return len(latencies) / duration_s, statistics.quantiles(latencies, n=100)[98]


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    if not samples:
        return 0.0, 0.0
    return statistics.median(r for r, _ in samples), statistics.median(p for _, p in samples)


async def main(duration_s: int, connections: int, mode: str, history: int, rounds: int) -> None:
    from app.checkout_server.app import create_app
    from app.checkout_server.shopper.keys import KNOWN_INVOICES

    load = _wrk if shutil.which("wrk") else _aiohttp_load
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as tmp:
        if history:
            from bench.history_data import fill_history

            filled = await fill_history(Path(tmp), lifetime=history, open_count=min(history, 1000))
            print(f"history: {history:,} invoices filled in {filled.seconds['total_s']} s")
        services, db = await _services(Path(tmp))
        wallet = await services.wallets.add_wallet("bench", TPUB)
        store = await services.stores.create("Bench Café", default_currency="USD", wallet_ids=[wallet.id])
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        invoice = await services.invoices.create(store.id, price="12.34", description="Order 1")
        app = create_app(services, public=True)
        public = Listener(app, "127.0.0.1", 0, name="public")
        await public.start()
        await app[KNOWN_INVOICES].loaded()  # the id filter is read at start (known_invoices.py)
        bare = await _bare_listener()
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "page": [], "miss": [], "spray": []}
        try:
            checkout_url = f"{public.url}/i/{invoice.id}"
            bare_url, miss_url = f"{bare.url}/page", f"{public.url}/i/{UNKNOWN_ID}"
            async with ClientSession() as session, session.get(checkout_url) as response:
                size = len(await response.read())
                assert response.status == 200
            await load(checkout_url, 1, connections)  # warm-up (QR and page caches, JIT-free but cache-hot)
            CPU_US.clear()
            for _ in range(rounds):  # interleaved rounds, medians: neighbours' load hits every figure alike
                runs["bare"].append(await load(bare_url, duration_s, connections))
                runs["page"].append(await load(checkout_url, duration_s, connections))
                if mode in ("all", "404"):
                    runs["miss"].append(await load(miss_url, duration_s, connections, False))
                    runs["spray"].append(await load(f"{public.url}/i/x", duration_s, connections, False,
                                                    script=RANDOM_IDS_LUA))
        finally:
            await bare.stop()
            await public.stop()
            await services.events.stop()
            await db.stop()
    (bare_rps, bare_p99), (page_rps, page_p99), (miss_rps, miss_p99), (spray_rps, spray_p99) = (
        _median(runs[name]) for name in ("bare", "page", "miss", "spray"))
    print(f"load generator: {load.__name__.strip('_')}, {connections} connections, {duration_s} s each, loopback, "
          f"medians of {rounds} interleaved rounds")
    print(f"bare aiohttp 4 KB page   : {bare_rps:9.0f} req/s   p99 {bare_p99:7.2f} ms")
    print(f"checkout page ({size / 1024:.0f} KB)   : {page_rps:9.0f} req/s   p99 {page_p99:7.2f} ms")
    ratio = page_rps / bare_rps
    rounds_text = ", ".join(f"{p / b:.2f}" for (b, _), (p, _) in zip(runs["bare"], runs["page"], strict=True))
    print(f"P4 ratio checkout/bare   : {ratio:.2f}  (goal >= 0.6: {'PASS' if ratio >= 0.6 else 'FAIL'}; "
          f"rounds {rounds_text})")
    if CPU_US:  # less sensitive to neighbours than req/s: what one request costs this process
        costs = {name: statistics.median(CPU_US.get(url, [0.0])) for name, url in (
            ("bare", bare_url), ("page", checkout_url), ("404", miss_url))}
        print(f"server CPU per request   : bare {costs['bare']:.0f} µs, page {costs['page']:.0f} µs, "
              f"404 {costs['404']:.0f} µs (medians; bare/page {costs['bare'] / costs['page']:.2f})")
    if miss_rps:
        print(f"unknown id (404)         : {miss_rps:9.0f} req/s   p99 {miss_p99:7.2f} ms")
        print(f"unknown ids, random (Lua): {spray_rps:9.0f} req/s   p99 {spray_p99:7.2f} ms  (wrk's Lua costs it CPU)")
        cost = miss_rps >= page_rps * 0.95  # 5%: the run-to-run noise of wrk on a shared machine
        tail = miss_p99 <= 2 * page_p99
        print(f"404 vs page              : {miss_rps / page_rps:.2f}x req/s (goal: no more cost, >= 0.95x: "
              f"{'PASS' if cost else 'FAIL'}), p99 {miss_p99 / page_p99:.2f}x (goal <= 2x: {'PASS' if tail else 'FAIL'}); "
              f"random ids {spray_rps / page_rps:.2f}x req/s, p99 {spray_p99 / page_p99:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds per measurement (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, medians printed (default 3)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--mode", choices=("all", "page", "404"), default="all")
    parser.add_argument("--history", type=int, default=0, help="past invoices to fill first (default none)")
    args = parser.parse_args()
    asyncio.run(main(args.duration, args.connections, args.mode, args.history, args.rounds))
