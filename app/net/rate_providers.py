"""Exchange-rate providers for the common public APIs, a fallback chain, and the factory that builds them.

Each provider knows its real response shape (taken from Electrum's exchange_rate.py, without importing
Electrum) and parses numbers straight into Decimal (``json.loads(parse_float=Decimal)``; numbers sent as
strings become Decimal(str)), never float. Base URLs are configurable (tests point them at local
servers); HTTP goes through an injectable connector factory (Tor-only mode passes a SOCKS connector).
Answers are cached per currency for ``max_age_s``; an older answer is never used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import aiohttp

from app.core.currencies import normalize_currency
from app.core.errors import RateUnavailable
from app.core.rates import RateSource, check_rate

logger = logging.getLogger(__name__)

ConnectorFactory = Callable[[], aiohttp.BaseConnector]
Parser = Callable[[object, str], Decimal | None]  # (parsed JSON document, currency code)


def to_decimal(value: object) -> Decimal | None:
    """A JSON number (already Decimal) or numeric string -> Decimal; anything else -> None."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _get(document: object, *path: str | int) -> object:
    for key in path:
        if isinstance(key, int):
            if not isinstance(document, list) or len(document) <= key:
                return None
            document = document[key]
        elif isinstance(document, dict):
            document = document.get(key)
        else:
            return None
    return document


# -- response shapes --------------------------------------------------------------------------
def parse_coingecko(document: object, code: str) -> Decimal | None:
    """GET /api/v3/simple/price?ids=bitcoin&vs_currencies=usd -> {"bitcoin": {"usd": 64123.45}}"""
    return to_decimal(_get(document, "bitcoin", code.lower()))


def parse_kraken(document: object, code: str) -> Decimal | None:
    """GET /0/public/Ticker?pair=XBTUSD -> {"error": [], "result": {"XXBTZUSD": {"c": ["64000.1", "0.01"], ...}}}
    (errors: {"error": ["EQuery:Unknown asset pair"], "result": {}})."""
    if _get(document, "error"):
        return None
    result = _get(document, "result")
    if not isinstance(result, dict) or len(result) != 1:
        return None
    return to_decimal(_get(next(iter(result.values())), "c", 0))


def parse_bitstamp(document: object, code: str) -> Decimal | None:
    """GET /api/v2/ticker/btcusd/ -> {"last": "64000", "bid": "...", "ask": "...", "timestamp": "...", ...}"""
    return to_decimal(_get(document, "last"))


def parse_coinbase(document: object, code: str) -> Decimal | None:
    """GET /v2/exchange-rates?currency=BTC -> {"data": {"currency": "BTC", "rates": {"USD": "64000.12"}}}"""
    if _get(document, "data", "currency") not in (None, "BTC"):
        return None
    return to_decimal(_get(document, "data", "rates", code))


def parse_bitfinex(document: object, code: str) -> Decimal | None:
    """GET /v2/ticker/tBTCUSD -> [BID, BID_SIZE, ASK, ASK_SIZE, CHANGE, CHANGE_REL, LAST_PRICE, VOLUME, HIGH, LOW]"""
    if not isinstance(document, list) or len(document) < 10:
        return None
    return to_decimal(document[6])


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    base_url: str
    path: Callable[[str], str]  # currency code -> path and query
    parse: Parser
    currencies: frozenset[str] | None = None  # None: ask and see


PROVIDERS: Mapping[str, ProviderSpec] = {spec.name: spec for spec in (
    ProviderSpec("coingecko", "https://api.coingecko.com",
                 lambda c: f"/api/v3/simple/price?ids=bitcoin&vs_currencies={c.lower()}", parse_coingecko),
    ProviderSpec("kraken", "https://api.kraken.com", lambda c: f"/0/public/Ticker?pair=XBT{c}", parse_kraken,
                 frozenset({"USD", "EUR", "CAD", "GBP", "JPY", "CHF", "AUD"})),
    ProviderSpec("bitstamp", "https://www.bitstamp.net", lambda c: f"/api/v2/ticker/btc{c.lower()}/", parse_bitstamp,
                 frozenset({"USD", "EUR", "GBP"})),
    ProviderSpec("coinbase", "https://api.coinbase.com", lambda c: "/v2/exchange-rates?currency=BTC", parse_coinbase),
    ProviderSpec("bitfinex", "https://api-pub.bitfinex.com", lambda c: f"/v2/ticker/tBTC{c}", parse_bitfinex,
                 frozenset({"USD", "EUR", "GBP", "JPY"})),
)}
DEFAULT_CHAIN = ("coingecko", "kraken", "bitstamp")


