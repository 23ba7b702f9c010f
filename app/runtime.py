"""Everything headless mode and the GUI share: instance lock, database, chain, services, listeners.

Components start in this order and stop in reverse (app.lifecycle.Lifecycle):
lock -> [devnet] -> database -> chain -> event bus -> engine -> listeners.
"""

from __future__ import annotations

import logging
from typing import Any

from app.config import Settings
from app.db.engine import Database
from app.instance_lock import InstanceLock
from app.lifecycle import Lifecycle
from app.services.container import Services, build_services

logger = logging.getLogger(__name__)


class _LockComponent:
    def __init__(self, lock: InstanceLock) -> None:
        self._lock = lock

    async def start(self) -> None:
        self._lock.acquire()

    async def stop(self) -> None:
        self._lock.release()


class _Deferred:
    """A component built only when its turn comes (it needs what earlier ones started)."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._component: Any = None

    async def start(self) -> None:
        self._component = self._build()
        await self._component.start()

    async def stop(self) -> None:
        if self._component is not None:
            await self._component.stop()


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lifecycle = Lifecycle(stop_timeout_s=5.0)
        self.db = Database(settings.db_path)
        self.services: Services | None = None
        self.devnet: Any = None
        self.chain: Any = None
        self.listeners: list[Any] = []

    @property
    def urls(self) -> dict[str, str]:
        return {listener.name: listener.url for listener in self.listeners if listener.port is not None}

    async def start(self) -> None:
        s = self.settings
        s.network_dir.mkdir(parents=True, exist_ok=True)
        lc = self.lifecycle
        lc.add("instance lock", _LockComponent(InstanceLock(s.lock_path)))
        if s.devnet:
            lc.add("devnet", _Deferred(self._build_devnet))
        lc.add("database", self.db)
        lc.add("chain", _Deferred(self._build_chain))
        lc.add("services", _Deferred(self._build_services))
        lc.add("listeners", _Deferred(self._build_listeners))
        await lc.start()

    async def stop(self) -> None:
        await self.lifecycle.stop()

    def _build_devnet(self) -> Any:
        from app.devnet import Devnet

        self.devnet = Devnet(datadir=self.settings.network_dir / "devnet")
        return self.devnet

    def _electrum_server(self) -> tuple[str | None, bool]:
        if self.devnet is not None:
            return self.devnet.server_string, True
        return self.settings.electrum_server, self.settings.electrum_oneserver

    def _build_chain(self) -> Any:
        from app.chain.keys import set_network
        from app.chain.watcher import ChainSettings, ChainWatcher

        set_network(self.settings.network)
        server, oneserver = self._electrum_server()
        chain_settings = ChainSettings(
            network=self.settings.network, datadir=self.settings.electrum_dir, server=server,
            oneserver=oneserver, proxy=self.settings.electrum_proxy,
        )
        self.chain = ChainWatcher(chain_settings, on_event=self._on_chain_event)
        return self.chain

    def _on_chain_event(self, event: Any) -> None:
        if self.services is not None:
            self.services.engine.on_chain_event(event)

    def _build_services(self) -> Any:
        services = build_services(self.settings, self.db, self.chain, invoice_url=self._invoice_url)
        services.devnet = self.devnet
        self.services = services
        return services

    def _invoice_url(self, invoice_id: str) -> str | None:
        base = self.urls.get("public") or self.urls.get("private")
        return f"{base}/i/{invoice_id}" if base else None

    def _build_listeners(self) -> Any:
        from app.checkout_server.listeners import private_listener, public_listener

        assert self.services is not None
        s = self.settings
        self.listeners = [private_listener(self.services, s.private_host, s.private_port)]
        if s.public_enabled:
            self.listeners.append(public_listener(self.services, s.public_host, s.public_port))
        return _Group(self.listeners)


class _Group:
    def __init__(self, components: list[Any]) -> None:
        self._components = components
        self._started: list[Any] = []

    async def start(self) -> None:
        for component in self._components:
            try:
                await component.start()
            except BaseException:
                await self.stop()
                raise
            self._started.append(component)

    async def stop(self) -> None:
        while self._started:
            await self._started.pop().stop()
