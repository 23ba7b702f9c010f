"""Electrum's own event-loop thread, and the Daemon/Network that live on it.

Threading model (see docs/chain.md): Electrum runs on a dedicated thread ("EventLoop") with its
own asyncio loop, exactly as Electrum runs itself. RedWaves' loop (qasync or plain asyncio)
crosses over with :meth:`ElectrumRuntime.run` and Electrum's callbacks hop back with
``loop.call_soon_threadsafe``. Only one runtime per process (Electrum keeps the loop in a
module global); the app runs one network per process anyway.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from electrum import blockchain as electrum_blockchain
from electrum import constants, dns_hacks, util
from electrum import network as electrum_network
from electrum.daemon import Daemon
from electrum.simple_config import SimpleConfig

from app.chain.errors import ChainNotRunning
from app.chain.keys import set_network
from app.chain.models import ChainSettings

logger = logging.getLogger(__name__)


def quiet_electrum_logging() -> None:
    """Electrum sets its logger to DEBUG when imported and logs addresses and txids at INFO: keep
    those out of RedWaves' console and log file (privacy); its warnings and errors still show."""
    logging.getLogger("electrum").setLevel(logging.WARNING)


T = TypeVar("T")
P = ParamSpec("P")

_NETWORK_FLAGS = {"mainnet": None, "testnet": "testnet", "signet": "signet", "regtest": "regtest"}
STOP_BUDGET_S = 4.0


def electrum_config(settings: ChainSettings) -> SimpleConfig:
    timeout = settings.network_timeout_s or (45 if settings.proxy else 30)
    options: dict[str, str | bool | int] = {
        "electrum_path": str(settings.datadir),
        "auto_connect": settings.server is None or not settings.oneserver,
        "oneserver": bool(settings.oneserver and settings.server),
        "use_exchange_rate": False,
        "check_updates": False,
        "use_gossip": settings.lightning_gossip,
        # Electrum refuses incoming channels while future channels are recoverable (lnpeer.py on_open_channel)
        "use_recoverable_channels": not settings.lightning_allow_incoming,
        "network_timeout": int(timeout),
        "dont_show_testnet_warning": True,
        "proxy": _electrum_proxy(settings.proxy),
    }
    if settings.lightning_listen:
        options["lightning_listen"] = settings.lightning_listen
    if not settings.proxy:
        # Without a proxy an .onion name would go to the system resolver (a DNS leak): Electrum skips
        # them in get_servers() with noonion; its first server and its recent servers are ours to filter.
        options["noonion"] = True
    server = settings.server or (None if settings.proxy else _first_public_server())
    if server:
        options["server"] = server
    flag = _NETWORK_FLAGS[settings.network]
    if flag:
        options[flag] = True
    return SimpleConfig(options)


def _first_public_server(*, onion_ok: bool = False) -> str | None:
    """A random public TLS (else TCP) server (not an .onion unless ``onion_ok``), as Electrum picks its first."""
    servers = constants.net.DEFAULT_SERVERS
    servers = servers if onion_ok else electrum_network.filter_noonion(servers)
    for protocols in ({"s"}, {"t"}):
        picked = electrum_network.pick_random_server(servers, allowed_protocols=protocols)
        if picked is not None:
            return str(picked)
    return None


def _is_onion(host: str) -> bool:
    return host.rstrip(".").lower().endswith(".onion")


def drop_onion_recent_servers(config: SimpleConfig) -> int:
    """Remove .onion servers from Electrum's ``recent_servers`` file (tried first, before noonion's
    filter applies); returns how many. Called before the Network reads it, when there is no proxy."""
    path = Path(config.path) / "recent_servers"
    try:
        servers = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(servers, list):
        return 0
    kept = [s for s in servers if not (isinstance(s, str) and _is_onion(s.rsplit(":", 2)[0]))]
    if len(kept) != len(servers):
        path.write_text(json.dumps(kept, indent=4), encoding="utf-8")
    return len(servers) - len(kept)


