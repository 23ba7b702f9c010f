"""The devnet on its own thread and event loop, as a real Electrum server would be elsewhere.

Embedded in the app (`serve --devnet`, the GUI's offline demo), the devnet must not share the app's
loop: under qasync (the GUI) its socket writes to Electrum could sit in Qt's notifier queue, and its
block and transaction work would count as GUI lag. `ThreadedDevnet` runs a `Devnet` on a private
loop thread and offers the same API: coroutine methods are awaited across loops, plain methods and
properties are called on the devnet's thread and wait for the answer. With ``control_port`` it also
serves the HTTP control endpoint (``redwaves devnet pay``, docs/devnet.md) on that thread.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from app.devnet.control_server import ControlServer
from app.devnet.devnet import Devnet

logger = logging.getLogger(__name__)

CALL_TIMEOUT_S = 30.0


class ThreadedDevnet:
    def __init__(self, *, control_port: int | None = None, **devnet_kwargs: Any) -> None:
        self._kwargs = devnet_kwargs
        self._control_port = control_port
        self._control: ControlServer | None = None
        self._devnet: Devnet | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="devnet", daemon=True)
        self._thread.start()
        await asyncio.wrap_future(ready)

    def _run(self, ready: Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._devnet = Devnet(**self._kwargs)
            loop.run_until_complete(self._devnet.start())
            if self._control_port is not None:
                loop.run_until_complete(self._start_control(self._devnet, self._control_port))
        except BaseException as exc:  # noqa: BLE001 - reported to start()'s caller
            if self._devnet is not None:
                loop.run_until_complete(self._devnet.stop())
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(None)
        loop.run_forever()
        loop.close()

    async def _start_control(self, devnet: Devnet, port: int) -> None:
        try:
            control = ControlServer(devnet, port=port)
            await control.start()
        except OSError as exc:  # taken since the port was chosen: any free one rather than no demo at all
            logger.warning("devnet control port %d unavailable (%s); using a free port", port, exc)
            control = ControlServer(devnet, port=0)
            await control.start()
        self._control = control

    async def stop(self) -> None:
        if self._loop is None or self._devnet is None:
            return
        if self._control is not None:
            await self._call_async(self._control.stop)
        await self._call_async(self._devnet.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, CALL_TIMEOUT_S)
        self._loop = None

    @property
    def control_url(self) -> str | None:
        """The control endpoint's URL once started with ``control_port``, else None."""
        control = self.__dict__.get("_control")
        return control.url if control is not None else None

    async def _call_async(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(fn(*args, **kwargs), self._loop))

    def _call_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        assert self._loop is not None

        async def call() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(CALL_TIMEOUT_S)

    async def pay(self, address: str, sat: int, rbf: bool = True, fee_rate: int | None = None) -> str:
        assert self._devnet is not None, "start the devnet first"
        txid: str = await self._call_async(self._devnet.pay, address, sat, rbf, fee_rate)
        return txid

    async def mine(self, n: int = 1, to_address: str | None = None, time: int | None = None) -> list[str]:
        assert self._devnet is not None, "start the devnet first"
        hashes: list[str] = await self._call_async(self._devnet.mine, n, to_address, time)
        return hashes

    def __getattr__(self, name: str) -> Any:
        devnet = self.__dict__.get("_devnet")
        if devnet is None:
            raise AttributeError(name)
        if isinstance(getattr(type(devnet), name, None), property):
            return self._call_sync(lambda: getattr(devnet, name))
        attribute = getattr(devnet, name)
        if inspect.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self._call_async(attribute, *args, **kwargs)
        if callable(attribute):
            return lambda *args, **kwargs: self._call_sync(attribute, *args, **kwargs)
        return attribute