class ExchangeRateProvider:
    """One public API as a RateSource, with a per-currency cache of at most ``max_age_s``."""

    def __init__(self, spec: ProviderSpec, *, base_url: str | None = None, max_age_s: float = 300.0,
                 timeout_s: float = 10.0, connector_factory: ConnectorFactory | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = spec.name
        self._spec = spec
        self._base_url = (base_url or spec.base_url).rstrip("/")
        self._max_age_s = max_age_s
        self._timeout_s = timeout_s
        self._connector_factory = connector_factory
        self._clock = clock
        self._cache: dict[str, tuple[Decimal, float]] = {}
        self._lock = asyncio.Lock()

    async def get_rate(self, currency: str) -> Decimal:
        code = normalize_currency(currency)
        if self._spec.currencies is not None and code not in self._spec.currencies:
            raise RateUnavailable(f"Rate source {self.name!r} has no rate for {code}")
        async with self._lock:
            cached = self._cache.get(code)
            if cached is not None and self._clock() - cached[1] <= self._max_age_s:
                return cached[0]
            rate = check_rate(self._spec.parse(await self._fetch(code), code), currency=code, source=self.name)
            self._cache[code] = (rate, self._clock())
            return rate

    async def _fetch(self, code: str) -> object:
        url = self._base_url + self._spec.path(code)
        timeout = aiohttp.ClientTimeout(total=self._timeout_s)
        connector = self._connector_factory() if self._connector_factory else None
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session, \
                    session.get(url, headers={"Accept": "application/json"}, allow_redirects=False) as response:
                if response.status != 200:
                    raise RateUnavailable(f"Rate source {self.name!r} answered HTTP {response.status}")
                body = await response.content.read(1024 * 1024)
            document: object = json.loads(body, parse_float=Decimal, parse_int=Decimal)
            return document
        except RateUnavailable:
            raise
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            logger.warning("rate source %s failed: %s", self.name, type(exc).__name__)
            raise RateUnavailable(f"Rate source {self.name!r} is unreachable or gave garbage") from None

    def __repr__(self) -> str:
        return f"ExchangeRateProvider({self.name!r}, {self._base_url!r})"


class FallbackRateSource:
    """The first source in order that answers; RateUnavailable naming all of them when none does."""

    def __init__(self, sources: Sequence[RateSource], *, name: str = "auto") -> None:
        if not sources:
            raise ValueError("a fallback chain needs at least one source")
        self.name = name
        self._sources = list(sources)

    @property
    def source_names(self) -> list[str]:
        return [s.name for s in self._sources]

    async def get_rate(self, currency: str) -> Decimal:
        code = normalize_currency(currency)
        for source in self._sources:
            try:
                return check_rate(await source.get_rate(code), currency=code, source=source.name)
            except RateUnavailable as exc:
                logger.info("rate %s from %s unavailable (%s); trying the next source", code, source.name, exc.code)
        raise RateUnavailable(f"No exchange rate for {code}: {', '.join(self.source_names)} did not answer")


@dataclass(frozen=True)
class RateOptions:
    """What the factory needs; Settings supplies it (see docs/rates.md)."""

    providers: Sequence[str] = DEFAULT_CHAIN  # the 'auto' chain, in order
    base_urls: Mapping[str, str] = field(default_factory=dict)  # provider -> base URL override
    max_age_s: float = 300.0
    timeout_s: float = 10.0
    connector_factory: ConnectorFactory | None = None
    chain_name: str = "auto"


def build_rate_sources(options: RateOptions | None = None) -> list[RateSource]:
    """Every known provider by its own name (a store may pick one), plus the fallback chain
    ``options.chain_name`` over ``options.providers``. Pass each to RateService.add_source()."""
    opts = options or RateOptions()
    unknown = [name for name in [*opts.providers, *opts.base_urls] if name not in PROVIDERS]
    if unknown:
        raise ValueError(f"unknown rate provider {unknown[0]!r}; known: {', '.join(PROVIDERS)}")
    providers = {name: ExchangeRateProvider(spec, base_url=opts.base_urls.get(name), max_age_s=opts.max_age_s,
                                            timeout_s=opts.timeout_s, connector_factory=opts.connector_factory)
                 for name, spec in PROVIDERS.items()}
    sources: list[RateSource] = list(providers.values())
    if opts.providers:
        sources.append(FallbackRateSource([providers[n] for n in dict.fromkeys(opts.providers)], name=opts.chain_name))
    return sources
