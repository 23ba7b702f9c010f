"""What the child processes of the kill -9 tests share (tests/integration/test_payouts_child.py,
tests/lightning/merchant_child.py): the real Runtime against the test's devnet, started and stopped
around the child's work, and a bounded wait. ``app`` is imported only when called: the child's
``__main__`` sets the network first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any


def child_settings(data_dir: str, server: str, **extra: Any) -> Any:
    """regtest Settings on ``data_dir`` with the devnet's Electrum server only, private API on port 0."""
    from app.config import load_settings

    return load_settings({}, {"data_dir": Path(data_dir), "network": "regtest", "electrum_server": server,
                              "electrum_oneserver": True, "private_port": 0, **extra})


@asynccontextmanager
async def started_runtime(data_dir: str, server: str, **extra: Any) -> AsyncIterator[Any]:
    """The started Runtime (``extra``: more settings); stopped on exit, also after an error."""
    from app.runtime import Runtime

    runtime = Runtime(child_settings(data_dir, server, **extra))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


async def synced(runtime: Any) -> bool:
    state = runtime.chain.state()
    return bool(state.connected and state.synced)
