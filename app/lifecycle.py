"""One owner starts components in order and stops them in reverse, within a deadline.

The runtime's components, a group of listeners and the services inside `Services` all use this one
mechanism (nested `Lifecycle`s are components too); `Deferred` builds a component at its turn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class Component(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class Lifecycle:
    def __init__(self, stop_timeout_s: float = 5.0) -> None:
        self._components: list[tuple[str, Component]] = []
        self._started: list[tuple[str, Component]] = []
        self._stop_timeout_s = stop_timeout_s

    def add(self, name: str, component: Component) -> None:
        self._components.append((name, component))

    async def start(self) -> None:
        for name, component in self._components:
            logger.debug("starting %s", name)
            try:
                await component.start()
            except BaseException:
                logger.error("%s failed to start; stopping what was started", name)
                await self.stop()
                raise
            self._started.append((name, component))
        logger.info("started: %s", ", ".join(n for n, _ in self._started))

    async def stop(self) -> None:
        """Stop in reverse order; each component gets a share of the deadline, errors are logged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._stop_timeout_s
        while self._started:
            name, component = self._started.pop()
            remaining = max(0.5, deadline - loop.time())
            try:
                await asyncio.wait_for(component.stop(), timeout=remaining)
                logger.debug("stopped %s", name)
            except TimeoutError:
                logger.error("%s did not stop within %.1f s", name, remaining)
            except Exception:
                logger.exception("%s failed while stopping", name)


class Deferred:
    """A component built only when its turn comes (it needs what earlier ones started)."""

    def __init__(self, build: Callable[[], Component]) -> None:
        self._build = build
        self._component: Component | None = None

    async def start(self) -> None:
        self._component = self._build()
        await self._component.start()

    async def stop(self) -> None:
        if self._component is not None:
            await self._component.stop()


async def cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel a component's background tasks, wait until each has ended, and empty the list."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()