def _electrum_proxy(proxy: str | None) -> str:
    if not proxy:
        return "none"
    parts = proxy.split(":")
    if parts[0] not in ("socks5", "socks4") or len(parts) < 3:
        raise ValueError(f"proxy must look like 'socks5:host:port', got {proxy!r}")
    return proxy


class ElectrumRuntime:
    """Owns Electrum's loop thread and its Daemon (which owns the Network)."""

    def __init__(self, settings: ChainSettings) -> None:
        self.settings = settings
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopping_fut: asyncio.Future[int] | None = None
        self._thread: threading.Thread | None = None
        self.config: SimpleConfig | None = None
        self.daemon: Daemon | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start_loop(self) -> None:
        """Start Electrum's loop thread. Synchronous; call before qasync installs its policy."""
        if self.loop is not None:
            return
        set_network(self.settings.network)
        quiet_electrum_logging()
        previous_policy = asyncio.get_event_loop_policy()
        self.loop, self._stopping_fut, self._thread = util.create_and_start_event_loop()
        # Electrum installs a policy whose get_event_loop() returns its loop from any thread.
        # Electrum itself never relies on it (it always has a running loop); give the app its
        # own policy back so qasync/pytest-asyncio keep working.
        asyncio.set_event_loop_policy(previous_policy)
        # trigger_callback caches the loop on first use; a previous runtime's loop is dead.
        util.callback_mgr.asyncio_loop = self.loop
        # The loop thread must stay non-daemon (Electrum refuses to save wallets from daemon
        # threads), so a forgotten stop() would hang interpreter exit. threading runs these
        # hooks before joining non-daemon threads (concurrent.futures uses the same hook).
        register_atexit = getattr(threading, "_register_atexit", None)  # private CPython hook, may go
        if register_atexit is not None:
            register_atexit(self._stop_at_exit)
        logger.info("electrum loop thread started (network=%s)", self.settings.network)

    async def start_daemon(self) -> None:
        """Create the Daemon (and Network) on Electrum's side. Offline is not an error."""
        self.start_loop()
        self.settings.datadir.mkdir(parents=True, exist_ok=True)
        self.config = electrum_config(self.settings)
        if not self.settings.proxy:
            dropped = drop_onion_recent_servers(self.config)
            if dropped:
                logger.info("no proxy: %d .onion server(s) left out of Electrum's recent servers", dropped)
        _forget_dead_network(self.loop)
        _forget_header_chains()
        # Daemon.__init__ schedules work on Electrum's loop and reads files: do it off our loop.
        self.daemon = await asyncio.to_thread(Daemon, self.config, listen_jsonrpc=False)

    async def stop(self) -> None:
        """Stop the daemon (saves wallets), then the loop thread. Idempotent, bounded."""
        if self.loop is None:
            return
        loop, thread, fut = self.loop, self._thread, self._stopping_fut
        try:
            if self.daemon is not None and loop.is_running():
                await self._bounded(self._shutdown_daemon(), STOP_BUDGET_S)
            if loop.is_running():
                await self._bounded(_cancel_other_tasks(), 1.5)
        finally:
            self.daemon = None
            if loop.is_running():
                loop.call_soon_threadsafe(_finish, fut)
            if thread is not None:
                await asyncio.to_thread(thread.join, 2.0)
                if thread.is_alive():
                    logger.error("electrum loop thread did not stop within 2 s")
            if not loop.is_running() and not loop.is_closed():
                loop.close()
            if util.callback_mgr.asyncio_loop is loop:
                util.callback_mgr.asyncio_loop = None
            _forget_dead_network(None)
            _forget_header_chains()
            if self.settings.proxy:
                dns_hacks.configure_dns_depending_on_proxy(False)  # un-patch socket.getaddrinfo
            self.loop = None
            logger.info("electrum loop thread stopped")

    def _stop_at_exit(self) -> None:
        """Interpreter exit without stop(): save wallets and end the loop thread, bounded."""
        loop, thread = self.loop, self._thread
        if loop is None or not loop.is_running():
            return
        logger.warning("electrum runtime still running at exit; stopping it (call stop() instead)")
        try:
            if self.daemon is not None:
                fut = asyncio.run_coroutine_threadsafe(self._shutdown_daemon(), loop)
                fut.result(STOP_BUDGET_S)
        except Exception:  # noqa: BLE001 - exiting anyway; make sure the thread ends
            logger.exception("electrum shutdown at exit failed")
        finally:
            loop.call_soon_threadsafe(_finish, self._stopping_fut)
            if thread is not None:
                thread.join(2.0)

    async def _shutdown_daemon(self) -> None:
        daemon = self.daemon
        assert daemon is not None
        try:
            await asyncio.wait_for(daemon.stop(), STOP_BUDGET_S - 0.5)
        except TimeoutError:
            logger.warning("electrum daemon.stop() timed out; saving wallets directly")
            for wallet in daemon.get_wallets().values():
                wallet.save_db()

    async def _bounded(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T | None:
        try:
            return await asyncio.wait_for(self.run(coro), timeout_s)
        except TimeoutError:
            logger.error("electrum shutdown exceeded %.1f s", timeout_s)
            return None

    async def switch_network(self, server: str | None, *, oneserver: bool, proxy: str | None) -> None:
        """Point the running Network at ``server`` (None: public servers) through ``proxy``, live.

        Electrum's own Network.set_parameters does it (restarting the network when the proxy changes);
        our start-up options sit in the config's command-line layer, which set_parameters may not change,
        so those keys move to its user layer first. Without a proxy, .onion servers leave the candidates."""
        daemon = self.running_daemon()
        network, config = daemon.network, daemon.config
        first = server or _first_public_server(onion_ok=bool(proxy))
        one = bool(oneserver and server)

        async def switch() -> None:
            with config.lock:
                for key in ("server", "proxy", "oneserver", "auto_connect", "noonion"):
                    config.cmdline_options.pop(key, None)
            config.set_key("noonion", not proxy, save=False)
            if not proxy:
                with network.recent_servers_lock:
                    network._recent_servers = [s for s in network._recent_servers if not _is_onion(s.host)]
            address = electrum_network.ServerAddr.from_str(first) if first else network.default_server
            params = electrum_network.NetworkParameters(
                server=address, proxy=electrum_network.deserialize_proxy(_electrum_proxy(proxy)),
                auto_connect=not one, oneserver=one)
            await network.set_parameters(params)

        await self.run(switch())
        self.settings = dataclasses.replace(self.settings, server=server, oneserver=one, proxy=proxy)
        logger.info("electrum network switched: server=%s oneserver=%s proxy=%s", server, one, bool(proxy))

    def running_daemon(self) -> Daemon:
        """The Daemon, or ChainNotRunning before start_daemon() / after stop()."""
        if self.daemon is None or self.daemon.network is None:
            raise ChainNotRunning("electrum daemon is not running")
        return self.daemon

    # -- crossing ------------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run ``coro`` on Electrum's loop; await the result from the caller's loop."""
        if self.loop is None:
            coro.close()
            raise RuntimeError("electrum runtime is not running")
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]:
        """Run a plain function on Electrum's loop thread (for state Electrum mutates there)."""

        async def _call() -> T:
            return fn(*args, **kwargs)

        return self.run(_call())


def _forget_dead_network(live_loop: asyncio.AbstractEventLoop | None) -> None:
    """Electrum's Network is a process singleton that is never cleared; a stopped one would make
    the next ``Daemon()`` fail with "Network is a singleton!"."""
    old = electrum_network._INSTANCE
    if old is not None and old.asyncio_loop is not live_loop:
        electrum_network._INSTANCE = None


def _forget_header_chains() -> None:
    """Electrum keeps known header chains (forks included) in a module global; a previous
    runtime's chains (another datadir) must not leak into the next one."""
    with electrum_blockchain.blockchains_lock:
        electrum_blockchain.blockchains.clear()


def _finish(fut: asyncio.Future[int] | None) -> None:
    if fut is not None and not fut.done():
        fut.set_result(1)


async def _cancel_other_tasks() -> None:
    """Cancel what Electrum left on its loop so the loop can close without dangling tasks."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=1.0)
