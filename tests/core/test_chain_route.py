"""The chain route rules: which Electrum server(s) learn the shop's addresses, from the settings."""

from __future__ import annotations

import pytest

from app.core.chain_route import (
    ChainRoute,
    RouteInputs,
    RouteNotChosen,
    check_choice,
    display_server,
    parse_server,
    resolve,
)
from app.core.errors import ValidationError

OWN = "electrum.example:50002:s"


def test_unset_route_with_a_server_is_own_and_only_that_server():
    route = resolve(RouteInputs(network="mainnet", server=OWN))
    assert (route.route, route.server, route.oneserver, route.via_tor, route.chosen) == (
        ChainRoute.OWN, OWN, True, False, False)
    assert route.describe() == "Own server electrum.example:50002"


def test_unset_route_defaults_to_tor_when_tor_is_available():
    route = resolve(RouteInputs(network="mainnet", tor_available=True))
    assert route.route is ChainRoute.TOR and route.via_tor and route.server is None and not route.chosen
    assert route.describe() == "Public servers over Tor"


def test_unset_route_without_tor_is_refused_naming_the_settings():
    with pytest.raises(RouteNotChosen) as caught:
        resolve(RouteInputs(network="mainnet", tor_available=False))
    assert caught.value.field == "electrum_route" and caught.value.code == "chain_route_not_chosen"
    assert 'electrum_route = "own"' in caught.value.message and 'electrum_route = "direct"' in caught.value.message


def test_regtest_defaults_to_the_local_server_without_tor():
    route = resolve(RouteInputs(network="regtest"))
    assert route.route is ChainRoute.OWN and not route.via_tor and route.server is None


def test_devnet_wins_over_everything():
    route = resolve(RouteInputs(network="regtest", route="direct", server=OWN, tor_available=True,
                                devnet_server="127.0.0.1:5555:t"))
    assert (route.route, route.server, route.oneserver, route.devnet) == (ChainRoute.OWN, "127.0.0.1:5555:t",
                                                                           True, True)
    assert "embedded devnet" in route.describe()


def test_direct_is_public_servers_and_says_they_see_the_addresses():
    route = resolve(RouteInputs(network="mainnet", route="direct", tor_available=True))
    assert route.route is ChainRoute.DIRECT and not route.via_tor and route.chosen and route.server is None
    assert route.describe() == "Public servers directly (they see your addresses)"


def test_direct_keeps_an_explicit_socks_proxy():
    route = resolve(RouteInputs(network="mainnet", route="direct", proxy="socks5:127.0.0.1:1080"))
    assert route.proxy == "socks5:127.0.0.1:1080" and not route.via_tor


def test_tor_route_ignores_the_plain_proxy_and_may_try_a_server_first():
    route = resolve(RouteInputs(network="mainnet", route="tor", server=OWN, proxy="socks5:127.0.0.1:1080"))
    assert route.via_tor and route.proxy is None and route.server == OWN and not route.oneserver


@pytest.mark.parametrize("chosen", ["own", "direct", None])
def test_tor_only_forces_tor_whatever_the_route(chosen):
    route = resolve(RouteInputs(network="mainnet", route=chosen, server=OWN, tor_only=True,
                                proxy="socks5:127.0.0.1:1080"))
    assert route.via_tor and route.proxy is None


def test_own_route_needs_a_server():
    with pytest.raises(ValidationError) as caught:
        resolve(RouteInputs(network="mainnet", route="own"))
    assert caught.value.field == "electrum_server"


@pytest.mark.parametrize("text", ["electrum.example:50002:s", " 10.0.0.5:50001:t ", "[::1]:50001:t",
                                  "abcdefghij.onion:50001:t"])
def test_parse_server_accepts(text):
    assert parse_server(text) == text.strip()


@pytest.mark.parametrize("text", ["", "electrum.example", "electrum.example:50002", "host:port:s", "host:0:s",
                                  "host:70000:t", "host:50002:x", "ho st:50002:s", "user@host:50002:s"])
def test_parse_server_refuses_beside_the_field(text):
    with pytest.raises(ValidationError) as caught:
        parse_server(text)
    assert caught.value.field == "electrum_server"


def test_check_choice():
    assert check_choice("own", f" {OWN} ") == (ChainRoute.OWN, OWN)
    assert check_choice("tor", "") == (ChainRoute.TOR, None)
    with pytest.raises(ValidationError) as no_server:
        check_choice("own", "")
    assert no_server.value.field == "electrum_server"
    with pytest.raises(ValidationError) as no_route:
        check_choice(None, "")
    assert no_route.value.field == "electrum_route"


def test_display_server_drops_the_protocol_letter():
    assert display_server(OWN) == "electrum.example:50002" and display_server(None) == ""
