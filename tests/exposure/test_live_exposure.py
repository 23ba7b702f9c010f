"""Settings → Exposure on the real runtime: the public listener, TLS and tor switched while the app runs.

Real Runtime on the embedded devnet, real HTTP(S) on 127.0.0.1, Debian's tor offline (DisableNetwork 1);
every change must be served at once, reported by services.urls / services.public / /health, and saved
to config.toml (other lines and comments kept)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import tomllib

import aiohttp
import pytest

from app.core.errors import UserFacingError
from app.net.exposure_state import LanChange, TlsChange, TorChange
from app.net.lan import free_port
from app.net.tls import fingerprint_sha256
from app.runtime import Runtime
from tests.conftest import TEST_VPUB, pid_alive
from tests.exposure.conftest import http_get, settings_from_config, wait_for, write_config

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:setDaemon:DeprecationWarning")]


def _saved(path):
    return tomllib.loads(path.read_text())["redwaves"]


async def _invoice(runtime):
    services = runtime.services
    wallet = await services.wallets.add_wallet("w", TEST_VPUB)
    store = await services.stores.create("Shop", default_currency="BTC", wallet_ids=[wallet.id])
    return await services.invoices.create(store.id, price="0.001")


def _peer_fingerprint(port: int) -> str:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return fingerprint_sha256(der)


async def test_lan_and_tls_switched_live_and_saved(tmp_path):
    data = tmp_path / "data"
    config = write_config(data, public_enabled=False)
    runtime = Runtime(settings_from_config(data))
    await runtime.start()
    try:
        services, control = runtime.services, runtime.services.exposure_control
        assert "public" not in runtime.urls and not services.public.status().enabled
        invoice = await _invoice(runtime)
        private = runtime.urls["private"]
        assert services.urls.invoice_url(invoice.id) == f"{private}/i/{invoice.id}"

        # LAN on: the checkout is served on the new port, private routes are not
        port = free_port()
        state = await control.apply_lan(LanChange(True, "127.0.0.1", port))
        public = f"http://127.0.0.1:{port}"
        assert state.serving_url == public and runtime.urls["public"] == public
        status, _, body = await http_get(f"{public}/i/{invoice.id}")
        assert status == 200 and invoice.id in body
        assert (await http_get(f"{public}/health"))[0] == 404
        assert services.urls.invoice_url(invoice.id) == f"{public}/i/{invoice.id}"
        assert services.public.status().enabled and services.public.status().url == public
        health = (await http_get(f"{private}/health"))[2]
        assert f'"url": "{public}"' in health or f'"url":"{public}"' in health
        saved = _saved(config)
        assert saved["public_enabled"] is True and saved["public_port"] == port
        assert config.read_text().startswith("# written by the test")  # comments and other keys kept
        assert saved["network"] == "regtest" and runtime.settings.public_enabled

        # a port in use: an error beside Port, the old listener still serves, nothing saved
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            taken = busy.getsockname()[1]
            with pytest.raises(UserFacingError) as caught:
                await control.apply_lan(LanChange(True, "127.0.0.1", taken))
        assert caught.value.field == "public_port" and caught.value.code == "port_in_use"
        assert runtime.urls["public"] == public and (await http_get(f"{public}/i/{invoice.id}"))[0] == 200
        assert _saved(config)["public_port"] == port and runtime.settings.public_port == port

        # bad public URL: beside its field, nothing changed
        with pytest.raises(UserFacingError) as caught:
            await control.apply_lan(LanChange(True, "127.0.0.1", port, "https://shop.example/evil?x=1"))
        assert caught.value.field == "public_url" and "public_url" not in _saved(config)

        # TLS on, self-signed, on the same port: https works and the fingerprint is the one served
        state = await control.apply_tls(TlsChange(True))
        cert = state.certificate
        assert cert is not None and cert.self_signed and state.serving_url == f"https://127.0.0.1:{port}"
        trusting = ssl.create_default_context(cafile=str(cert.cert_path))
        status, _, body = await http_get(f"https://127.0.0.1:{port}/i/{invoice.id}", ssl_context=trusting)
        assert status == 200 and invoice.id in body
        assert await asyncio.to_thread(_peer_fingerprint, port) == cert.fingerprint_sha256
        assert services.public.status().certificate == cert and cert.fingerprint_sha256 in (
            await http_get(f"{private}/health"))[2]
        assert _saved(config)["public_tls"] is True

        # the shop's public URL: checkout links and receipts use it (Greenfield's checkoutLink too)
        await control.apply_lan(LanChange(True, "127.0.0.1", port, "https://Shop.example/"))
        assert runtime.urls["shop"] == "https://shop.example"
        assert services.urls.invoice_url(invoice.id) == f"https://shop.example/i/{invoice.id}"
        store = await services.stores.get(invoice.store_id)
        assert services.email.invoice_link(store, invoice.id) == f"https://shop.example/i/{invoice.id}"
        assert _saved(config)["public_url"] == "https://shop.example"
        key = (await services.apikeys.create("shop", ["invoices:write"])).key.reveal()
        async with aiohttp.ClientSession(headers={"Authorization": f"token {key}"}) as http, http.post(
                f"{private}/greenfield/api/v1/stores/{store.id}/invoices", json={"amount": "0.001", "currency": "BTC"},
        ) as resp:
            created = await resp.json()
        assert resp.status == 200, created
        assert created["checkoutLink"] == f"https://shop.example/i/{created['id']}"

        # LAN off: connection refused, links fall back to the private listener, saved
        await control.set_lan(False)
        with pytest.raises(aiohttp.ClientConnectionError):
            await http_get(f"https://127.0.0.1:{port}/i/{invoice.id}", ssl_context=trusting)
        assert "public" not in runtime.urls and "shop" not in runtime.urls
        assert services.urls.invoice_url(invoice.id) == f"{private}/i/{invoice.id}"
        assert _saved(config)["public_enabled"] is False and not services.public.status().enabled
    finally:
        await runtime.stop()

    # what was saved is what the next start serves
    again = settings_from_config(data)
    assert (again.public_enabled, again.public_port, again.public_tls, again.public_url) == (
        False, port, True, "https://shop.example")


async def test_a_setting_from_the_environment_is_not_changed_from_the_window(tmp_path):
    data = tmp_path / "data"
    config = write_config(data, public_enabled=False)
    runtime = Runtime(settings_from_config(data, {"REDWAVES_PUBLIC_ENABLED": "false"}))
    await runtime.start()
    try:
        control = runtime.services.exposure_control
        assert control.current().locked == {"public_enabled": "REDWAVES_PUBLIC_ENABLED"}
        with pytest.raises(UserFacingError) as caught:
            await control.set_lan(True)
        assert caught.value.field == "public_enabled" and "REDWAVES_PUBLIC_ENABLED" in caught.value.message
        assert "public" not in runtime.urls and _saved(config)["public_enabled"] is False
        state = await control.apply_lan(LanChange(False, "127.0.0.1", 0, "http://192.168.1.20:8471"))
        assert state.public_url == "http://192.168.1.20:8471"  # the other keys are free
    finally:
        await runtime.stop()


@pytest.mark.skipif(shutil.which("tor") is None, reason="Debian's tor is not installed")
async def test_tor_switched_on_and_off_live(tmp_path):
    data = tmp_path / "data"
    config = write_config(data, public_enabled=True, tor_disable_network=True)
    runtime = Runtime(settings_from_config(data))
    await runtime.start()
    try:
        services, control = runtime.services, runtime.services.exposure_control
        seen = []
        control.subscribe(lambda state: seen.append(state.tor))
        assert runtime.tor is None and services.tor is None and "onion" not in runtime.urls
        invoice = await _invoice(runtime)

        await control.set_tor(True)
        state = control.current()
        assert state.tor_enabled and runtime.tor is not None and services.tor is runtime.tor
        await wait_for(lambda: runtime.tor is not None and runtime.tor.onion_up, what="onion published")
        onion = runtime.urls["onion"]
        assert onion.endswith(".onion") and control.current().onion_url == onion
        assert runtime.tor.port_mapping == {80: f"127.0.0.1:{runtime.onion_target.port}"}
        # every onion shopper arrives from 127.0.0.1: no per-client cap shared by all of them
        assert runtime.onion_target.limits.max_per_client == runtime.onion_target.limits.max_total
        _, headers, _ = await http_get(f"{runtime.urls['public']}/i/{invoice.id}")
        assert headers.get("Onion-Location") == f"{onion}/i/{invoice.id}"
        health = (await http_get(f"{runtime.urls['private']}/health"))[2]
        assert '"state": "bootstrapping"' in health or '"state":"bootstrapping"' in health
        assert any(s is not None and s.onion_address for s in seen)  # live status reached subscribers
        assert _saved(config)["tor_enabled"] is True
        pid = runtime.tor.pid
        assert pid is not None

        await control.set_tor(False)
        assert runtime.tor is None and services.tor is None
        assert "onion" not in runtime.urls and "onion-target" not in runtime.urls
        _, headers, _ = await http_get(f"{runtime.urls['public']}/i/{invoice.id}")
        assert "Onion-Location" not in headers
        await wait_for(lambda: not pid_alive(pid), what="tor process gone")
        assert _saved(config)["tor_enabled"] is False and seen[-1] is None
    finally:
        await runtime.stop()


async def test_tor_that_cannot_start_is_an_error_and_stays_off(tmp_path):
    data = tmp_path / "data"
    config = write_config(data, tor_cmd="/nonexistent/tor")
    runtime = Runtime(settings_from_config(data))
    await runtime.start()
    try:
        control = runtime.services.exposure_control
        with pytest.raises(UserFacingError) as caught:
            await control.apply_tor(TorChange(True))
        assert caught.value.code == "tor_not_found" and caught.value.field == "tor_enabled"
        assert runtime.tor is None and not control.current().tor_enabled
        assert "tor_enabled" not in _saved(config)
    finally:
        await runtime.stop()
