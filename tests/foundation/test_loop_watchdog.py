"""The loop-lag watchdog (issue 17 item 1) names what blocked the event loop for more than 100 ms."""

from __future__ import annotations

import asyncio
import logging
import time

from app.loop_watchdog import LoopWatchdog


def _deliberately_slow_callback() -> None:
    time.sleep(0.3)  # blocks the loop: the watchdog thread sees this frame


async def test_a_slow_callback_is_logged_with_its_name(caplog):
    caplog.set_level(logging.WARNING, logger="app.loop_watchdog")
    watchdog = LoopWatchdog(threshold_s=0.1)
    await watchdog.start()
    try:
        await asyncio.sleep(0.12)  # quiet: nothing is logged
        assert watchdog.stalls == 0 and not caplog.records
        asyncio.get_running_loop().call_soon(_deliberately_slow_callback)
        await asyncio.sleep(0.15)
    finally:
        await watchdog.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert watchdog.stalls == 1, messages
    assert any("blocked for" in m and "_deliberately_slow_callback" in m for m in messages), messages
    total = [m for m in messages if m.startswith("event loop was blocked")]
    assert len(total) == 1 and "_deliberately_slow_callback" in total[0]
    assert 250 <= int(total[0].split()[4]) < 2000  # "event loop was blocked <ms> ms in ..."


async def test_the_runtime_runs_the_watchdog(app_runtime, caplog):
    caplog.set_level(logging.WARNING, logger="app.loop_watchdog")
    _deliberately_slow_callback()  # on the runtime's loop, inside this test coroutine
    await asyncio.sleep(0.1)
    assert any("_deliberately_slow_callback" in r.getMessage() for r in caplog.records)
