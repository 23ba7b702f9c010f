"""One bounded wait for the tests and benches: poll a sync or async predicate until it is truthy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def poll(predicate: Callable[[], Any], *, timeout_s: float, what: str, every_s: float,
               fail: Callable[[str], BaseException] = AssertionError) -> Any:
    """The predicate's first truthy value; raises ``fail(message)`` once ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(every_s)
