"""Everything headless mode and the GUI share: instance lock, database, tor, chain, services, listeners.

Components start in this order and stop in reverse (app.lifecycle.Lifecycle):
lock -> [devnet] -> database -> tor -> chain -> services -> listeners -> exposure -> [backups].
"tor" and "exposure" belong to the ExposureController (app/exposure_control.py): they start what the
settings ask for (tor; the public listener and the onion's loopback listener) and stop whatever runs
then, since the window can switch the public listener, TLS and tor live. A bad port, certificate or
a missing tor binary is reported (GUI, /health) while the private listener, the engine and the
window keep running. The runtime builds each component when its turn comes and hands the services
what it owns (URLs, tor, the public listener's status, the exposure control, outbound routing,
devnet) as typed `Surroundings`.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping

from app.chain.keys import set_network
from app.chain.watcher import ChainSettings, ChainWatcher
from app.checkout_server.daemon.app import daemon_listener
from app.checkout_server.listeners import Listener, ListenerError, private_listener
from app.config import Settings
from app.core.chain_route import ResolvedRoute, RouteNotChosen
from app.core.errors import UserFacingError
from app.db.engine import Database
from app.db.storage import check_free_space
from app.devnet.ports import choose_ports
from app.devnet.threaded import ThreadedDevnet
from app.exposure_control import ExposureController
from app.file_modes import protect_data_dir, protect_tree
from app.instance_lock import InstanceLock
from app.lifecycle import Component, Deferred, Lifecycle
from app.net.exposure import Exposure, parse_trusted_proxies
from app.net.guarded import Guarded
from app.net.proxy import OutboundPolicy
from app.net.tls import CertificateInfo
from app.net.tor import TorOptions, TorService, onion_target, tor_health
from app.secrets import SecretStorage, SecretStore, configure_keyring, secret_storage
from app.services.admin.backup import BackupScheduler
from app.services.chain_route import resolve_settings
from app.services.container import Services, Surroundings, backup_service, build_services
from app.services.ports import PublicStatus, checkout_url

logger = logging.getLogger(__name__)


def lightning_onion_ports(listen: str, checkout_port: int) -> dict[int, str]:
    """The Lightning listener on the shop's .onion too, on the same port number (peers that use Tor)."""
    host, _, port = listen.rpartition(":")
    if not listen or not port.isdigit() or int(port) == checkout_port:
        return {}
    return {int(port): onion_target(host.strip("[]"), int(port))}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _LockComponent:
    def __init__(self, lock: InstanceLock) -> None:
        self._lock = lock

    async def start(self) -> None:
        self._lock.acquire()

    async def stop(self) -> None:
        self._lock.release()


