"""Loop-lag watchdog: logs every stretch the event loop is blocked longer than ``threshold_s``, with the
name of what blocked it.

The loop schedules a heartbeat every ``interval_s``; a watcher thread notices when the heartbeat is
late by more than ``threshold_s`` and logs (WARNING, once per stall) the function the loop thread is
running at that moment, from its Python stack (``sys._current_frames``): the innermost frames of our
code (``app.``) first, else the innermost frames. When the heartbeat comes back, the stall's total
length is logged. Nothing runs in the loop besides the tiny heartbeat, so it is cheap enough to be on
always; it works on any asyncio loop (plain asyncio for headless, qasync for the window).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from types import FrameType

logger = logging.getLogger(__name__)

APP_PREFIX = "app/"


def _describe(frame: FrameType | None, depth: int = 3) -> str:
    """'module.function (file:line) < caller < ...' for the innermost frames, ours first."""
    if frame is None:
        return "unknown"
    stack = traceback.extract_stack(frame)
    ours = [f for f in stack if f"/{APP_PREFIX}" in f.filename.replace("\\", "/")
            and not f.filename.endswith("loop_watchdog.py")]
    chosen = (ours or list(stack))[-depth:]
    parts = [f"{entry.name} ({_short(entry.filename)}:{entry.lineno})" for entry in reversed(chosen)]
    return " < ".join(parts)


def _short(filename: str) -> str:
    path = filename.replace("\\", "/")
    index = path.rfind(f"/{APP_PREFIX}")
    return path[index + 1:] if index >= 0 else path.rsplit("/", 2)[-1]


class LoopWatchdog:
    """A component (start/stop) of the runtime; ``stalls`` counts the stalls seen (for tests and /health)."""

    def __init__(self, threshold_s: float = 0.1, interval_s: float = 0.05) -> None:
        self.threshold_s = threshold_s
        self.interval_s = interval_s
        self.stalls = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._last_beat = 0.0
        self._blocked_in: tuple[float, str] | None = None  # (the late beat's stamp, what the watcher saw)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._last_beat = time.monotonic()
        self._stop.clear()
        self._timer = self._loop.call_later(self.interval_s, self._beat)
        self._thread = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 1.0)
            self._thread = None

    def _beat(self) -> None:
        now = time.monotonic()
        lag_s = now - self._last_beat - self.interval_s
        seen, self._blocked_in = self._blocked_in, None
        if lag_s > self.threshold_s:
            self.stalls += 1
            name = seen[1] if seen is not None and seen[0] == self._last_beat else (
                "a callback that finished before the watchdog looked (a C call holding the GIL, or another thread)")
            logger.warning("event loop was blocked %.0f ms in %s", lag_s * 1000, name)
        self._last_beat = now
        if self._loop is not None and not self._stop.is_set():
            self._timer = self._loop.call_later(self.interval_s, self._beat)

    def _watch(self) -> None:
        step_s = min(self.interval_s, self.threshold_s) / 2
        while not self._stop.wait(step_s):
            beat = self._last_beat
            late_s = time.monotonic() - beat - self.interval_s
            if late_s <= self.threshold_s or (self._blocked_in is not None and self._blocked_in[0] == beat):
                continue  # on time, or this stall was already reported
            frame = sys._current_frames().get(self._loop_thread) if self._loop_thread is not None else None
            where = _describe(frame)
            self._blocked_in = (beat, where)
            logger.warning("event loop blocked for %.0f ms so far in %s", late_s * 1000, where)
