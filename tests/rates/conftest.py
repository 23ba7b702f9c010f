"""A local aiohttp server answering like the real rate APIs (recorded response shapes), per-provider modes."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from tests.services.conftest import services  # noqa: F401  (the services fixture, for end-to-end tests)

COINGECKO = '{"bitcoin": {"usd": 64123.123456789, "eur": 59000.1}}'
KRAKEN = ('{"error": [], "result": {"XXBTZUSD": {"a": ["64010.00000", "1", "1.000"], "b": ["64009.90000", "2", "2.000"],'
          ' "c": ["64000.10000", "0.00100000"], "v": ["1000.1", "2000.2"], "p": ["63900.1", "63950.2"],'
          ' "t": [12000, 24000], "l": ["63000.0", "62000.0"], "h": ["65000.0", "66000.0"], "o": "63500.00000"}}}')
KRAKEN_ERROR = '{"error": ["EQuery:Unknown asset pair"], "result": {}}'
BITSTAMP = ('{"timestamp": "1717000000", "open": "63500", "high": "65000", "low": "62000", "last": "64050.5",'
            ' "volume": "1234.5", "vwap": "63900", "bid": "64040", "ask": "64060", "open_24": "63400",'
            ' "percent_change_24": "1.02", "side": "0"}')
COINBASE = '{"data": {"currency": "BTC", "rates": {"USD": "64000.125", "EUR": "59000.5", "AED": "235000.1"}}}'
BITFINEX = "[64000, 10.5, 64001, 5.2, 100, 0.0016, 64000.5, 1200.3, 65000, 62000]"


class FakeRateApis:
    def __init__(self) -> None:
        self.modes: dict[str, str] = {}  # provider -> ok | 500 | garbage | slow | shape
        self.calls: dict[str, int] = {}
        self.server = None

    def base_url(self, provider: str) -> str:
        return str(self.server.make_url(f"/{provider}"))

    def base_urls(self) -> dict[str, str]:
        return {name: self.base_url(name) for name in ("coingecko", "kraken", "bitstamp", "coinbase", "bitfinex")}

    def handler(self, provider: str, good: str, bad_shape: str):
        async def handle(request: web.Request) -> web.StreamResponse:
            self.calls[provider] = self.calls.get(provider, 0) + 1
            mode = self.modes.get(provider, "ok")
            if mode == "500":
                return web.Response(status=500, text="Internal Server Error")
            if mode == "429":
                return web.Response(status=429, text='{"error": "rate limited"}', content_type="application/json")
            if mode == "garbage":
                return web.Response(text="<html>Cloudflare says no</html>", content_type="text/html")
            if mode == "slow":
                await asyncio.sleep(5)
            if mode == "shape":
                return web.Response(text=bad_shape, content_type="application/json")
            return web.Response(text=good, content_type="application/json")
        return handle

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/coingecko/api/v3/simple/price", self.handler("coingecko", COINGECKO, '{"bitcoin": {}}'))
        app.router.add_get("/kraken/0/public/Ticker", self.handler("kraken", KRAKEN, KRAKEN_ERROR))
        app.router.add_get("/bitstamp/api/v2/ticker/{pair}/", self.handler("bitstamp", BITSTAMP, '{"last": "-5"}'))
        app.router.add_get("/coinbase/v2/exchange-rates", self.handler("coinbase", COINBASE, '{"data": null}'))
        app.router.add_get("/bitfinex/v2/ticker/{symbol}", self.handler("bitfinex", BITFINEX, '["error", 10020]'))
        return app


@pytest.fixture
async def rate_apis(aiohttp_server):
    apis = FakeRateApis()
    apis.server = await aiohttp_server(apis.app())
    return apis
