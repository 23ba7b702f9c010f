"""/health is for monitoring: the real runtime, its devnet's Electrum server closed -> after the
grace period 503 `degraded` naming the chain, since when and its last error; server back -> 200 ok.
A public listener the merchant enabled that cannot bind is degraded at once."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from tests.conftest import started_runtime
from tests.integration.helpers import wait_for, wait_synced

pytestmark = pytest.mark.slow


@pytest.fixture
async def runtime(tmp_path):
    async for started in started_runtime(tmp_path, public_enabled=False, daemon_enabled=False, health_grace_s=1):
        yield started


async def _health(http: aiohttp.ClientSession) -> tuple[int, dict]:
    async with http.get("/health") as resp:
        return resp.status, await resp.json()


async def test_chain_outage_is_degraded_after_the_grace_and_ok_once_back(runtime):
    await wait_synced(runtime)
    async with aiohttp.ClientSession(base_url=runtime.urls["private"]) as http:
        status, report = await _health(http)
        assert status == 200 and report["status"] == "ok" and report["degraded"] == []
        assert report["components"]["chain"]["state"] == "synced"
        assert {"db", "storage", "chain"} <= set(report["components"])
        assert "public_listener" not in report["components"]  # not enabled: not judged

        await runtime.devnet.stop_server()
        await wait_for(lambda: not runtime.chain.state().connected, what="chain disconnected")
        status, report = await _health(http)  # within the grace: still ok, but the state is honest
        chain = report["components"]["chain"]
        assert chain["state"] == "offline"
        offline_since = chain["since"]

        async def degraded() -> bool:
            status, report = await _health(http)
            return status == 503

        await wait_for(degraded, timeout_s=10, what="503 degraded after the 1 s grace")
        status, report = await _health(http)
        assert report["status"] == "degraded" and report["degraded"] == ["chain"]
        chain = report["components"]["chain"]
        assert chain["ok"] is False and chain["since"] == offline_since and offline_since.endswith("Z")
        assert report["banner"].startswith("degraded: chain offline since ")

        async with http.get("/api/v1/health") as resp:  # the REST API's summary agrees
            assert resp.status == 503 and (await resp.json())["status"] == "degraded"

        await runtime.devnet.start_server()
        await wait_synced(runtime, timeout_s=30)

        async def ok() -> bool:
            return (await _health(http))[0] == 200

        await wait_for(ok, timeout_s=10, what="200 ok once the chain is back")
        status, report = await _health(http)
        assert report["status"] == "ok" and "banner" not in report
        assert report["components"]["chain"]["state"] == "synced"


async def test_enabled_public_listener_that_is_down_is_degraded(tmp_path):
    from app.config import load_settings
    from app.runtime import Runtime

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "devnet": True,
                                      "private_port": 0, "public_enabled": True, "public_host": "127.0.0.1",
                                      "public_port": port, "daemon_enabled": False})
        runtime = Runtime(settings)
        await runtime.start()
        try:
            async with aiohttp.ClientSession(base_url=runtime.urls["private"]) as http:
                status, report = await _health(http)
            assert status == 503 and "public_listener" in report["degraded"]
            public = report["components"]["public_listener"]
            assert public["state"] == "error" and public["error"]
        finally:
            await runtime.stop()
