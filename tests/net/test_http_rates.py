"""The HTTP rate provider against a real local aiohttp server (CoinGecko's response shape)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from aiohttp import web

from app.core.errors import RateUnavailable
from app.net.rates import HttpRateSource


@pytest.fixture
async def rate_server(aiohttp_server):
    state = {"calls": 0, "mode": "ok"}

    async def simple_price(request: web.Request) -> web.StreamResponse:
        state["calls"] += 1
        mode = state["mode"]
        if mode == "ok":
            return web.Response(text='{"bitcoin": {"usd": 64123.45, "eur": 59000.1}}', content_type="application/json")
        if mode == "500":
            return web.Response(status=500, text="oops")
        if mode == "garbage":
            return web.Response(text="<html>not json</html>")
        if mode == "negative":
            return web.json_response({"bitcoin": {"usd": -1}})
        await asyncio.sleep(5)  # slow
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/api/v3/simple/price", simple_price)
    server = await aiohttp_server(app)
    return server, state


async def test_parses_decimal_exactly_and_caches(rate_server):
    server, state = rate_server
    source = HttpRateSource(str(server.make_url("/api/v3/simple/price")), max_age_s=60)
    assert await source.get_rate("USD") == Decimal("64123.45")
    assert await source.get_rate("eur") == Decimal("59000.1")
    assert state["calls"] == 1  # second currency came from the cache


@pytest.mark.parametrize("mode", ["500", "garbage", "negative"])
async def test_errors_become_rate_unavailable(rate_server, mode):
    server, state = rate_server
    state["mode"] = mode
    source = HttpRateSource(str(server.make_url("/api/v3/simple/price")))
    with pytest.raises(RateUnavailable):
        await source.get_rate("USD")


async def test_timeout_and_unknown_currency(rate_server):
    server, state = rate_server
    source = HttpRateSource(str(server.make_url("/api/v3/simple/price")), timeout_s=0.3)
    state["mode"] = "slow"
    with pytest.raises(RateUnavailable):
        await source.get_rate("USD")
    state["mode"] = "ok"
    with pytest.raises(RateUnavailable, match="JPY"):
        await source.get_rate("JPY")


async def test_unreachable_server():
    source = HttpRateSource("http://127.0.0.1:9/nothing", timeout_s=1)
    with pytest.raises(RateUnavailable):
        await source.get_rate("USD")
