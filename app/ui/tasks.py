"""Owned async tasks: every coroutine the UI starts has an owner that can cancel it.

Widgets never block on the database, the network or Electrum: they hand a coroutine to
``TaskOwner.spawn`` and get their result back through a callback on the GUI thread (the qasync loop
*is* the GUI thread). A UserFacingError is shown with ``show_error``; anything else goes to the
loop's exception handler (the crash dialog).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from app.core.errors import UserFacingError

logger = logging.getLogger(__name__)

ErrorSink = Callable[[UserFacingError], object]
T = TypeVar("T")

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


class Runner(Protocol):
    """``UiContext.run``: start ``coro`` as an owned task, ``on_done(result)`` on the GUI thread."""

    def __call__(self, coro: Coroutine[Any, Any, T], on_done: Callable[[T], object] | None = None, *,
                 name: str = "ui", parent: QWidget | None = None,
                 on_user_error: ErrorSink | None = None) -> asyncio.Task[T] | None: ...


class TaskOwner:
    def __init__(self, name: str, *, on_user_error: ErrorSink | None = None) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_user_error = on_user_error
        self._stopped = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str = "ui",
              on_done: Callable[[T], object] | None = None,
              on_user_error: ErrorSink | None = None) -> asyncio.Task[T] | None:
        """Run ``coro`` on the running loop; ``on_done(result)`` runs on success."""
        if self._stopped:
            coro.close()
            return None
        task = asyncio.get_event_loop().create_task(coro, name=f"{self._name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, on_done, on_user_error))
        return task

    def _finished(self, task: asyncio.Task[T], on_done: Callable[[T], object] | None,
                  on_user_error: ErrorSink | None) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, UserFacingError):
            sink = on_user_error or self._on_user_error
            if sink is not None:
                sink(exc)
            else:
                logger.warning("%s: %s", task.get_name(), exc)
            return
        if exc is not None:
            task.get_loop().call_exception_handler(
                {"message": f"task {task.get_name()} failed", "exception": exc, "task": task})
            return
        if on_done is not None:
            on_done(task.result())

    async def wait_idle(self, timeout_s: float = 5.0) -> None:
        """Wait until no task is running (tests, shutdown)."""
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout_s
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.01, deadline - loop.time()))

    async def stop(self, grace_s: float = 3.0) -> None:
        """Refuse new tasks, let running ones finish (short DB reads: cancelling one mid-query would
        leak its SQLite connection), then cancel what is left."""
        self._stopped = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        self._tasks.clear()
