"""The composition root wires tor, TLS and the public listener: a broken one never stops the app."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl

import aiohttp
import pytest

from app.config import load_settings
from app.runtime import Runtime
from tests.conftest import TEST_VPUB

pytestmark = pytest.mark.slow


def _settings(tmp_path, **extra):
    return load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "private_port": 0,
                              "public_enabled": True, "public_host": "127.0.0.1", "public_port": 0, **extra})


async def _get(url, **kwargs):
    async with aiohttp.ClientSession() as session, session.get(url, **kwargs) as resp:
        return resp.status, dict(resp.headers), await resp.text()


@pytest.mark.skipif(shutil.which("tor") is None, reason="tor is not installed")
async def test_tls_public_listener_and_onion_service(tmp_path):
    runtime = Runtime(_settings(tmp_path, public_tls=True, tor_enabled=True, tor_disable_network=True))
    await runtime.start()
    try:
        for _ in range(200):
            if runtime.tor.onion_up:
                break
            await asyncio.sleep(0.1)
        assert runtime.tor.onion_up and runtime.urls["onion"].endswith(".onion")
        assert runtime.urls["public"].startswith("https://")
        cert = runtime.certificate
        context = ssl.create_default_context(cafile=str(cert.cert_path))
        services = runtime.services
        wallet = await services.wallets.add_wallet("w", TEST_VPUB)
        store = await services.stores.create("Shop", default_currency="BTC", wallet_ids=[wallet.id])
        invoice = await services.invoices.create(store.id, price="0.001")
        status, headers, _ = await _get(f"{runtime.urls['public']}/i/{invoice.id}", ssl=context)
        assert status == 200
        assert headers.get("Onion-Location", "") == f"{runtime.urls['onion']}/i/{invoice.id}"
        status, _, body = await _get(runtime.urls["private"] + "/health")
        assert status == 200 and '"tor"' in body and cert.fingerprint_sha256 in body
        # the onion points at a loopback listener that serves shopper routes only
        assert runtime.tor.port_mapping == {80: f"127.0.0.1:{runtime.onion_target.port}"}
        status, _, _ = await _get(f"http://127.0.0.1:{runtime.onion_target.port}/health")
        assert status == 404
    finally:
        await runtime.stop()


async def test_public_port_in_use_is_reported_and_the_rest_keeps_running(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        runtime = Runtime(_settings(tmp_path, public_port=port, tor_enabled=True, tor_cmd="/nonexistent/tor"))
        await runtime.start()
        try:
            assert "public" not in runtime.urls
            status, _, body = await _get(runtime.urls["private"] + "/health")
            assert status == 503  # degraded: a listener the merchant enabled is down (issue 18), named
            assert '"degraded"' in body and '"public_listener"' in body and "cannot bind" in body
            assert "tor_not_found" in body
        finally:
            await runtime.stop()
