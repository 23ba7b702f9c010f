"""Issue 17 item 6: slow and idle connections, per-client caps — bounded figures on loopback.

    .venv/bin/python bench/bench_connections.py [--slow 3000] [--clients 30] [--header-timeout 10]

Starts the real public listener (create_app(public=True) through app.checkout_server.listeners.Listener,
as the app does) over real services on a temporary SQLite file, then:

1. opens ``--slow`` connections from ``--clients`` loopback addresses (127.0.1.x, at most the
   per-client cap each) that send half a request header and stop; measures how long until the
   server has closed every one, the process RSS before / at the peak / after, and the latency of a
   normal request made meanwhile (the loop stays free);
2. one address opens twice the per-client cap: how many are refused at once (503);
3. one address opens 10 more websockets than its cap: how many get 429, and whether another
   address still connects.

Client and server run in this one process (RSS counts both ends' sockets).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from app.checkout_server.connections import DEFAULT_LIMITS, ConnectionLimits  # noqa: E402
from app.checkout_server.listeners import Listener, public_listener  # noqa: E402
from tests.checkout.conftest import make_shop  # noqa: E402
from tests.services.conftest import running_services  # noqa: E402

HALF_HEADER = b"GET /modal/redwaves.js HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _one_request(port: int) -> tuple[float, int]:
    """A normal request from a fresh address: (ms, HTTP status)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.9.9", 0))
    writer.write(b"GET /modal/redwaves.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    return (time.perf_counter() - started) * 1000, int(answer.split()[1])


async def slow_headers(listener: Listener, total: int, clients: int) -> None:
    per_client = -(-total // clients)
    rss_before = rss_mb()
    conns = []
    opened_at = time.perf_counter()
    for n in range(total):
        source = f"127.0.1.{1 + n // per_client}"
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port, local_addr=(source, 0))
        writer.write(HALF_HEADER)
        conns.append((reader, writer))
    open_s = time.perf_counter() - opened_at
    await asyncio.sleep(0.2)
    guard = listener.guard
    assert guard is not None
    peak_open, rss_peak = guard.open, rss_mb()
    meanwhile = [await _one_request(listener.port) for _ in range(5)]
    closed_at: list[float] = []
    answers: dict[bytes, int] = {}

    async def wait_closed(reader: asyncio.StreamReader) -> None:
        answer = (await reader.read())[:12]
        answers[answer] = answers.get(answer, 0) + 1
        if answer.startswith(b"HTTP/1.1 408"):
            closed_at.append(time.perf_counter() - opened_at)

    await asyncio.wait_for(asyncio.gather(*(wait_closed(r) for r, _w in conns)), 120)
    for _r, writer in conns:
        writer.close()
    await asyncio.sleep(0.2)
    print(f"slow headers: {total} connections from {clients} addresses opened in {open_s:.1f} s; "
          f"{peak_open} open on the server at the peak")
    print(f"  {answers.get(b'HTTP/1.1 408', 0)} timed out (408), closed after {min(closed_at):.1f}-"
          f"{max(closed_at):.1f} s (header timeout {listener.limits.header_timeout_s:.0f} s); "
          f"{answers.get(b'HTTP/1.1 503', 0)} refused at once (503, listener cap {listener.limits.max_total}); "
          f"{guard.open} still open afterwards")
    print(f"  a normal request meanwhile: {min(ms for ms, _ in meanwhile):.1f}-{max(ms for ms, _ in meanwhile):.1f} ms, "
          f"HTTP {sorted({status for _, status in meanwhile})}")
    print(f"  RSS {rss_before:.0f} MB before, {rss_peak:.0f} MB at the peak (+{rss_peak - rss_before:.0f} MB, "
          f"both ends), {rss_mb():.0f} MB after")


async def per_client_cap(listener: Listener) -> None:
    cap = listener.limits.max_per_client
    conns = [await asyncio.open_connection("127.0.0.1", listener.port, local_addr=("127.0.2.1", 0))
             for _ in range(2 * cap)]
    started = time.perf_counter()
    answers = await asyncio.gather(*(asyncio.wait_for(r.read(64), 2.0) for r, _w in conns[cap:]))
    refused = sum(a.startswith(b"HTTP/1.1 503") for a in answers)
    ms = (time.perf_counter() - started) * 1000
    other_ms, _status = await _one_request(listener.port)
    for _r, writer in conns:
        writer.close()
    print(f"connections per client: {2 * cap} from one address -> {refused} refused (503) within {ms:.0f} ms "
          f"(cap {cap}); another address answered in {other_ms:.1f} ms")


async def websockets(listener: Listener, invoice_id: str) -> None:
    cap = DEFAULT_LIMITS.max_websockets_per_client
    url = f"http://127.0.0.1:{listener.port}/i/{invoice_id}/ws"
    greedy = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.3.1", 0), limit=0))
    other = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.3.2", 0)))
    sockets, refused = [], 0
    started = time.perf_counter()
    try:
        for _ in range(cap + 10):
            try:
                sockets.append(await greedy.ws_connect(url))
            except aiohttp.WSServerHandshakeError as exc:
                refused += exc.status == 429
        ms = (time.perf_counter() - started) * 1000
        ws = await other.ws_connect(url)
        other_ok = (await ws.receive_json(timeout=5))["status"] == "pending"
        await ws.close()
        print(f"websockets per client: {cap + 10} from one address -> {len(sockets)} open, {refused} refused (429) "
              f"in {ms:.0f} ms; another address {'connected' if other_ok else 'FAILED'}")
    finally:
        await asyncio.gather(*(s.close() for s in sockets))
        await greedy.close()
        await other.close()


async def main(args: argparse.Namespace) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * args.slow + 1000)), hard))
    with tempfile.TemporaryDirectory(prefix="redwaves-bench-conn-") as tmp:
        async with running_services(Path(tmp)) as services:
            invoice_id = (await make_shop(services, store_name="Bench")).invoice.id
            limits = ConnectionLimits(header_timeout_s=args.header_timeout, max_total=args.max_total)
            listener = public_listener(services, "127.0.0.1", 0)
            listener.limits = limits
            await listener.start()
            try:
                print(f"limits: {limits}")
                await slow_headers(listener, args.slow, args.clients)
                await per_client_cap(listener)
                await websockets(listener, invoice_id)
            finally:
                await listener.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--header-timeout", type=float, default=DEFAULT_LIMITS.header_timeout_s)
    parser.add_argument("--max-total", type=int, default=DEFAULT_LIMITS.max_total)
    asyncio.run(main(parser.parse_args()))
