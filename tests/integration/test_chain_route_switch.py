"""Settings → Chain server applied live on the real runtime: Electrum (real, against the devnet's Electrum
protocol on 127.0.0.1) moves from the merchant's own server to "public servers over Tor" (a SOCKS5 proxy
standing in for tor, resolving the server's name itself) and back, without a restart; each choice is in
config.toml and on /health, and a locked setting is refused beside its field."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.config import load_settings
from app.core.chain_route import ChainRoute
from app.core.errors import UserFacingError
from app.runtime import Runtime
from tests.chain.socks5 import Socks5Server
from tests.conftest import serving_devnet
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.slow
NAME = "electrum.redwaves.test"  # only the proxy knows it, as tor knows .onion names


@pytest.fixture
async def devnet() -> AsyncIterator[Any]:
    async with serving_devnet(3) as net:
        yield net


@pytest.fixture
async def socks() -> AsyncIterator[Socks5Server]:
    server = Socks5Server(hosts={NAME: "127.0.0.1"})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_switch_own_server_to_tor_and_back_live(tmp_path, devnet, socks) -> None:
    own = f"127.0.0.1:{devnet.port}:t"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.toml").write_text(f'electrum_route = "own"\nelectrum_server = "{own}"\n')
    settings = load_settings({"REDWAVES_TOR_SOCKS": f"127.0.0.1:{socks.port}"},
                             {"data_dir": data_dir, "network": "regtest", "private_port": 0, "daemon_enabled": False})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        services = runtime.services
        assert services is not None and services.chain is not None
        chain, control = services.chain, services.chain_route
        await wait_until(lambda: chain.state().connected and chain.state().tip_height == devnet.tip_height,
                         timeout_s=30, what="connected to the own server")
        assert control.current().running.describe() == f"Own server 127.0.0.1:{devnet.port}"

        # public servers over tor (here: the named server first, through the proxy)
        state = await control.apply("tor", f"{NAME}:{devnet.port}:t")
        assert state.running.route is ChainRoute.TOR and state.running.via_tor and not state.pending_restart
        await wait_until(lambda: chain.state().connected and NAME in (chain.state().server or ""), timeout_s=30,
                         what="connected through the proxy")
        assert (NAME, devnet.port) in socks.connections  # the name went to the proxy: resolved there, not here
        health = await services.health()
        assert health["chain"]["route"] == "tor" and health["chain"]["via_tor"] is True
        saved = tomllib.loads((data_dir / "config.toml").read_text())
        assert saved["electrum_route"] == "tor" and saved["electrum_server"] == f"{NAME}:{devnet.port}:t"

        # back to the own server, no proxy
        await control.apply("own", own)
        await wait_until(lambda: chain.state().connected and chain.state().server == own, timeout_s=30,
                         what="back on the own server")
        saved = tomllib.loads((data_dir / "config.toml").read_text())
        assert saved["electrum_route"] == "own" and saved["electrum_server"] == own
        assert (await services.health())["chain"]["route"] == "own"
    finally:
        await runtime.stop()

    # what was saved is what the next start uses
    again = Runtime(load_settings({}, {"data_dir": data_dir, "network": "regtest", "private_port": 0}))
    assert again.chain_route is not None and again.chain_route.route is ChainRoute.OWN
    assert again.chain_route.server == own and again.chain_route.chosen


async def test_a_setting_from_the_environment_is_refused_beside_its_field(tmp_path, devnet) -> None:
    own = f"127.0.0.1:{devnet.port}:t"
    settings = load_settings({"REDWAVES_ELECTRUM_SERVER": own, "REDWAVES_ELECTRUM_ROUTE": "own"},
                             {"data_dir": tmp_path / "data", "network": "regtest", "private_port": 0,
                              "daemon_enabled": False})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        control = runtime.services.chain_route
        assert control.current().locked == {"electrum_route": "REDWAVES_ELECTRUM_ROUTE",
                                            "electrum_server": "REDWAVES_ELECTRUM_SERVER"}
        with pytest.raises(UserFacingError) as caught:
            await control.apply("direct", "")
        assert caught.value.field == "electrum_route" and "REDWAVES_ELECTRUM_ROUTE" in caught.value.message
        assert runtime.chain_route.route is ChainRoute.OWN  # nothing switched
    finally:
        await runtime.stop()


async def test_no_route_and_no_tor_fails_at_the_chain_stage_naming_the_settings(tmp_path) -> None:
    """The window's start (start_chain_loop, then start) shows this as its start-up error; nothing connects."""
    from app.core.chain_route import RouteNotChosen

    settings = load_settings({"REDWAVES_TOR_CMD": str(tmp_path / "no-such-tor")},
                             {"data_dir": tmp_path / "data", "network": "mainnet", "private_port": 0,
                              "daemon_enabled": False})
    runtime = Runtime(settings)
    assert runtime.chain_route is None and not runtime.chain_needs_tor
    runtime.start_chain_loop()  # no Electrum loop for a route that does not exist
    assert runtime.chain is None
    with pytest.raises(RouteNotChosen) as caught:
        await runtime.start()
    assert 'electrum_route = "direct"' in caught.value.message
    await runtime.stop()
    assert runtime.chain is None and runtime.tor is None