class RuntimeUrls:
    """`app.services.ports.Urls` read live from the runtime's listeners and tor."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def current(self) -> Mapping[str, str]:
        return self._runtime.urls

    def invoice_url(self, invoice_id: str, *, store_url: str | None = None) -> str | None:
        return checkout_url(self._runtime.urls, invoice_id, store_url=store_url)


class RuntimePublicListener:
    """`app.services.ports.PublicListenerStatus`: the public listener as it is now."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def status(self) -> PublicStatus:
        state = self._runtime.exposure.current()
        return PublicStatus(enabled=state.lan_enabled, url=self._runtime.urls.get("public"), tls=state.tls_enabled,
                            certificate=state.certificate if state.tls_enabled else None, problem=state.problem)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lifecycle = Lifecycle(stop_timeout_s=5.0)
        self.db = Database(settings.db_path)
        self.services: Services | None = None
        self.devnet: ThreadedDevnet | None = None
        self.chain: ChainWatcher | None = None
        self.listeners: list[Listener] = []  # private and daemon; the exposure owns public and onion-target
        self.daemon_guard: Guarded | None = None
        self.exposure = ExposureController(self)
        # known before the chain is built; stable across runs (app/devnet/ports.py), saved once the lock is held
        self._devnet_ports = choose_ports(settings.network_dir / "devnet") if settings.devnet else None
        self._devnet_port = self._devnet_ports.electrum if self._devnet_ports else None
        # which Electrum server(s) learn the shop's addresses (app/core/chain_route.py); tor starts for "tor"
        self.chain_route: ResolvedRoute | None = None
        self.chain_route_problem: RouteNotChosen | None = None
        try:
            devnet_server = f"127.0.0.1:{self._devnet_port}:t" if self._devnet_port is not None else None
            self.chain_route = resolve_settings(settings, devnet_server=devnet_server)
        except RouteNotChosen as exc:
            self.chain_route_problem = exc  # Runtime.start() raises it at the chain stage; serve exits 2
        launch_tor = (settings.tor_enabled or self.chain_needs_tor) and settings.tor_mode == "launch"
        self._tor_socks_port = _free_port() if launch_tor else None
        self.outbound = OutboundPolicy(tor_socks=self._tor_socks, tor_only=settings.tor_only,
                                       proxy=settings.electrum_proxy)
        self._chain_started = False
        self.secret_storage: SecretStorage | None = None  # where secrets are kept, known once started

    @property
    def chain_needs_tor(self) -> bool:
        """Electrum goes through tor (route "tor", or tor_only): tor runs even with the onion service off."""
        return self.chain_route is not None and self.chain_route.via_tor and self.settings.tor_socks is None

    @property
    def urls(self) -> dict[str, str]:
        urls = {listener.name: listener.url for listener in self.listeners if listener.port is not None}
        return urls | self.exposure.urls()

    @property
    def tor(self) -> TorService | None:
        """Tor while it is switched on (it can come and go while the app runs)."""
        return self.exposure.tor

    @property
    def onion_target(self) -> Listener | None:
        return self.exposure.onion_target

    @property
    def certificate(self) -> CertificateInfo | None:
        """The public listener's TLS certificate."""
        return self.exposure.certificate

    def _tor_socks(self) -> str | None:
        if self.tor is not None and self.tor.socks_address:
            return self.tor.socks_address
        if self._tor_socks_port is not None:
            return f"127.0.0.1:{self._tor_socks_port}"
        return self.settings.tor_socks

    def start_chain_loop(self) -> None:
        """Start Electrum's loop thread now: the GUI calls this before qasync takes over."""
        if self.chain_route is not None:  # else start() fails at the chain stage, naming the settings to set
            self._ensure_chain().start_loop()

    async def start(self) -> None:
        s = self.settings
        protect_data_dir(s.data_dir)  # umask 077; 0700/0600 fixed, or InsecureDataDir (app/file_modes.py)
        s.network_dir.mkdir(parents=True, exist_ok=True)
        check_free_space(s.data_dir, s.min_free_mb)  # StorageFull: a one-line refusal (CLI, start-up dialog)
        if s.backup_dir is not None:
            protect_tree(s.backup_dir)
        self.secret_storage = configure_keyring()  # OS keyring, or a 0600 file with a warning
        lc = self.lifecycle
        lc.add("instance lock", _LockComponent(InstanceLock(s.lock_path)))
        from app.loop_watchdog import LoopWatchdog  # logs every loop stall over 100 ms with what blocked it

        lc.add("loop watchdog", LoopWatchdog())
        if s.devnet:
            lc.add("devnet", Deferred(self._build_devnet))
        lc.add("database", self.db)
        lc.add("tor", self.exposure.tor_stage())
        lc.add("chain", Deferred(self._start_chain))
        lc.add("services", Deferred(self._build_services))
        lc.add("listeners", Deferred(self._build_listeners))
        lc.add("exposure", self.exposure.listener_stage())
        if s.backup_dir is not None:
            lc.add("backups", Deferred(self._build_backups))
        await lc.start()

    async def stop(self) -> None:
        await self.lifecycle.stop()
        if self.chain is not None and not self._chain_started:
            await self.chain.stop()  # its loop thread was started early (GUI) but start() never ran

    # -- builders ------------------------------------------------------------------------------
    def _build_devnet(self) -> ThreadedDevnet:
        # its own thread and loop: never on the app's (GUI) loop, like a real Electrum server
        devnet_dir = self.settings.network_dir / "devnet"
        ports = self._devnet_ports
        if ports is not None:
            ports.save(devnet_dir)
        self.devnet = ThreadedDevnet(port=self._devnet_port or 0, datadir=devnet_dir,
                                     control_port=ports.control if ports else None)
        return self.devnet

    def build_tor(self, s: Settings) -> TorService:
        """A TorService for ``s`` (the exposure starts it now, or when the window switches tor on)."""
        secrets = SecretStore(s.network)
        password = secrets.get("tor_control_password") if s.tor_mode == "attach" else None
        options = TorOptions(
            enabled=True, mode=s.tor_mode, tor_cmd=s.tor_cmd, data_dir=s.network_dir / "tor",
            socks_port=self._tor_socks_port or 0, control_address=s.tor_control, control_password=password,
            socks_address=s.tor_socks, onion_port=s.tor_onion_port,
            extra_config={"DisableNetwork": "1"} if s.tor_disable_network else {},
            extra_ports=lightning_onion_ports(s.lightning_listen, s.tor_onion_port),
        )
        return TorService(options, secrets)

    def _ensure_chain(self) -> ChainWatcher:
        if self.chain is None:
            route = self.chain_route
            if route is None:
                raise self.chain_route_problem or RouteNotChosen()
            set_network(self.settings.network)
            chain_settings = ChainSettings(
                network=self.settings.network, datadir=self.settings.electrum_dir, server=route.server,
                oneserver=route.oneserver,
                proxy=self.outbound.electrum_proxy(configured=route.proxy, electrum_via_tor=route.via_tor),
                lightning_listen=self.settings.lightning_listen, lightning_gossip=self.settings.lightning_gossip,
                lightning_allow_incoming=self.settings.lightning_allow_incoming,
            )
            self.chain = ChainWatcher(chain_settings)
        return self.chain

    def _start_chain(self) -> ChainWatcher:
        chain = self._ensure_chain()
        self._chain_started = True
        return chain

    def _build_services(self) -> Services:
        s = self.settings
        surroundings = Surroundings(
            urls=RuntimeUrls(self), outbound=self.outbound, public=RuntimePublicListener(self),
            exposure=Exposure(parse_trusted_proxies(s.trusted_proxies), onion_url=self._onion_url),
            tor=self.tor, devnet=self.devnet, exposure_control=self.exposure, chain_route=self.chain_route)
        services = build_services(s, self.db, self.chain, surroundings=surroundings, lightning_node=self.chain)
        services.chain_route.attach_switch(self._switch_chain_route)  # Settings → Chain server, live
        services.health_sources.append(lambda: {"tor": tor_health(self.tor)})
        services.health_sources.append(self._listener_health)
        services.health_sources.append(lambda: {"secrets": secret_storage().report()})
        self.services = services
        return services

    async def _switch_chain_route(self, route: ResolvedRoute) -> None:
        """Electrum to ``route`` now; tor is started first when the route goes through it."""
        chain = self.chain
        if chain is None or not self._chain_started:
            raise UserFacingError("The chain connection is not running yet; try again in a moment.", code="starting",
                                  field="electrum_route")
        if route.via_tor and self.settings.tor_socks is None:
            if self._tor_socks_port is None and self.settings.tor_mode == "launch":
                self._tor_socks_port = _free_port()  # fixed from now on: Electrum keeps this proxy address
            await self.exposure.ensure_tor()
        proxy = self.outbound.electrum_proxy(configured=route.proxy, electrum_via_tor=route.via_tor)
        await chain.set_route(route.server, oneserver=route.oneserver, proxy=proxy)
        self.chain_route = route

    def _onion_url(self) -> str | None:
        tor = self.tor
        return tor.onion_url if tor is not None and tor.onion_up else None

    def _listener_health(self) -> dict[str, object]:
        state = self.exposure.current()
        public: dict[str, object] = {"enabled": state.lan_enabled, "url": self.urls.get("public")}
        if state.problem is not None:
            public["error"] = {"code": state.problem.code, "message": state.problem.message}
        if state.tls_enabled and state.certificate is not None:
            public["tls_fingerprint_sha256"] = state.certificate.fingerprint_sha256
        report: dict[str, object] = {"public_listener": public}
        if self.daemon_guard is not None and self.daemon_guard.error is not None:
            report["daemon_listener"] = {"error": {"code": self.daemon_guard.error.code,
                                                   "message": self.daemon_guard.error.message}}
        return report

    def _build_listeners(self) -> Lifecycle:
        services = self.services
        assert services is not None
        s = self.settings
        group = Lifecycle(stop_timeout_s=3.0)
        self.listeners = [private_listener(services, s.private_host, s.private_port)]
        group.add("private listener", self.listeners[0])
        daemon = services.daemon
        if daemon is not None:
            def build_daemon() -> Component:
                return self._add(daemon_listener(daemon, "127.0.0.1", s.daemon_port))

            self.daemon_guard = Guarded("daemon listener", build_daemon, errors=(UserFacingError, ListenerError))
            group.add("daemon listener", self.daemon_guard)
        return group

    def _build_backups(self) -> BackupScheduler:
        s = self.settings
        assert s.backup_dir is not None and self.services is not None
        secrets = self.services.secrets
        scheduler = BackupScheduler(backup_service(s, secrets), secrets, s.backup_dir, keep=s.backup_keep,
                                    interval_s=s.backup_interval_s)
        self.services.backup_scheduler = scheduler
        return scheduler

    def _add(self, listener: Listener) -> Listener:
        self.listeners.append(listener)
        return listener
