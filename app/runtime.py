"""Everything headless mode and the GUI share: instance lock, database, tor, chain, services, listeners.

Components start in this order and stop in reverse (app.lifecycle.Lifecycle):
lock -> [devnet] -> database -> [tor] -> chain -> services -> listeners -> [onion].
The public listener and tor are guarded: a bad port, certificate or a missing tor binary is
reported (GUI, /health) while the private listener, the engine and the window keep running.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from app.config import Settings
from app.db.engine import Database
from app.instance_lock import InstanceLock
from app.lifecycle import Lifecycle
from app.services.container import Services, build_services

logger = logging.getLogger(__name__)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class _Onion:
    """Points the onion service at the listener tor should serve (after the listeners are up)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def start(self) -> None:
        target = self._runtime.onion_target
        if self._runtime.tor is not None and target is not None and target.port is not None:
            await self._runtime.tor.publish("127.0.0.1", target.port)

    async def stop(self) -> None:
        return None


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lifecycle = Lifecycle(stop_timeout_s=5.0)
        self.db = Database(settings.db_path)
        self.services: Services | None = None
        self.devnet: Any = None
        self.chain: Any = None
        self.tor: Any = None
        self.listeners: list[Any] = []
        self.public_guard: Any = None  # Guarded public listener: .error says why it is not serving
        self.daemon_guard: Any = None
        self.onion_target: Any = None
        self.certificate: Any = None  # CertificateInfo of the public TLS certificate
        self._tor_socks_port = _free_port() if settings.tor_enabled and settings.tor_mode == "launch" else None
        self._devnet_port = _free_port() if settings.devnet else None  # known before the chain is built
        from app.net.proxy import OutboundPolicy

        self.outbound = OutboundPolicy(tor_socks=self._tor_socks, tor_only=settings.tor_only)
        self._chain_started = False

    @property
    def urls(self) -> dict[str, str]:
        urls = {listener.name: listener.url for listener in self.listeners if listener.port is not None}
        if self.tor is not None and getattr(self.tor, "onion_url", None):
            urls["onion"] = self.tor.onion_url
        return urls

    def _tor_socks(self) -> str | None:
        if self.tor is not None and getattr(self.tor, "socks_address", None):
            return self.tor.socks_address
        if self._tor_socks_port is not None:
            return f"127.0.0.1:{self._tor_socks_port}"
        return self.settings.tor_socks

    def start_chain_loop(self) -> None:
        """Start Electrum's loop thread now: the GUI calls this before qasync takes over."""
        self._ensure_chain().start_loop()

    async def start(self) -> None:
        s = self.settings
        s.network_dir.mkdir(parents=True, exist_ok=True)
        lc = self.lifecycle
        lc.add("instance lock", _LockComponent(InstanceLock(s.lock_path)))
        if s.devnet:
            lc.add("devnet", _Deferred(self._build_devnet))
        lc.add("database", self.db)
        if s.tor_enabled:
            lc.add("tor", _Deferred(self._build_tor))
        lc.add("chain", _Deferred(self._start_chain))
        lc.add("services", _Deferred(self._build_services))
        lc.add("listeners", _Deferred(self._build_listeners))
        if s.backup_dir is not None:
            lc.add("backups", _Deferred(self._build_backups))
        if s.tor_enabled:
            lc.add("onion", _Onion(self))
        await lc.start()

    async def stop(self) -> None:
        await self.lifecycle.stop()
        if self.chain is not None and not self._chain_started:
            await self.chain.stop()  # its loop thread was started early (GUI) but start() never ran

    # -- builders ------------------------------------------------------------------------------
    def _build_devnet(self) -> Any:
        from app.devnet.threaded import ThreadedDevnet

        # its own thread and loop: never on the app's (GUI) loop, like a real Electrum server
        self.devnet = ThreadedDevnet(port=self._devnet_port or 0, datadir=self.settings.network_dir / "devnet")
        return self.devnet

    def _build_tor(self) -> Any:
        from app.net.tor import TorOptions, TorService
        from app.secrets import SecretStore

        s = self.settings
        password = SecretStore(s.network).get("tor_control_password") if s.tor_mode == "attach" else None
        options = TorOptions(
            enabled=True, mode=s.tor_mode, tor_cmd=s.tor_cmd, data_dir=s.network_dir / "tor",
            socks_port=self._tor_socks_port or 0, control_address=s.tor_control, control_password=password,
            socks_address=s.tor_socks, onion_port=s.tor_onion_port,
            extra_config={"DisableNetwork": "1"} if s.tor_disable_network else {},
        )
        self.tor = TorService(options, SecretStore(s.network))
        return self.tor

    def _ensure_chain(self) -> Any:
        if self.chain is None:
            from app.chain.keys import set_network
            from app.chain.watcher import ChainSettings, ChainWatcher

            set_network(self.settings.network)
            server, oneserver = self.settings.electrum_server, self.settings.electrum_oneserver
            if self._devnet_port is not None:
                server, oneserver = f"127.0.0.1:{self._devnet_port}:t", True
            chain_settings = ChainSettings(
                network=self.settings.network, datadir=self.settings.electrum_dir, server=server,
                oneserver=oneserver, proxy=self.outbound.electrum_proxy(configured=self.settings.electrum_proxy),
            )
            self.chain = ChainWatcher(chain_settings, on_event=self._on_chain_event)
        return self.chain

    def _start_chain(self) -> Any:
        chain = self._ensure_chain()
        self._chain_started = True
        return chain

    def _on_chain_event(self, event: Any) -> None:
        if self.services is not None:
            self.services.engine.on_chain_event(event)
            if self.services.daemon is not None:
                self.services.daemon.events.on_chain_event(event)

    def _build_services(self) -> Any:
        from app.checkout_server.exposure import EXTRAS_KEY, Exposure, parse_trusted_proxies
        from app.net.tor import tor_health

        s = self.settings
        connector_factory = None
        if s.tor_only:
            connector_factory = self.outbound.connector_factory("https://tor-only.invalid")
        services = build_services(s, self.db, self.chain, invoice_url=self._invoice_url,
                                  connector_factory=connector_factory)
        services.devnet = self.devnet
        services.extras["runtime_urls"] = lambda: self.urls
        services.extras["outbound"] = self.outbound
        services.extras["backup"] = lambda path, passphrase: self.backup_service().create(path, passphrase)
        from app.services.pos import build_pos_service

        services.extras["pos"] = build_pos_service(services)
        proxies = [p.strip() for p in s.trusted_proxies.split(",") if p.strip()]
        services.extras[EXTRAS_KEY] = Exposure(parse_trusted_proxies(proxies), onion_url=self._onion_url)
        if self.tor is not None:
            services.extras["tor"] = self.tor
        services.health_sources.append(lambda: {"tor": tor_health(self.tor)})
        services.health_sources.append(self._listener_health)
        self.services = services
        return services

    def _onion_url(self) -> str | None:
        tor = self.tor
        return tor.onion_url if tor is not None and getattr(tor, "onion_up", False) else None

    def _invoice_url(self, invoice_id: str) -> str | None:
        urls = self.urls
        base = urls.get("public") or urls.get("onion") or urls.get("private")
        return f"{base}/i/{invoice_id}" if base else None

    def _listener_health(self) -> dict[str, Any]:
        public: dict[str, Any] = {"enabled": self.settings.public_enabled}
        if self.public_guard is not None and self.public_guard.error is not None:
            public["error"] = {"code": self.public_guard.error.code, "message": self.public_guard.error.message}
        if self.certificate is not None:
            public["tls_fingerprint_sha256"] = self.certificate.fingerprint_sha256
        report: dict[str, Any] = {"public_listener": public}
        if self.daemon_guard is not None and self.daemon_guard.error is not None:
            report["daemon_listener"] = {"error": {"code": self.daemon_guard.error.code,
                                                   "message": self.daemon_guard.error.message}}
        return report

    def _build_listeners(self) -> Any:
        from app.checkout_server.listeners import ListenerError, private_listener, public_listener
        from app.core.errors import UserFacingError
        from app.net.guarded import Guarded

        assert self.services is not None
        s = self.settings
        components: list[Any] = []
        self.listeners = [private_listener(self.services, s.private_host, s.private_port)]
        components.append(self.listeners[0])
        if s.public_enabled:
            self.public_guard = Guarded(
                "public listener",
                lambda: self._add(public_listener(self.services, s.public_host, s.public_port, ssl_context=self._tls())),
                errors=(UserFacingError, ListenerError))
            components.append(self.public_guard)
        if self.services.daemon is not None:
            from app.checkout_server.daemon.app import daemon_listener

            self.daemon_guard = Guarded("daemon listener",
                                        lambda: self._add(daemon_listener(self.services.daemon, "127.0.0.1",
                                                                          s.daemon_port)),
                                        errors=(UserFacingError, ListenerError))
            components.append(self.daemon_guard)
        if s.tor_enabled:
            # tor gets its own plain-HTTP loopback listener serving the shopper routes only
            self.onion_target = public_listener(self.services, "127.0.0.1", 0)
            self.onion_target.name = "onion-target"
            self.listeners.append(self.onion_target)
            components.append(self.onion_target)
        return _Group(components)

    def backup_service(self) -> Any:
        from app.config import default_config_path
        from app.secrets import SecretStore
        from app.services.backup import BackupService

        s = self.settings
        return BackupService(network=s.network, network_dir=s.network_dir, db_path=s.db_path,
                             electrum_dir=s.electrum_dir, config_path=default_config_path(s.data_dir),
                             secrets=SecretStore(s.network))

    def _build_backups(self) -> Any:
        from app.secrets import SecretStore
        from app.services.backup import BackupScheduler

        s = self.settings
        assert s.backup_dir is not None and self.services is not None
        scheduler = BackupScheduler(self.backup_service(), SecretStore(s.network), s.backup_dir, keep=s.backup_keep,
                                    interval_s=s.backup_interval_s)
        self.services.extras["backups"] = scheduler
        return scheduler

    def _add(self, listener: Any) -> Any:
        self.listeners.append(listener)
        return listener

    def _tls(self) -> Any:
        s = self.settings
        if not s.public_tls:
            return None
        from app.net.tls import TlsOptions, server_tls

        result = server_tls(TlsOptions(enabled=True, cert_path=s.public_tls_cert, key_path=s.public_tls_key,
                                       self_signed_dir=s.network_dir / "tls"))
        if result is None:
            return None
        context, self.certificate = result
        return context
