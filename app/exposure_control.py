"""ExposureController: the public (LAN) listener, tor and the onion, switched live and saved to config.toml.

The runtime owns one. Two lifecycle stages bring up what the settings ask for at start-up (``tor_stage``
before the chain, ``listener_stage`` after the private listener) and stop whatever runs at shut-down,
including what was switched on from the window since. ``apply_lan`` / ``apply_tls`` / ``apply_tor``
(and the wizard's ``set_lan`` / ``set_tor``) change one part without restarting the app:

- LAN and TLS: a new listener is built (new host, port, TLS context) and started before the old one
  stops when it binds elsewhere; on the same port the old one stops first and comes back if the new
  one fails. A failure raises UserFacingError with ``field`` = the setting and leaves the old state.
- Tor: the TorService (launch or attach) starts with a plain-HTTP loopback listener for the onion
  (shopper routes only) and publishes the onion at it; off stops both. Tor-only mode keeps tor on.

Each applied change is written to the config file (app/config_file.py); a setting given by a
REDWAVES_* variable or on the command line overrides that file, so changing it here is refused
(the window shows it as "set by REDWAVES_X").
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import ssl
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from app.checkout_server.listeners import Listener, ListenerError, onion_listener, public_listener
from app.config import ConfigError, Settings, config_file_of, convert_setting, overridden_by, parse_public_url
from app.config_file import write_config_values
from app.core.errors import UserFacingError
from app.net.errors import NetError, PortInUse, TlsError, TorError
from app.net.exposure_state import ExposureState, LanChange, TlsChange, TorChange
from app.net.guarded import StartError
from app.net.lan import lan_urls
from app.net.tls import CertificateInfo, TlsOptions, server_tls
from app.net.tor import TorService, TorState, TorStatus

if TYPE_CHECKING:
    from app.services.container import Services

logger = logging.getLogger(__name__)

LOCKABLE = ("public_enabled", "public_host", "public_port", "public_url", "public_tls", "public_tls_cert",
            "public_tls_key", "tor_enabled", "tor_mode", "tor_control")
_TOR_FIELDS = {TorError.CONTROL_UNREACHABLE: "tor_control", TorError.AUTH_FAILED: "tor_control"}


class ExposureHost(Protocol):
    """What the controller needs of the runtime (``app.runtime.Runtime``)."""

    settings: Settings

    @property
    def services(self) -> Services | None: ...

    def build_tor(self, settings: Settings) -> TorService: ...

    @property
    def chain_needs_tor(self) -> bool: ...  # Electrum reaches its servers through tor (electrum_route "tor")


class _Stage:
    def __init__(self, start: Callable[[], Any], stop: Callable[[], Any]) -> None:
        self._start, self._stop = start, stop

    async def start(self) -> None:
        await self._start()

    async def stop(self) -> None:
        await self._stop()


def _bind_error(exc: ListenerError) -> NetError:
    if exc.errno == errno.EADDRINUSE:
        return PortInUse(f"The {exc}. Choose another port or stop the program using it.", field="public_port")
    return NetError(f"The {exc}. Use an address of this machine (0.0.0.0 = all of them).", code="bind_failed",
                    field="public_host")


class ExposureController:
    def __init__(self, host: ExposureHost) -> None:
        self._host = host
        self.public: Listener | None = None
        self.public_problem: StartError | None = None
        self.certificate: CertificateInfo | None = None
        self.tor: TorService | None = None
        self.onion_target: Listener | None = None
        self._lock = asyncio.Lock()
        self._callbacks: list[Callable[[ExposureState], None]] = []
        self._tor_unsubscribe: Callable[[], None] | None = None

    @property
    def settings(self) -> Settings:
        return self._host.settings

    # ---- lifecycle stages ---------------------------------------------------------------------

    def tor_stage(self) -> _Stage:
        async def start() -> None:
            if self.settings.tor_enabled or self._host.chain_needs_tor:  # tor for the onion and/or Electrum
                await self._start_tor(self.settings)

        return _Stage(start, self._stop_tor)

    def listener_stage(self) -> _Stage:
        async def start() -> None:
            s = self.settings
            if s.public_enabled:
                try:
                    await self._replace_public(s)
                except UserFacingError as exc:  # reported (window, /health); the rest of the app runs
                    self.public_problem = StartError(exc.code, str(exc))
                    logger.error("public listener not started (%s): %s", exc.code, exc)
            if self.tor is not None and s.tor_enabled:
                await self._start_onion_target()

        async def stop() -> None:
            await self._stop_public()
            await self._stop_onion_target()

        return _Stage(start, stop)

    # ---- what the window reads ----------------------------------------------------------------

    def current(self) -> ExposureState:
        s = self.settings
        public = self.public
        serving = public.url if public is not None and public.port is not None else None
        scheme = "https" if public is not None and public.ssl_context is not None else "http"
        urls = tuple(lan_urls(public.host, public.port, scheme)) if public is not None and public.port else ()
        locked = {key: source for key in LOCKABLE if (source := overridden_by(s, key)) is not None}
        return ExposureState(
            lan_enabled=s.public_enabled, public_host=s.public_host, public_port=s.public_port, public_url=s.public_url,
            serving_url=serving, lan_urls=urls, problem=self.public_problem, tls_enabled=s.public_tls,
            tls_cert=s.public_tls_cert, tls_key=s.public_tls_key, certificate=self.certificate,
            tor_enabled=s.tor_enabled, tor_mode=s.tor_mode, tor_control=s.tor_control,
            tor=self.tor.status if self.tor is not None else None, config_file=config_file_of(s), locked=locked)

    def urls(self) -> dict[str, str]:
        """The exposure's part of ``Runtime.urls``: public (+ shop), onion-target, onion."""
        state, found = self.current(), {}
        if state.serving_url is not None:
            found["public"] = state.lan_urls[0] if state.lan_urls else state.serving_url
            if state.public_url:
                found["shop"] = state.public_url
        target = self.onion_target
        if target is not None and target.port is not None:
            found[target.name] = target.url
        if self.tor is not None and self.tor.onion_url:
            found["onion"] = self.tor.onion_url
        return found

    def subscribe(self, callback: Callable[[ExposureState], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def _notify(self, _status: TorStatus | None = None) -> None:
        state = self.current()
        for callback in list(self._callbacks):
            try:
                callback(state)
            except Exception:
                logger.exception("exposure subscriber failed")

    # ---- changes ------------------------------------------------------------------------------

    async def set_lan(self, enabled: bool) -> None:
        s = self.settings
        await self.apply_lan(LanChange(enabled, s.public_host, s.public_port, s.public_url or ""))

    async def set_tor(self, enabled: bool) -> None:
        s = self.settings
        await self.apply_tor(TorChange(enabled, s.tor_mode, s.tor_control))

    async def apply_lan(self, change: LanChange) -> ExposureState:
        async with self._lock:
            values: dict[str, Any] = {"public_enabled": change.enabled,
                                      "public_host": _convert("public_host", change.host),
                                      "public_port": _convert("public_port", change.port),
                                      "public_url": _public_url(change.public_url)}
            new = self._changed(values)
            if new.public_enabled:
                await self._replace_public(new)
            else:
                await self._stop_public()
            return self._commit(values)

    async def apply_tls(self, change: TlsChange) -> ExposureState:
        async with self._lock:
            cert, key = change.cert_path, change.key_path
            if (cert is None) != (key is None):  # config.toml must stay loadable: both or neither
                raise TlsError("Choose both the certificate and its private key, or neither for a self-signed one.",
                               field="public_tls_key" if key is None else "public_tls_cert")
            values: dict[str, Any] = {"public_tls": change.enabled, "public_tls_cert": cert, "public_tls_key": key}
            new = self._changed(values)
            if new.public_enabled:
                await self._replace_public(new)
            else:
                tls = self._tls(new)  # checked now, used when the listener is switched on
                self.certificate = tls[1] if tls is not None else None
            return self._commit(values)

    async def apply_tor(self, change: TorChange) -> ExposureState:
        async with self._lock:
            values: dict[str, Any] = {"tor_enabled": change.enabled, "tor_mode": _convert("tor_mode", change.mode),
                                      "tor_control": change.control.strip() or "127.0.0.1:9051"}
            old, new = self.settings, self._changed(values)
            if not new.tor_enabled and new.tor_only:
                raise TorError("Tor-only mode (tor_only) sends every connection through Tor, so Tor stays on.",
                               code=TorError.REQUIRED, field="tor_enabled")
            restart = self.tor is not None and (new.tor_mode, new.tor_control) != (old.tor_mode, old.tor_control)
            if self.tor is not None and (not new.tor_enabled or restart):
                await self._stop_tor()
            if new.tor_enabled and self.tor is None:
                await self._switch_tor_on(new, old)
            elif new.tor_enabled and self.onion_target is None:  # tor already runs for Electrum: add the onion
                await self._start_onion_target()
            elif not new.tor_enabled and self.tor is None and self._host.chain_needs_tor:
                await self._start_tor(new)  # the onion is off; Electrum still goes through tor
            return self._commit(values)

    async def ensure_tor(self) -> None:
        """Tor running (without an onion unless tor_enabled): Electrum is about to go through it."""
        async with self._lock:
            if self.tor is not None:
                return
            await self._start_tor(self.settings)
            status = self.tor.status if self.tor is not None else None
            if status is not None and status.state == TorState.ERROR:
                await self._stop_tor()
                raise TorError(status.error_message or "Tor did not start.",
                               code=status.error_code or TorError.LAUNCH_FAILED, field="electrum_route")
            self._notify()

    # ---- internals ----------------------------------------------------------------------------

    def _changed(self, values: Mapping[str, Any]) -> Settings:
        """The settings with ``values``; refused for a value set by the environment or command line."""
        s = self.settings
        for key, value in values.items():
            source = overridden_by(s, key)
            if source is not None and getattr(s, key) != value:
                raise UserFacingError(f"Set by {source}, which overrides config.toml: change it there.",
                                      code="setting_overridden", field=key)
        return dataclasses.replace(s, **values)

    def _commit(self, values: Mapping[str, Any]) -> ExposureState:
        """Save what changed to the config file, then make it the runtime's settings."""
        s = self.settings
        changed: dict[str, Any] = {key: value for key, value in values.items() if getattr(s, key) != value}
        path = config_file_of(s)
        new = dataclasses.replace(s, **changed, sources={**s.sources, **dict.fromkeys(changed, str(path))})
        self._host.settings = new
        if self._host.services is not None:
            self._host.services.settings = new
        try:
            write_config_values(path, changed)
        except ConfigError as exc:
            raise UserFacingError(f"Applied now, but not saved (it is lost at the next start): {exc}",
                                  code="config_not_saved") from None
        finally:
            self._notify()
        logger.info("exposure changed and saved to %s: %s", path, ", ".join(sorted(changed)) or "nothing")
        return self.current()

    def _tls(self, s: Settings) -> tuple[ssl.SSLContext, CertificateInfo] | None:
        return server_tls(TlsOptions(enabled=s.public_tls, cert_path=s.public_tls_cert, key_path=s.public_tls_key,
                                     self_signed_dir=s.network_dir / "tls"))

    def _services(self) -> Services:
        services = self._host.services
        if services is None:
            raise UserFacingError("RedWaves is still starting; try again in a moment.", code="starting")
        return services

    async def _replace_public(self, s: Settings) -> None:
        services = self._services()
        tls = self._tls(s)
        context, certificate = tls if tls is not None else (None, None)
        new = public_listener(services, s.public_host, s.public_port, ssl_context=context)
        old = self.public
        if old is not None and old.port is not None and old.port == s.public_port:
            await old.stop()  # the same port cannot be bound twice: stop first, bring it back on failure
            try:
                await new.start()
            except ListenerError as exc:
                restored = public_listener(services, old.host, s.public_port, ssl_context=old.ssl_context)
                try:
                    await restored.start()
                except ListenerError:
                    logger.exception("public listener could not be restored on %s:%s", old.host, s.public_port)
                    self.public = None
                else:
                    self.public = restored
                raise _bind_error(exc) from None
        else:
            try:
                await new.start()
            except ListenerError as exc:
                raise _bind_error(exc) from None
            if old is not None:
                await old.stop()
        self.public, self.certificate, self.public_problem = new, certificate, None

    async def _stop_public(self) -> None:
        public, self.public, self.public_problem = self.public, None, None
        if public is not None:
            await public.stop()

    async def _start_onion_target(self) -> None:
        if self.onion_target is None:
            target = onion_listener(self._services())
            await target.start()
            self.onion_target = target
        if self.tor is not None and self.onion_target.port is not None:
            await self.tor.publish("127.0.0.1", self.onion_target.port)

    async def _stop_onion_target(self) -> None:
        target, self.onion_target = self.onion_target, None
        if target is not None:
            await target.stop()

    async def _start_tor(self, s: Settings) -> None:
        tor = self._host.build_tor(s)
        self.tor = tor
        self._tor_unsubscribe = tor.subscribe(self._notify)
        if self._host.services is not None:
            self._host.services.tor = tor
        await tor.start()

    async def _stop_tor(self) -> None:
        tor, self.tor = self.tor, None
        if self._tor_unsubscribe is not None:
            self._tor_unsubscribe()
            self._tor_unsubscribe = None
        if self._host.services is not None:
            self._host.services.tor = None
        if tor is not None:
            await tor.stop()
        await self._stop_onion_target()

    async def _switch_tor_on(self, new: Settings, old: Settings) -> None:
        """Start tor with ``new``; if it does not come up, stop it again (and bring back the old one)."""
        await self._start_tor(new)
        await self._start_onion_target()
        status = self.tor.status if self.tor is not None else None
        if status is None or status.state != TorState.ERROR:
            return
        await self._stop_tor()
        if old.tor_enabled:
            await self._start_tor(old)
            await self._start_onion_target()
        code = status.error_code or TorError.LAUNCH_FAILED
        raise TorError(status.error_message or "Tor did not start.", code=code,
                       field=_TOR_FIELDS.get(code, "tor_enabled"))


def _convert(key: str, value: object) -> Any:
    try:
        return convert_setting(key, value)
    except ConfigError as exc:
        message = str(exc).split(": ", 1)[-1]
        raise UserFacingError(message[:1].upper() + message[1:] + ".", field=key) from None


def _public_url(text: str) -> str | None:
    try:
        return parse_public_url(text)
    except ValueError as exc:
        raise UserFacingError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", field="public_url") from None
