"""TorService against Debian's real tor, launched offline (DisableNetwork 1), with bounded waits."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from app.checkout_server.listeners import Listener
from app.lifecycle import Lifecycle
from app.net import tor_control
from app.net.errors import TorError
from app.net.tor import ONION_KEY_SECRET, TorOptions, TorService, TorState, tor_health
from app.secrets import SecretStore
from tests.conftest import pid_alive

TOR = "/usr/bin/tor"
ONION_URL = re.compile(r"^http://[a-z2-7]{56}\.onion$")

pytestmark = [
    pytest.mark.skipif(not Path(TOR).exists(), reason="Debian's tor is not installed"),
    # stem 1.8.2 calls Thread.setDaemon(), deprecated since Python 3.10
    pytest.mark.filterwarnings("ignore:setDaemon:DeprecationWarning"),
]


def tor_options(tmp_path: Path, **changes) -> TorOptions:
    values = dict(tor_cmd=TOR, data_dir=tmp_path / "tor", extra_config={"DisableNetwork": "1"},
                  poll_interval_s=0.1, backoff_initial_s=0.2, launch_timeout_s=15.0)
    values.update(changes)
    return TorOptions(**values)


async def wait_for(tor: TorService, predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait (bounded) until ``predicate()`` holds, re-checking at every status event."""
    changed = asyncio.Event()
    unsubscribe = tor.subscribe(lambda _status: changed.set())
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                changed.clear()
                await changed.wait()
    finally:
        unsubscribe()


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore(f"test-tor-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def public_listener():
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<p>public shop</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    listener = Listener(app, "0.0.0.0", 0, name="public")
    await listener.start()
    yield listener
    await listener.stop()


@pytest.fixture
async def services():
    started: list[TorService] = []

    def make(options: TorOptions, secrets: SecretStore) -> TorService:
        service = TorService(options, secrets)
        started.append(service)
        return service

    yield make
    for service in started:
        await service.stop()


async def test_onion_points_at_public_listener_and_survives_restart(tmp_path, secrets, public_listener, services):
    tor = services(tor_options(tmp_path), secrets)
    seen: list[TorState] = []
    tor.subscribe(lambda status: seen.append(status.state))
    await tor.start()
    await tor.publish("0.0.0.0", public_listener.port)

    assert tor.status.state == TorState.BOOTSTRAPPING  # offline: tor never gets past 0 %
    assert ONION_URL.match(tor.onion_url) and tor.onion_up
    service_id = tor.onion_address.removesuffix(".onion")
    assert await tor.current_onions() == [service_id]  # GETINFO onions/current on our control port
    assert tor.port_mapping == {80: f"127.0.0.1:{public_listener.port}"}
    async with aiohttp.ClientSession() as session, session.get(f"http://{tor.port_mapping[80]}/") as resp:
        assert "public shop" in await resp.text()  # the mapped target is the public listener
    assert secrets.get(ONION_KEY_SECRET).reveal().startswith("ED25519-V3:")
    assert seen[:2] == [TorState.LAUNCHING, TorState.BOOTSTRAPPING]
    health = tor_health(tor)
    assert health["state"] == "bootstrapping" and health["onion_url"] == tor.onion_url and health["error"] is None
    assert tor.onion_qr_matrix()

    pid, onion_url = tor.pid, tor.onion_url
    await tor.stop()
    assert not pid_alive(pid) and tor.status.state == TorState.STOPPED and not tor.onion_up

    again = services(tor_options(tmp_path), secrets)  # a new run of RedWaves: key from the keyring
    await again.start()
    await again.publish("0.0.0.0", public_listener.port)
    assert again.onion_url == onion_url and again.pid != pid


async def test_killed_tor_is_restarted_with_the_same_onion(tmp_path, secrets, public_listener, services):
    tor = services(tor_options(tmp_path), secrets)
    states: list[TorState] = []
    tor.subscribe(lambda status: states.append(status.state))
    await tor.start()
    await tor.publish("127.0.0.1", public_listener.port)
    pid, onion, socks = tor.pid, tor.onion_address, tor.socks_address

    os.kill(pid, signal.SIGKILL)
    await wait_for(tor, lambda: tor.status.restarts == 1 and tor.onion_up, timeout_s=15)
    assert tor.onion_address == onion and tor.pid != pid and tor.socks_address == socks
    assert await tor.current_onions() == [onion.removesuffix(".onion")]
    assert TorState.ERROR in states  # subscribers saw it die
    assert tor_health(tor)["restarts"] == 1


async def test_recheck_adds_a_vanished_onion_again(tmp_path, secrets, public_listener, services):
    tor = services(tor_options(tmp_path, recheck_interval_s=0.3), secrets)
    await tor.start()
    await tor.publish("127.0.0.1", public_listener.port)
    service_id = tor.onion_address.removesuffix(".onion")
    # simulate tor losing the service (only our own control connection may remove it)
    await asyncio.to_thread(tor_control.remove_onion, tor._handle, service_id)
    assert await tor.current_onions() == []
    async with asyncio.timeout(5):  # the watchdog's re-check (every 0.3 s here) adds it back
        while await tor.current_onions() != [service_id]:  # noqa: ASYNC110 (polls tor, no event for this)
            await asyncio.sleep(0.1)


async def test_attach_to_an_existing_tor(tmp_path, public_listener, services):
    own = services(tor_options(tmp_path), SecretStore(f"test-tor-{uuid.uuid4().hex[:8]}"))
    await own.start()
    attached = services(TorOptions(mode="attach", control_address=own.control_address, poll_interval_s=0.1),
                        SecretStore(f"test-tor-{uuid.uuid4().hex[:8]}"))
    await attached.start()
    await attached.publish("127.0.0.1", public_listener.port)
    assert attached.onion_up and attached.pid is None
    assert attached.socks_address == own.socks_address  # asked tor: GETINFO net/listeners/socks
    await attached.stop()
    assert pid_alive(own.pid)  # stopping RedWaves' side never stops someone else's tor


async def test_unreachable_control_port_is_an_error_status(tmp_path, services):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    tor = services(TorOptions(mode="attach", control_address=f"127.0.0.1:{closed}"), SecretStore("test-tor-x"))
    await tor.start()
    assert tor.status.state == TorState.ERROR and tor.status.error_code == TorError.CONTROL_UNREACHABLE


async def test_port_in_use_is_an_error_status(tmp_path, secrets, services):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        tor = services(tor_options(tmp_path, control_port=port), secrets)
        await tor.start()
        assert tor.status.state == TorState.ERROR and tor.status.error_code == "port_in_use"
        assert str(port) in tor.status.error_message
    broken = services(tor_options(tmp_path / "broken", extra_config={"DisableNetwork": "1", "NoSuchOption": "1"}),
                      secrets)
    await broken.start()  # tor itself refuses to start: its reason is reported
    assert broken.status.state == TorState.ERROR and broken.status.error_code == TorError.LAUNCH_FAILED
    assert "NoSuchOption" in broken.status.error_message or "terminated" in broken.status.error_message


class _Flag:
    started = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False


async def test_missing_tor_binary_does_not_stop_the_app(tmp_path, secrets, services):
    tor = services(tor_options(tmp_path, tor_cmd=str(tmp_path / "no-such-tor"), backoff_initial_s=30), secrets)
    other = _Flag()
    lifecycle = Lifecycle(stop_timeout_s=5)
    lifecycle.add("tor", tor)
    lifecycle.add("listeners", other)
    await lifecycle.start()  # does not raise
    try:
        assert other.started
        assert tor.status.state == TorState.ERROR and tor.status.error_code == TorError.NOT_FOUND
        assert "tor" in tor.status.error_message.lower()
        assert tor_health(tor)["error"]["code"] == "tor_not_found"
        assert tor.electrum_proxy and tor.electrum_proxy.startswith("socks5:127.0.0.1:")  # tor-only fails closed
        assert not tor.onion_up
    finally:
        await lifecycle.stop()
    assert tor_health(None) == {"enabled": False, "state": "disabled"}


async def test_rejected_onion_key_is_an_error_status_not_an_exception(tmp_path, secrets, public_listener, services):
    secrets.set(ONION_KEY_SECRET, "ED25519-V3:not-a-key")
    tor = services(tor_options(tmp_path), secrets)
    await tor.start()
    await tor.publish("127.0.0.1", public_listener.port)  # does not raise
    assert tor.status.state == TorState.ERROR and tor.status.error_code == TorError.ONION_FAILED
    await tor.check_now()  # the re-check tries again; tor keeps running, the status stays an error
    assert tor.status.error_code == TorError.ONION_FAILED and not tor.onion_up and tor.pid is not None
    assert secrets.get(ONION_KEY_SECRET).reveal() == "ED25519-V3:not-a-key"  # never silently replaced


async def test_disabled_tor_does_nothing(tmp_path, secrets, services):
    tor = services(tor_options(tmp_path, enabled=False), secrets)
    await tor.start()
    assert tor.status.state == TorState.DISABLED and tor.pid is None and tor_health(tor)["state"] == "disabled"


async def test_lightning_listener_is_published_on_the_same_onion(tmp_path, secrets, public_listener, services):
    from app.runtime import lightning_onion_ports

    extra = lightning_onion_ports("0.0.0.0:9735", 80)
    assert extra == {9735: "127.0.0.1:9735"}
    assert lightning_onion_ports("", 80) == {} and lightning_onion_ports("127.0.0.1:80", 80) == {}
    tor = services(tor_options(tmp_path, extra_ports=extra), secrets)
    await tor.start()
    await tor.publish("0.0.0.0", public_listener.port)
    assert tor.onion_up  # tor accepted one onion service with both ports (ADD_ONION Port=80,... Port=9735,...)
    assert tor.port_mapping == {80: f"127.0.0.1:{public_listener.port}", 9735: "127.0.0.1:9735"}
