"""Which Electrum server(s) learn the shop's addresses: the rules, pure.

Three routes (setting ``electrum_route``):

- ``own``: the merchant's own Electrum server (``electrum_server``, host:port:t|s), and only it.
- ``tor``: Electrum's public servers (or ``electrum_server`` when set) through tor's SOCKS port;
  RedWaves launches tor for it even when the onion service is off.
- ``direct``: Electrum's public servers, directly: they see every address of the shop and its IP.

How the older settings combine (``resolve``):

1. the embedded devnet always wins: "own", its 127.0.0.1 server, oneserver;
2. ``electrum_route`` unset and ``electrum_server`` set -> "own";
3. ``electrum_route`` unset and no server: on regtest "own" (Electrum's local regtest default,
   127.0.0.1:51001); elsewhere "tor" when tor is available (a tor binary, or ``tor_socks`` /
   attach mode), else ``RouteNotChosen`` (``serve`` exits 2 naming the settings to set);
4. ``tor_only`` sends Electrum through tor whatever the route (``via_tor`` is True);
5. ``electrum_proxy`` (an explicit SOCKS proxy) is used when the route does not go through tor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.errors import UserFacingError, ValidationError


class ChainRoute(StrEnum):
    OWN = "own"
    TOR = "tor"
    DIRECT = "direct"


ROUTE_NAMES = {
    ChainRoute.OWN: "Own server",
    ChainRoute.TOR: "Public servers over Tor",
    ChainRoute.DIRECT: "Public servers directly",
}
NOT_CHOSEN_HELP = ("Choose which Electrum server learns your shop's addresses: set electrum_route = \"own\" "
                   "and electrum_server = \"host:port:s\" (your own Electrum server), or electrum_route = \"direct\" "
                   "(Electrum's public servers, which then see every address of your shop and your IP address); "
                   "or install tor for the default, public servers over Tor (electrum_route = \"tor\").")


class RouteNotChosen(UserFacingError):
    """No route was chosen and there is no safe default (no tor)."""

    code = "chain_route_not_chosen"

    def __init__(self) -> None:
        super().__init__("No Electrum server chosen and tor is not available. " + NOT_CHOSEN_HELP,
                         field="electrum_route")


def parse_server(text: str) -> str:
    """'host:port:t' or 'host:port:s', trimmed; ValidationError (field electrum_server) otherwise."""
    value = text.strip()
    host, port, protocol = (value.rsplit(":", 2) + ["", "", ""])[:3] if value.count(":") >= 2 else ("", "", "")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or protocol not in ("t", "s"):
        raise ValidationError("Write the server as host:port:s (TLS) or host:port:t (plain TCP), "
                              "e.g. electrum.example:50002:s.", field="electrum_server")
    if any(ch.isspace() or ch in "/@" for ch in host):
        raise ValidationError("The host name has a character a host name cannot have.", field="electrum_server")
    return value


def split_server(server: str) -> tuple[str, int, str]:
    """'host:port:s' -> ('host', port, 's') (a checked server string)."""
    host, port, protocol = parse_server(server).rsplit(":", 2)
    return host.strip("[]"), int(port), protocol


def is_onion_host(host: str) -> bool:
    return host.rstrip(".").lower().endswith(".onion")


@dataclass(frozen=True)
class RouteInputs:
    """The settings (and facts) a route is resolved from."""

    network: str
    route: str | None = None  # electrum_route; None = not chosen
    server: str | None = None  # electrum_server
    oneserver: bool = False  # electrum_oneserver
    proxy: str | None = None  # electrum_proxy
    tor_only: bool = False
    tor_available: bool = False  # a tor binary found, or tor_socks / attach configured
    devnet_server: str | None = None  # the embedded devnet's server string


@dataclass(frozen=True)
class ResolvedRoute:
    """What Electrum does: ``server`` (None = Electrum picks a public one), ``oneserver``, through tor or
    ``proxy``; ``chosen`` False when the route is a default (``serve`` says so)."""

    route: ChainRoute
    server: str | None
    oneserver: bool
    via_tor: bool
    proxy: str | None  # an explicit electrum_proxy used when not via tor
    chosen: bool
    devnet: bool = False

    @property
    def needs_tor(self) -> bool:
        return self.via_tor

    def describe(self) -> str:
        """One line for the merchant: 'Own server electrum.example:50002', 'Public servers over Tor'..."""
        if self.devnet:
            return f"Own server (embedded devnet) {display_server(self.server)}"
        if self.route is ChainRoute.OWN:
            return f"Own server {display_server(self.server)}" + (" over Tor" if self.via_tor else "")
        if self.route is ChainRoute.TOR or self.via_tor:
            return ROUTE_NAMES[ChainRoute.TOR] + (f" ({display_server(self.server)} first)" if self.server else "")
        return "Public servers directly (they see your addresses)"


def display_server(server: str | None) -> str:
    """'electrum.example:50002:s' -> 'electrum.example:50002' (the protocol letter means nothing to a merchant)."""
    if not server:
        return ""
    host, _sep, rest = server.rpartition(":")
    return host if rest in ("t", "s") else server


def parse_route(value: str | None) -> ChainRoute | None:
    if value is None or not value.strip():
        return None
    try:
        return ChainRoute(value.strip().lower())
    except ValueError:
        raise ValidationError("Choose own, tor or direct.", field="electrum_route") from None


def check_choice(route: str | None, server: str | None) -> tuple[ChainRoute, str | None]:
    """A choice made in the window: the route and its (checked) server; "own" needs a server."""
    chosen = parse_route(route)
    if chosen is None:
        raise ValidationError("Choose which server learns your shop's addresses.", field="electrum_route")
    text = (server or "").strip()
    if chosen is ChainRoute.OWN and not text:
        raise ValidationError("Enter your Electrum server as host:port:s or host:port:t.", field="electrum_server")
    return chosen, parse_server(text) if text else None


def resolve(inputs: RouteInputs) -> ResolvedRoute:
    """The route Electrum uses for these settings (rules in the module docstring)."""
    if inputs.devnet_server is not None:
        return ResolvedRoute(ChainRoute.OWN, inputs.devnet_server, True, inputs.tor_only, None, True, devnet=True)
    route = parse_route(inputs.route)
    chosen = route is not None
    if route is None:
        if inputs.server:
            route = ChainRoute.OWN
        elif inputs.network == "regtest":
            return ResolvedRoute(ChainRoute.OWN, None, False, inputs.tor_only, _proxy(inputs), False)
        elif inputs.tor_available or inputs.tor_only:
            route = ChainRoute.TOR
        else:
            raise RouteNotChosen()
    if route is ChainRoute.OWN:
        if not inputs.server:
            raise ValidationError("electrum_route = \"own\" needs electrum_server (host:port:t|s).",
                                  field="electrum_server")
        return ResolvedRoute(route, inputs.server, True, inputs.tor_only, _proxy(inputs), chosen)
    via_tor = route is ChainRoute.TOR or inputs.tor_only
    return ResolvedRoute(route, inputs.server, inputs.oneserver and inputs.server is not None, via_tor,
                         None if via_tor else inputs.proxy, chosen)


def _proxy(inputs: RouteInputs) -> str | None:
    return None if inputs.tor_only else inputs.proxy
