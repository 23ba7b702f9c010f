"""Every Electrum callback goes through CallbackHub: exceptions are logged, never propagated."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from electrum import util

from app.chain.callbacks import CallbackHub

from .conftest import wait_until


async def test_raising_callback_is_contained(electrum_runtime: Any, caplog: pytest.LogCaptureFixture) -> None:
    hub = CallbackHub()
    calls: list[tuple] = []

    def boom(*args: Any) -> None:
        calls.append(args)
        raise ValueError("handler bug")

    hub.register("redwaves_test_event", boom)
    try:
        with caplog.at_level(logging.ERROR, logger="app.chain.callbacks"):
            # triggered from Electrum's own thread, as Electrum does
            await electrum_runtime.call(util.trigger_callback, "redwaves_test_event", 1, 2)
            await wait_until(lambda: hub.failures == 1, what="failure counted")
        assert calls == [(1, 2)]
        assert hub.last_failure == "redwaves_test_event: ValueError"
        assert "handler bug" in caplog.text
        # Electrum's loop is still alive and serving
        assert await electrum_runtime.run(asyncio.sleep(0, result="alive")) == "alive"
    finally:
        hub.unregister_all()
    await electrum_runtime.call(util.trigger_callback, "redwaves_test_event", 3)
    assert calls == [(1, 2)]


async def test_subscriber_exception_does_not_stop_delivery(devnet: Any, chain_datadir: Any) -> None:
    from app.chain.watcher import ChainSettings, ChainWatcher, ConnectionChanged

    seen: list[Any] = []

    def flaky(event: Any) -> None:
        seen.append(event)
        if len(seen) == 1:
            raise RuntimeError("subscriber bug")

    watcher = ChainWatcher(ChainSettings(network="regtest", datadir=chain_datadir, server=devnet.server_string,
                                         oneserver=True))
    watcher.subscribe(flaky)
    try:
        await watcher.start()
        await wait_until(lambda: any(isinstance(e, ConnectionChanged) and e.state.connected for e in seen),
                         what="events keep coming after a subscriber error")
    finally:
        await watcher.stop()
