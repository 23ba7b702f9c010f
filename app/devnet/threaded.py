"""The devnet on its own thread and event loop, as a real Electrum server would be elsewhere.

Embedded in the app (`serve --devnet`, the GUI's offline demo), the devnet must not share the app's
loop: under qasync (the GUI) its socket writes to Electrum could sit in Qt's notifier queue, and its
block and transaction work would count as GUI lag. `ThreadedDevnet` runs a `Devnet` on a private
loop thread and offers the same API: coroutine methods are awaited across loops, plain methods and
properties are called on the devnet's thread and wait for the answer.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from app.devnet.devnet import Devnet

CALL_TIMEOUT_S = 30.0


class ThreadedDevnet:
    def __init__(self, **devnet_kwargs: Any) -> None:
        self._kwargs = devnet_kwargs
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
        except BaseException as exc:  # noqa: BLE001 - reported to start()'s caller
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(None)
        loop.run_forever()
        loop.close()

    async def stop(self) -> None:
        if self._loop is None or self._devnet is None:
            return
        await self._call_async(self._devnet.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, CALL_TIMEOUT_S)
        self._loop = None

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

    async def mine(self, n: int = 1, to_address: str | None = None) -> list[str]:
        assert self._devnet is not None, "start the devnet first"
        hashes: list[str] = await self._call_async(self._devnet.mine, n, to_address)
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
