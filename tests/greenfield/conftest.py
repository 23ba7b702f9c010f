"""Greenfield tests: the private app with the /greenfield feature mounted, services over real SQLite (fake
chain), and a real loopback receiver that verifies BTCPay-Sig like a BTCPay client does."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from aiohttp import web

from app.checkout_server.app import create_app
from tests.api.conftest import Stack

GREENFIELD = "app.checkout_server.greenfield.routes"


@pytest.fixture
async def services(tmp_path):
    stack = Stack(tmp_path)
    await stack.start()
    try:
        yield stack.services
    finally:
        await stack.stop()


@pytest.fixture
async def client(aiohttp_client, services):
    return await aiohttp_client(create_app(services, public=False))


def token(key: str) -> dict[str, str]:
    return {"Authorization": f"token {key}"}


def btcpay_sig_valid(secret: str, body: bytes, header: str) -> bool:
    """What BTCPay clients do (e.g. the PHP library's Webhook::isIncomingWebhookRequestValid)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


class BTCPayReceiver:
    """A real aiohttp server on 127.0.0.1:<port> recording each POST and whether its BTCPay-Sig verifies."""

    def __init__(self) -> None:
        self.secret = ""
        self.received: list[dict[str, Any]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.received.append({"body": raw, "sig": request.headers.get("BTCPay-Sig", ""),
                              "valid": btcpay_sig_valid(self.secret, raw, request.headers.get("BTCPay-Sig", "")),
                              "redwaves_headers": [h for h in request.headers if h.lower().startswith("x-redwaves")]})
        return web.Response(status=200, text="ok")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/btcpay"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/btcpay", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def btcpay_receiver():
    receiver = BTCPayReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
