"""The chain route the window shows and changes: which Electrum server(s) learn the shop's addresses.

The rules are app/core/chain_route.py; this binds them to ``Settings``: whether tor is available, the
route Electrum uses now (``running``), the route saved in config.toml (``current``), a connection test
(app/net/electrum_probe.py, through tor's SOCKS port when the route uses tor) and ``apply``: the runtime
switches Electrum live (``attach_switch``: Network.set_parameters on Electrum's loop, tor started first
when the route needs it), then the choice is written to config.toml (refused for a setting given by
REDWAVES_* or the command line). Without a switch (no chain) it is saved for the next start and
``pending_restart`` says so.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import ConfigError, Settings, config_file_of, overridden_by
from app.config_file import write_config_values
from app.core.chain_route import ChainRoute, ResolvedRoute, RouteInputs, RouteNotChosen, check_choice, resolve
from app.core.errors import UserFacingError
from app.net.electrum_probe import ProbeResult, probe

logger = logging.getLogger(__name__)

LOCKABLE = ("electrum_route", "electrum_server")
Switch = Callable[[ResolvedRoute], Awaitable[None]]


def tor_available(settings: Settings) -> bool:
    """A tor to route Electrum through: our tor_cmd on PATH, or an existing tor (tor_socks / attach mode)."""
    if settings.tor_socks or settings.tor_mode == "attach":
        return True
    return shutil.which(settings.tor_cmd) is not None


def route_inputs(settings: Settings, *, devnet_server: str | None = None,
                 available: bool | None = None) -> RouteInputs:
    return RouteInputs(network=settings.network, route=settings.electrum_route, server=settings.electrum_server,
                       oneserver=settings.electrum_oneserver, proxy=settings.electrum_proxy,
                       tor_only=settings.tor_only,
                       tor_available=tor_available(settings) if available is None else available,
                       devnet_server=devnet_server)


def resolve_settings(settings: Settings, *, devnet_server: str | None = None) -> ResolvedRoute:
    """The route for ``settings``; RouteNotChosen when nothing was chosen and tor is not there."""
    return resolve(route_inputs(settings, devnet_server=devnet_server))


@dataclass(frozen=True)
class ChainRouteState:
    """What Settings → Chain server and the wizard show."""

    route: ChainRoute | None  # the saved choice (None: not chosen; the running route is a default)
    server: str | None
    running: ResolvedRoute | None  # what Electrum uses now (None without a chain)
    tor_available: bool
    devnet: bool
    locked: dict[str, str]  # setting -> "REDWAVES_X" / "the command line"
    config_file: Path
    pending_restart: bool  # saved since the start: applies the next time RedWaves starts


class ChainRouteService:
    def __init__(self, settings: Callable[[], Settings], running: ResolvedRoute | None,
                 tor_socks: Callable[[], str | None]) -> None:
        self._settings = settings
        self.running = running
        self._tor_socks = tor_socks
        self._saved: dict[str, Any] = {}  # written to config.toml since the start
        self._started: dict[str, Any] = {}  # what Electrum runs with, when switched live since the start
        self._switch: Switch | None = None

    def _now(self) -> Settings:
        return dataclasses.replace(self._settings(), **self._saved) if self._saved else self._settings()

    def current(self) -> ChainRouteState:
        s = self._now()
        route = ChainRoute(s.electrum_route) if s.electrum_route else None
        locked = {key: source for key in LOCKABLE if (source := overridden_by(s, key)) is not None}
        started = self._started or {"electrum_route": self._settings().electrum_route,
                                    "electrum_server": self._settings().electrum_server}
        pending = bool(self._saved) and {"electrum_route": s.electrum_route,
                                         "electrum_server": s.electrum_server} != started
        return ChainRouteState(route=route, server=s.electrum_server, running=self.running,
                               tor_available=tor_available(s), devnet=s.devnet, locked=locked,
                               config_file=config_file_of(s), pending_restart=pending)

    async def test(self, route: str, server: str, *, timeout_s: float = 15.0) -> ProbeResult:
        """Connect to ``server`` as ``route`` would (through tor for "tor" or tor_only) and check it."""
        s = self._now()
        chosen, checked = check_choice(route, server)
        if checked is None:
            raise UserFacingError("Enter a server to test as host:port:s or host:port:t.", field="electrum_server")
        socks = None
        if chosen is ChainRoute.TOR or s.tor_only:
            socks = self._tor_socks()
            if not socks:
                raise UserFacingError("Tor is not running in this RedWaves yet, so the test cannot go through it. "
                                      "Save the choice: tor starts with RedWaves next time.", code="tor_required",
                                      field="electrum_server")
        return await probe(checked, network=s.network, socks=socks, timeout_s=timeout_s)

    def attach_switch(self, switch: Switch) -> None:
        """The runtime's live switch (Electrum's Network.set_parameters, tor started when needed)."""
        self._switch = switch

    async def apply(self, route: str, server: str) -> ChainRouteState:
        """Switch Electrum to the choice now (when the runtime can) and save it to config.toml.

        UserFacingError beside the field for a bad choice, a locked setting, tor missing or a switch that
        failed (then nothing is saved and Electrum keeps its route)."""
        s = self._now()
        if s.devnet:
            raise UserFacingError("This RedWaves runs the embedded devnet: its own chain is the server.",
                                  code="devnet_chain", field="electrum_route")
        chosen, checked = check_choice(route, server)
        if chosen is ChainRoute.TOR and not tor_available(s):
            raise UserFacingError(f"Tor is not installed (no '{s.tor_cmd}' program found). Install tor, or choose "
                                  "another server.", code="tor_required", field="electrum_route")
        values: dict[str, Any] = {"electrum_route": str(chosen), "electrum_server": checked}
        for key, value in values.items():
            source = overridden_by(s, key)
            if source is not None and getattr(s, key) != value:
                raise UserFacingError(f"Set by {source}, which overrides config.toml: change it there.",
                                      code="setting_overridden", field=key)
        new = resolve(route_inputs(dataclasses.replace(s, **values)))
        switched = False
        if self._switch is not None and self.running is not None:
            await self._switch(new)
            self.running, switched = new, True
        path = config_file_of(s)
        try:
            write_config_values(path, values)
        except ConfigError as exc:
            raise UserFacingError(("Applied now, but not saved (it is lost at the next start): " if switched
                                   else "Not saved: ") + str(exc), code="config_not_saved",
                                  field="electrum_route") from None
        finally:
            if switched:
                self._started = values
        self._saved.update(values)
        logger.info("chain route %s and saved to %s: %s", "switched" if switched else "not switched (next start)",
                    path, chosen)
        return self.current()


__all__ = ["ChainRouteService", "ChainRouteState", "RouteNotChosen", "resolve_settings", "route_inputs",
           "tor_available"]
