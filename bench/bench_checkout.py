"""P4: checkout page throughput and p99 latency vs a bare aiohttp handler, same process, same way.

    .venv/bin/python bench/bench_checkout.py [--duration 5] [--connections 64]

Starts the real public listener (create_app(public=True) behind AppRunner + TCPSite, as the app does)
over real services on a temporary SQLite file, and a bare aiohttp app returning a 4 KB page through the
same Listener class. Drives both with wrk (loopback only; falls back to an aiohttp load generator when
wrk is missing) and prints requests/s, p99 and the ratio (goal >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from app.checkout_server.listeners import Listener, public_listener  # noqa: E402

TPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
        "rf8ZhDYe2jWAqvZVnsc")
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


async def _wrk(url: str, duration_s: int, connections: int, expect_ok: bool = True) -> tuple[float, float]:
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--latency", "--timeout", "5s", url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(process.communicate(), duration_s + 30)
    text = out.decode()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+(?:us|ms|s))", text).group(1))
    if expect_ok and "Non-2xx" in text:
        raise SystemExit(f"non-2xx responses from {url}:\n{text}")
    return rps, p99


async def _aiohttp_load(url: str, duration_s: int, connections: int, expect_ok: bool = True) -> tuple[float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + duration_s

    async def worker(session: ClientSession) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200 or not expect_ok
            latencies.append((time.perf_counter() - start) * 1000)

    async with ClientSession(connector=TCPConnector(limit=connections)) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return len(latencies) / duration_s, statistics.quantiles(latencies, n=100)[98]


async def main(duration_s: int, connections: int) -> None:
    load = _wrk if shutil.which("wrk") else _aiohttp_load
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as tmp:
        services, db = await _services(Path(tmp))
        wallet = await services.wallets.add_wallet("bench", TPUB)
        store = await services.stores.create("Bench Café", default_currency="USD", wallet_ids=[wallet.id])
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        invoice = await services.invoices.create(store.id, price="12.34", description="Order 1")
        public = public_listener(services, "127.0.0.1", 0)
        await public.start()
        bare = await _bare_listener()
        try:
            checkout_url = f"{public.url}/i/{invoice.id}"
            async with ClientSession() as session, session.get(checkout_url) as response:
                size = len(await response.read())
                assert response.status == 200
            await load(checkout_url, 1, connections)  # warm-up (QR and page caches, JIT-free but cache-hot)
            bare_rps, bare_p99 = await load(f"{bare.url}/page", duration_s, connections)
            page_rps, page_p99 = await load(checkout_url, duration_s, connections)
            miss_rps, miss_p99 = await load(f"{public.url}/i/unknownunknownunknown0", duration_s, connections, False)
        finally:
            await bare.stop()
            await public.stop()
            await services.events.stop()
            await db.stop()
    print(f"load generator: {load.__name__.strip('_')}, {connections} connections, {duration_s} s each, loopback")
    print(f"bare aiohttp 4 KB page   : {bare_rps:9.0f} req/s   p99 {bare_p99:7.2f} ms")
    print(f"checkout page ({size / 1024:.0f} KB)   : {page_rps:9.0f} req/s   p99 {page_p99:7.2f} ms")
    print(f"unknown invoice (404)    : {miss_rps:9.0f} req/s   p99 {miss_p99:7.2f} ms")
    ratio = page_rps / bare_rps
    print(f"P4 ratio checkout/bare   : {ratio:.2f}  (goal >= 0.5: {'PASS' if ratio >= 0.5 else 'FAIL'})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement (default 5)")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    asyncio.run(main(args.duration, args.connections))
