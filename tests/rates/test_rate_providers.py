"""Rate providers against local servers that answer like CoinGecko, Kraken, Bitstamp, Coinbase, Bitfinex."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from app.core.errors import RateUnavailable
from app.net.rate_providers import (
    PROVIDERS,
    ExchangeRateProvider,
    FallbackRateSource,
    RateOptions,
    build_rate_sources,
)


def provider(apis, name, **kw):
    return ExchangeRateProvider(PROVIDERS[name], base_url=apis.base_url(name), **kw)


@pytest.mark.parametrize(("name", "expected"), [
    ("coingecko", Decimal("64123.123456789")),  # a JSON number: exact, never through float
    ("kraken", Decimal("64000.10000")),
    ("bitstamp", Decimal("64050.5")),
    ("coinbase", Decimal("64000.125")),
    ("bitfinex", Decimal("64000.5")),
])
async def test_each_provider_parses_its_real_shape_into_exact_decimal(rate_apis, name, expected):
    rate = await provider(rate_apis, name).get_rate("usd")
    assert type(rate) is Decimal and rate == expected and str(rate) == str(expected)


@pytest.mark.parametrize("name", ["coingecko", "kraken", "bitstamp", "coinbase", "bitfinex"])
@pytest.mark.parametrize("mode", ["500", "429", "garbage", "shape"])
async def test_errors_and_garbage_become_rate_unavailable(rate_apis, name, mode):
    rate_apis.modes[name] = mode
    with pytest.raises(RateUnavailable) as caught:
        await provider(rate_apis, name).get_rate("USD")
    assert caught.value.code == "rate_unavailable" and name in str(caught.value)


async def test_timeout_is_bounded(rate_apis):
    rate_apis.modes["kraken"] = "slow"
    with pytest.raises(RateUnavailable):
        await provider(rate_apis, "kraken", timeout_s=0.3).get_rate("USD")


async def test_unreachable_server():
    source = ExchangeRateProvider(PROVIDERS["bitstamp"], base_url="http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(RateUnavailable):
        await source.get_rate("USD")


async def test_unsupported_currency_is_refused_without_a_request(rate_apis):
    with pytest.raises(RateUnavailable, match="JPY"):
        await provider(rate_apis, "bitstamp").get_rate("JPY")
    assert rate_apis.calls.get("bitstamp", 0) == 0


async def test_cache_honours_max_age(rate_apis):
    now = [1000.0]
    source = provider(rate_apis, "coingecko", max_age_s=60, clock=lambda: now[0])
    assert await source.get_rate("USD") == await source.get_rate("USD")
    assert rate_apis.calls["coingecko"] == 1
    now[0] += 61
    rate_apis.modes["coingecko"] = "500"
    with pytest.raises(RateUnavailable):  # a stale answer is never used
        await source.get_rate("USD")
    rate_apis.modes["coingecko"] = "ok"
    assert await source.get_rate("USD") == Decimal("64123.123456789")
    assert rate_apis.calls["coingecko"] == 3


async def test_fallback_chain_takes_the_first_that_answers(rate_apis):
    chain = FallbackRateSource([provider(rate_apis, n, max_age_s=0) for n in ("coingecko", "kraken", "bitstamp")])
    rate_apis.modes["coingecko"] = "500"
    assert await chain.get_rate("USD") == Decimal("64000.10000")  # kraken
    rate_apis.modes["kraken"] = "shape"
    assert await chain.get_rate("USD") == Decimal("64050.5")  # bitstamp
    rate_apis.modes["bitstamp"] = "garbage"
    with pytest.raises(RateUnavailable, match="coingecko, kraken, bitstamp"):
        await chain.get_rate("USD")


async def test_factory_builds_named_providers_and_the_chain_with_injected_connector(rate_apis):
    made = []

    def connector():
        made.append(1)
        return aiohttp.TCPConnector(limit=1)

    sources = build_rate_sources(RateOptions(providers=("bitstamp", "coingecko"), base_urls=rate_apis.base_urls(),
                                             connector_factory=connector))
    by_name = {s.name: s for s in sources}
    assert {"coingecko", "kraken", "bitstamp", "coinbase", "bitfinex", "auto"} <= set(by_name)
    assert await by_name["auto"].get_rate("USD") == Decimal("64050.5")
    assert await by_name["coinbase"].get_rate("EUR") == Decimal("59000.5")
    assert len(made) == 2
    with pytest.raises(ValueError, match="nosuch"):
        build_rate_sources(RateOptions(providers=("nosuch",)))
