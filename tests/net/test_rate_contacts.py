"""Rate providers are contacted only when a fiat price needs a rate, and only the enabled ones.

The whole service stack is started as the app does (Services.start: rates, event bus, engine, webhooks,
notifications); an audit hook records every socket connect and name lookup the process makes. Idle,
a BTC-priced invoice and the manual rate need no provider: nothing is contacted. A USD invoice on the
'auto' chain then asks the enabled providers in order (the first one fails here, so the second answers)
and never a provider that is not enabled.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from aiohttp import web

from app.chain.keys import set_network
from app.config import load_settings
from app.db.engine import Database
from app.net.rate_providers import PROVIDERS, RateOptions, build_rate_sources
from app.services.container import build_services
from tests.conftest import TEST_VPUB
from tests.services.conftest import FakeChain

_EVENTS: list[tuple[str, object]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _EVENTS is not None and event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        _EVENTS.append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_audit)


async def _provider_server(asked: list[str]) -> tuple[web.AppRunner, int]:
    async def answer(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        asked.append(name)
        if name == "kraken":
            return web.Response(status=500)
        return web.json_response({"last": "50000"})  # bitstamp's shape

    app = web.Application()
    app.router.add_get("/{name}/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def test_rates_are_fetched_only_for_a_fiat_price_from_enabled_providers(tmp_path: Path) -> None:
    global _EVENTS
    set_network("regtest")
    settings = load_settings({}, {"data_dir": tmp_path, "network": "regtest", "rate_providers": "kraken,bitstamp"})
    settings.network_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_path)
    await db.start()
    asked: list[str] = []
    runner, port = await _provider_server(asked)
    _EVENTS = []
    try:
        services = build_services(settings, db, FakeChain())  # type: ignore[arg-type]  # a partial ChainPort
        await services.start()
        try:
            await asyncio.sleep(1.5)  # idle: no timer may fetch
            wallet = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
            await services.rates.set_manual_rate("EUR", Decimal("40000"))
            store = await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id],
                                                 rate_source="auto")
            await services.invoices.create(store.id, price="0.001", currency="BTC")
            assert list(_EVENTS) == [], "no connection and no name lookup while idle or for a BTC price"

            local = {name: f"http://127.0.0.1:{port}/{name}" for name in PROVIDERS}
            for source in build_rate_sources(RateOptions(providers=settings.rate_providers, base_urls=local)):
                services.rates.add_source(source)
            invoice = await services.invoices.create(store.id, price="12.50", currency="USD")
            assert ("socket.connect", ("127.0.0.1", port)) in _EVENTS, "the audit hook sees the rate fetch"
        finally:
            await services.stop()
    finally:
        _EVENTS = None
        await runner.cleanup()
        await db.stop()
    assert invoice.amount_due_sat == 25_000
    assert asked == ["kraken", "bitstamp"], "the enabled providers, in order, and only once a fiat price needed one"
