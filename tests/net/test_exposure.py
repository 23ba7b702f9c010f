"""Reverse-proxy client addresses, Onion-Location on pages, LAN URLs and clear bind errors."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from app.checkout_server.errors import error_middleware
from app.checkout_server.exposure import CLIENT_IP, client_address, forwarded_client, setup
from app.checkout_server.keys import SERVICES
from app.checkout_server.listeners import Listener, ListenerError
from app.net.errors import InvalidTrustedProxy, PortInUse
from app.net.exposure import Exposure, parse_trusted_proxies
from app.net.lan import ensure_port_free, lan_addresses, lan_urls

ONION = "http://" + "a" * 56 + ".onion"


@dataclass
class FakeServices:
    exposure: Exposure = field(default_factory=Exposure)


async def _whoami(request: web.Request) -> web.Response:
    return web.json_response({"client": client_address(request), "remote": request.remote,
                              "stored": request[CLIENT_IP], "scheme": request.scheme})


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="<p>pay</p>", content_type="text/html")


def make_app(exposure: Exposure | None) -> web.Application:
    app = web.Application(middlewares=[error_middleware])
    app[SERVICES] = FakeServices(exposure or Exposure())
    setup(app)
    app.router.add_get("/whoami", _whoami)
    app.router.add_get("/i/{id}", _page)
    app.router.add_get("/api/v1/page", _page)
    return app


async def test_forwarded_for_from_untrusted_peer_is_ignored(aiohttp_client):
    client = await aiohttp_client(make_app(Exposure(parse_trusted_proxies(["10.0.0.0/8"]))))
    resp = await client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    body = await resp.json()
    assert body == {"client": "127.0.0.1", "remote": "127.0.0.1", "stored": "127.0.0.1", "scheme": "http"}


async def test_forwarded_for_from_trusted_proxy_is_honoured(aiohttp_client):
    client = await aiohttp_client(make_app(Exposure(parse_trusted_proxies(["127.0.0.1", "10.0.0.0/8"]))))
    resp = await client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert await resp.json() == {"client": "203.0.113.9", "remote": "203.0.113.9", "stored": "203.0.113.9",
                                 "scheme": "https"}
    # a client-supplied spoof on the left is skipped: the right-most untrusted hop is the client
    resp = await client.get("/whoami", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.1.2.3"})
    assert (await resp.json())["client"] == "198.51.100.7"
    resp = await client.get("/whoami", headers={"X-Forwarded-For": "not-an-ip"})
    assert (await resp.json())["client"] == "127.0.0.1"


async def test_no_exposure_configured_trusts_nobody(aiohttp_client):
    client = await aiohttp_client(make_app(None))
    resp = await client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert (await resp.json())["client"] == "127.0.0.1"


def test_forwarded_client_rules():
    exposure = Exposure(parse_trusted_proxies(["::1", "192.168.1.0/24"]))
    assert forwarded_client("::1", "2001:db8::5", exposure) == "2001:db8::5"
    assert forwarded_client("::ffff:192.168.1.4", "203.0.113.1", exposure) == "203.0.113.1"
    assert forwarded_client("192.168.1.4", "", exposure) == "192.168.1.4"
    assert forwarded_client("192.168.1.4", "192.168.1.9", exposure) == "192.168.1.9"  # all trusted: left-most
    assert exposure.trusted_proxies[1] == ipaddress.ip_network("192.168.1.0/24")
    with pytest.raises(InvalidTrustedProxy) as info:
        parse_trusted_proxies(["10.0.0.0/8", "proxy.example"])
    assert info.value.code == "invalid_trusted_proxy"


async def test_onion_location_on_pages_only_while_the_onion_is_up(aiohttp_client):
    state = {"url": ONION}
    client = await aiohttp_client(make_app(Exposure(onion_url=lambda: state["url"])))
    resp = await client.get("/i/abc?lang=de")
    assert resp.headers["Onion-Location"] == ONION + "/i/abc?lang=de"
    assert "Onion-Location" not in (await client.get("/api/v1/page")).headers  # API: never
    assert "Onion-Location" not in (await client.get("/whoami")).headers  # JSON: not a page
    assert "Onion-Location" not in (await client.post("/i/abc")).headers  # not a GET (405)
    onion_host = ONION.removeprefix("http://")
    assert "Onion-Location" not in (await client.get("/i/abc", headers={"Host": onion_host})).headers
    state["url"] = None  # tor down
    assert "Onion-Location" not in (await client.get("/i/abc")).headers


def test_lan_urls_list_this_machines_addresses_without_loopback():
    addresses = lan_addresses()
    assert all(not ipaddress.ip_address(a).is_loopback for a in addresses)
    urls = lan_urls("0.0.0.0", 8471)
    assert urls == [f"http://{a}:8471" for a in addresses if ":" not in a]
    assert lan_urls("192.0.2.5", 443, "https") == ["https://192.0.2.5"]
    assert lan_urls("fd00::7", 8471) == ["http://[fd00::7]:8471"]


async def test_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUse) as info:
            ensure_port_free("127.0.0.1", port)
        assert info.value.code == "port_in_use" and str(port) in str(info.value)
        listener = Listener(web.Application(), "127.0.0.1", port, name="public")
        with pytest.raises(ListenerError, match=f"public listener cannot bind 127.0.0.1:{port}"):
            await listener.start()
    ensure_port_free("127.0.0.1", 0)


async def test_guarded_public_listener_reports_bad_settings_and_the_app_goes_on(tmp_path):
    from app.lifecycle import Lifecycle
    from app.net.guarded import Guarded
    from app.net.tls import TlsOptions, server_tls

    def tls_listener() -> Listener:
        context, _info = server_tls(TlsOptions(enabled=True, cert_path=tmp_path / "missing.pem",
                                               key_path=tmp_path / "missing-key.pem"))
        return Listener(web.Application(), "127.0.0.1", 0, name="public", ssl_context=context)

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = Guarded("public listener",
                        lambda: Listener(web.Application(), "127.0.0.1", busy.getsockname()[1], name="public"),
                        errors=(ListenerError,))
        bad_cert = Guarded("public listener", tls_listener)
        private = Listener(web.Application(), "127.0.0.1", 0, name="private")
        lifecycle = Lifecycle()
        for name, component in (("private", private), ("public", taken), ("public tls", bad_cert)):
            lifecycle.add(name, component)
        await lifecycle.start()
        try:
            assert private.port  # the rest keeps running
            assert taken.component is None and "cannot bind" in taken.error.message
            assert bad_cert.error.code == "tls_cert_unreadable" and "missing.pem" in bad_cert.error.message
        finally:
            await lifecycle.stop()
