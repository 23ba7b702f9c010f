"""TorService: our own tor (or an existing one), the shop's onion service, and a watchdog.

- ``launch`` mode starts tor as a child process (DataDirectory under the data dir, cookie-authenticated
  ControlPort and a SocksPort on loopback, ports chosen free once and kept across restarts);
  ``attach`` mode uses an existing tor's control port.
- The onion service's ED25519-V3 key is kept in the SecretStore (keyring), so the .onion address
  survives restarts. ``publish(host, port)`` points it at the public listener once that is bound.
- Status (launching, bootstrapping N %, ready, error) is an event: ``subscribe(callback)``.
- A watchdog restarts tor with exponential backoff when it dies and re-checks the onion service
  every ``recheck_interval_s`` (15 minutes by default).
``start()`` never raises for tor problems: they become status "error" with a code, the app goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.net import tor_control
from app.net.errors import NetError, TorError
from app.net.lan import ensure_port_free, free_port
from app.net.tor_control import TorHandle

if TYPE_CHECKING:
    from app.secrets import Secret

logger = logging.getLogger(__name__)

ONION_KEY_SECRET = "tor_onion_key"


class SecretsPort(Protocol):
    def get(self, name: str) -> Secret | None: ...
    def set(self, name: str, value: str) -> None: ...


class TorState(StrEnum):
    DISABLED = "disabled"
    LAUNCHING = "launching"
    BOOTSTRAPPING = "bootstrapping"
    READY = "ready"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True)
class TorOptions:
    """Tor options until Settings carries them (see docs/exposure.md for the proposed setting names)."""

    enabled: bool = True
    mode: str = "launch"  # "launch" our own tor, or "attach" to an existing control port
    tor_cmd: str = "tor"
    data_dir: Path | None = None  # launch: tor's DataDirectory (settings.network_dir / "tor")
    socks_port: int = 0  # launch: 0 = a free port, chosen once
    control_port: int = 0  # launch: 0 = a free port, chosen once
    control_address: str = "127.0.0.1:9051"  # attach: host:port or unix:/path
    control_password: Secret | None = field(default=None, repr=False)  # attach: from the keyring; None = cookie
    socks_address: str | None = None  # attach: tor's SOCKS host:port; None = ask tor (fallback 127.0.0.1:9050)
    onion_port: int = 80  # the port shoppers use on the .onion address
    # more ports on the same .onion: onion port -> local "host:port" (the Lightning node's listener)
    extra_ports: Mapping[int, str] = field(default_factory=dict)
    extra_config: Mapping[str, str] = field(default_factory=dict)  # e.g. {"DisableNetwork": "1"} offline
    launch_timeout_s: float = 30.0
    poll_interval_s: float = 1.0
    recheck_interval_s: float = 900.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 120.0
    stable_after_s: float = 60.0  # alive this long -> the restart backoff starts over


@dataclass(frozen=True)
class TorStatus:
    state: TorState
    bootstrap_percent: int = 0
    onion_address: str | None = None  # "<56 chars>.onion" once published
    error_code: str | None = None
    error_message: str | None = None
    restarts: int = 0

    @property
    def onion_url(self) -> str | None:
        return f"http://{self.onion_address}" if self.onion_address else None


StatusCallback = Callable[[TorStatus], None]


def onion_target(host: str, port: int) -> str:
    """Where tor forwards an onion port: a wildcard bind address becomes its loopback."""
    return _onion_target(host, port)


def _onion_target(host: str, port: int) -> str:
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class TorService:
    def __init__(self, options: TorOptions, secrets: SecretsPort, *, key_name: str = ONION_KEY_SECRET) -> None:
        self.options = options
        self._secrets = secrets
        self._key_name = key_name
        self._status = TorStatus(TorState.DISABLED if not options.enabled else TorState.STOPPED)
        self._callbacks: list[StatusCallback] = []
        self._handle: TorHandle | None = None
        self._service_id: str | None = None
        self._ports: dict[int, str] | None = None
        self._socks: str | None = None
        self._control_port = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._alive_since = 0.0
        self._onion_error: TorError | None = None

    # ---- what the rest of the app reads -------------------------------------------------------

    @property
    def status(self) -> TorStatus:
        return self._status

    @property
    def onion_address(self) -> str | None:
        return self._status.onion_address

    @property
    def onion_url(self) -> str | None:
        return self._status.onion_url

    @property
    def onion_up(self) -> bool:
        return self._status.onion_address is not None and self._status.state in (TorState.BOOTSTRAPPING,
                                                                                  TorState.READY)

    @property
    def socks_address(self) -> str | None:
        """tor's SOCKS "host:port" (known before tor is up in launch mode, so tor-only mode fails closed)."""
        return self._socks

    @property
    def control_address(self) -> str | None:
        """Our own tor's control port ("127.0.0.1:port"), or the attached one's address."""
        if self.options.mode == "attach":
            return self.options.control_address
        return f"127.0.0.1:{self._control_port}" if self._control_port else None

    @property
    def electrum_proxy(self) -> str | None:
        return f"socks5:{self._socks}" if self._socks else None

    @property
    def port_mapping(self) -> dict[int, str] | None:
        """{onion port: "host:port" of the listener} as given to tor's ADD_ONION."""
        return dict(self._ports) if self._ports else None

    @property
    def pid(self) -> int | None:
        handle = self._handle
        return handle.process.pid if handle is not None and handle.process is not None else None

    def onion_qr_matrix(self) -> list[list[bool]] | None:
        """The onion URL as a QR module matrix (app.ui.qr draws it), or None before it exists."""
        import qrcode

        if self.onion_url is None:
            return None
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(self.onion_url)
        code.make(fit=True)
        matrix: list[list[bool]] = code.get_matrix()  # qrcode has no types
        return matrix

    def subscribe(self, callback: StatusCallback) -> Callable[[], None]:
        """Call ``callback(status)`` on the loop at every status change; returns an unsubscribe function."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.options.enabled:
            self._set(TorStatus(TorState.DISABLED))
            return
        self._prepare_ports()
        await self._attempt()
        self._task = asyncio.create_task(self._watch(), name="tor-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            await self._close_handle()
        if self.options.enabled:
            self._set(TorStatus(TorState.STOPPED, onion_address=None, restarts=self._status.restarts))

    async def publish(self, host: str, port: int) -> None:
        """Point the onion service at the listener on ``host``:``port`` (now, and after every restart)."""
        self._ports = {**self.options.extra_ports, self.options.onion_port: _onion_target(host, port)}
        async with self._lock:
            if self._handle is None:
                return  # tor is not up: the next (re)start publishes it
            if self._service_id is not None:
                await asyncio.to_thread(tor_control.remove_onion, self._handle, self._service_id)
                self._service_id = None
            await self._add_onion()  # a failure is reported as status, never raised into the Lifecycle

    async def current_onions(self) -> list[str]:
        """Service ids tor lists for our control connection (GETINFO onions/current); [] when tor is down."""
        async with self._lock:
            if self._handle is None or not self._handle.alive():
                return []
            return await asyncio.to_thread(tor_control.current_onions, self._handle)

    async def check_now(self) -> None:
        """What the watchdog does every recheck interval: tor alive, onion still there, bootstrap progress."""
        async with self._lock:
            await self._check()

    # ---- internals ----------------------------------------------------------------------------

    def _prepare_ports(self) -> None:
        o = self.options
        if o.mode == "launch":
            if not self._socks:
                self._socks = f"127.0.0.1:{o.socks_port or free_port()}"
                self._control_port = o.control_port or free_port()
        else:
            self._socks = o.socks_address or self._socks or "127.0.0.1:9050"

    def _set(self, status: TorStatus) -> None:
        if status == self._status:
            return
        previous, self._status = self._status, status
        if status.state != previous.state:
            log = logger.warning if status.state == TorState.ERROR else logger.info
            log("tor %s%s", status.state, f" ({status.error_code}: {status.error_message})" if status.error_code else "")
        for callback in list(self._callbacks):
            try:
                callback(status)
            except Exception:
                logger.exception("tor status subscriber failed")

    async def _attempt(self, *, restart: bool = False) -> bool:
        async with self._lock:
            self._set(replace(self._status, state=TorState.LAUNCHING, bootstrap_percent=0, error_code=None,
                              error_message=None, restarts=self._status.restarts + int(restart)))
            try:
                self._handle = await self._connect()
                if self.options.mode == "attach" and not self.options.socks_address:
                    self._socks = await asyncio.to_thread(tor_control.socks_address, self._handle) or self._socks
                if self._ports:
                    await self._add_onion()
                await self._poll_bootstrap()
            except NetError as exc:  # TorError, or PortInUse for a merchant-chosen port
                await self._close_handle()
                self._set(replace(self._status, state=TorState.ERROR, error_code=exc.code,
                                  error_message=str(exc), onion_address=None))
                return False
            self._alive_since = asyncio.get_running_loop().time()
            return True

    async def _connect(self) -> TorHandle:
        o = self.options
        if o.mode == "attach":
            password = o.control_password.reveal() if o.control_password is not None else None
            call = lambda: tor_control.attach(o.control_address, password)  # noqa: E731
        else:
            data_dir = o.data_dir
            if data_dir is None:
                raise TorError("No data directory for tor.", code=TorError.LAUNCH_FAILED)
            socks_port = int(self._socks.rpartition(":")[2]) if self._socks else 0
            for port in {o.socks_port, o.control_port} - {0}:  # merchant-chosen ports: a clear error if taken
                ensure_port_free("127.0.0.1", port)
            call = lambda: tor_control.launch(o.tor_cmd, data_dir, socks_port=socks_port,  # noqa: E731
                                              control_port=self._control_port, extra_config=o.extra_config)
        return await _bounded_thread(call, o.launch_timeout_s, on_late=tor_control.close)

    async def _add_onion(self) -> None:
        """Create the onion; a failure (e.g. a rejected key) is a status, tor itself keeps running."""
        assert self._handle is not None and self._ports is not None
        try:
            key = await asyncio.to_thread(self._secrets.get, self._key_name)
            secret = key.reveal() if key is not None else None
            service_id, new_key = await asyncio.to_thread(tor_control.add_onion, self._handle, self._ports, secret)
        except TorError as exc:
            self._onion_error = exc
            self._set(replace(self._status, state=TorState.ERROR, error_code=exc.code, error_message=str(exc),
                              onion_address=None))
            return
        if new_key is not None and not secret:
            await asyncio.to_thread(self._secrets.set, self._key_name, new_key)
            logger.info("new onion service key stored in the keyring")
        self._service_id, self._onion_error = service_id, None
        self._set(replace(self._status, onion_address=f"{service_id}.onion"))

    async def _poll_bootstrap(self) -> None:
        assert self._handle is not None
        percent = await asyncio.to_thread(tor_control.bootstrap_percent, self._handle)
        if self._onion_error is not None:  # tor runs, but the onion does not: stay in error
            self._set(replace(self._status, bootstrap_percent=percent))
            return
        state = TorState.READY if percent >= 100 else TorState.BOOTSTRAPPING
        self._set(replace(self._status, state=state, bootstrap_percent=percent, error_code=None, error_message=None))

    async def _check(self) -> None:
        if self._handle is None or not self._handle.alive():
            return
        if self._ports and (self._service_id is None or
                            self._service_id not in await asyncio.to_thread(tor_control.current_onions, self._handle)):
            logger.warning("onion service missing from tor; adding it again")
            self._service_id = None
            await self._add_onion()
        await self._poll_bootstrap()

    async def _close_handle(self) -> None:
        handle, self._handle, self._service_id, self._onion_error = self._handle, None, None, None
        if handle is not None:
            await asyncio.to_thread(tor_control.close, handle)

    async def _watch(self) -> None:
        """Poll liveness every poll interval; restart a dead tor (backoff grows while it keeps failing)."""
        loop = asyncio.get_running_loop()
        o = self.options
        failures = 0 if self._handle is not None else 1  # consecutive attempts without a stable run
        last_check = loop.time()
        while True:
            await asyncio.sleep(o.poll_interval_s)
            if self._handle is not None and self._handle.alive():
                if loop.time() - self._alive_since >= o.stable_after_s:
                    failures = 0
                recheck = loop.time() - last_check >= o.recheck_interval_s
                await self._watch_tick(recheck)
                if recheck:
                    last_check = loop.time()
                continue
            if self._handle is not None:
                async with self._lock:
                    await self._close_handle()
                self._set(replace(self._status, state=TorState.ERROR, error_code=TorError.DIED, onion_address=None,
                                  error_message="Tor stopped unexpectedly; restarting it."))
            if failures:
                await asyncio.sleep(min(o.backoff_initial_s * 2 ** (failures - 1), o.backoff_max_s))
            failures += 1
            if await self._attempt(restart=True):
                last_check = loop.time()

    async def _watch_tick(self, recheck: bool) -> None:
        try:
            async with self._lock:
                if recheck:
                    await self._check()
                elif self._status.state != TorState.READY and self._handle is not None:
                    await self._poll_bootstrap()
        except TorError as exc:  # the controller died between alive() and the call: the next tick restarts
            self._set(replace(self._status, state=TorState.ERROR, error_code=exc.code, error_message=str(exc)))


async def _bounded_thread(call: Callable[[], TorHandle], timeout_s: float,
                          on_late: Callable[[TorHandle], None]) -> TorHandle:
    """Run a blocking call in a thread, waiting at most ``timeout_s``; a late or abandoned result is cleaned up."""
    future = asyncio.get_running_loop().run_in_executor(None, call)

    def clean_up(done: asyncio.Future[TorHandle]) -> None:
        if not done.cancelled() and done.exception() is None:
            on_late(done.result())

    try:
        finished, _ = await asyncio.wait({future}, timeout=timeout_s)
    except asyncio.CancelledError:  # stop() during a launch: don't leak the tor it is starting
        future.add_done_callback(clean_up)
        raise
    if not finished:
        future.add_done_callback(clean_up)
        raise TorError(f"Tor did not start within {timeout_s:.0f} s.", code=TorError.LAUNCH_FAILED)
    return future.result()


def tor_health(tor: TorService | None) -> dict[str, object]:
    """The "tor" section of /health; the lead merges it into Services.health()."""
    if tor is None:
        return {"enabled": False, "state": TorState.DISABLED.value}
    status = tor.status
    return {"enabled": tor.options.enabled, "state": status.state.value, "bootstrap_percent": status.bootstrap_percent,
            "onion_url": status.onion_url, "restarts": status.restarts,
            "error": {"code": status.error_code, "message": status.error_message} if status.error_code else None}
