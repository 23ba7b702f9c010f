"""Measure one request while /health is polled on the same loop: did the server answer fast, and did the
loop stay free meanwhile? (Server and client share the test's loop, so a blocked server loop shows up
as a slow /health.) Bounds in tests are generous (CI machines are slow); bench/bench_bounds.py prints
the real figures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

REFUSED_WITHIN_S = 1.0
HEALTH_WITHIN_S = 1.0


@dataclass
class Timed:
    result: Any
    elapsed_s: float
    worst_health_s: float
    health_samples: int


async def timed_with_health(send: Callable[[], Awaitable[Any]], health: Callable[[], Awaitable[Any]]) -> Timed:
    """Run ``send`` while ``health`` is called back to back (10 ms apart); the worst /health latency counts
    every call that overlapped ``send``."""
    stop = asyncio.Event()
    samples: list[float] = []

    async def poll() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await health()
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)

    poller = asyncio.create_task(poll())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    try:
        result = await send()
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.02)  # one more /health after the refusal
    finally:
        stop.set()
        await poller
    return Timed(result, elapsed, max(samples, default=0.0), len(samples))


def health_getter(session: aiohttp.ClientSession, url: str) -> Callable[[], Awaitable[int]]:
    async def get() -> int:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as resp:
            await resp.read()
            return resp.status

    return get


def assert_fast(timed: Timed, what: str) -> None:
    assert timed.elapsed_s < REFUSED_WITHIN_S, f"{what}: answered in {timed.elapsed_s * 1000:.0f} ms"
    assert timed.health_samples >= 1, f"{what}: /health never answered meanwhile"
    assert timed.worst_health_s < HEALTH_WITHIN_S, f"{what}: /health took {timed.worst_health_s * 1000:.0f} ms"


def json_sender(client: Any, health_path: str = "/health") -> Callable[..., Awaitable[tuple[int, Any]]]:
    """``send(method, path, what, **kw)`` for an aiohttp test client: the request, timed with ``health_path``
    polled meanwhile and checked with `assert_fast`; returns (status, JSON body)."""
    async def health() -> None:
        await (await client.get(health_path)).read()

    async def send(method: str, path: str, what: str, **kw: Any) -> tuple[int, Any]:
        async def request() -> tuple[int, Any]:
            resp = await client.request(method, path, **kw)
            return resp.status, await resp.json()

        result = await timed_with_health(request, health)
        assert_fast(result, what)
        return result.result

    return send
