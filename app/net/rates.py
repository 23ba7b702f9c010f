"""HTTP exchange-rate provider with a configurable URL and a cache with a maximum age.

The default response shape is CoinGecko's simple-price API: {"bitcoin": {"usd": 64000.12, ...}}.
Numbers are parsed straight into Decimal (never float).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal

import aiohttp

from app.core.currencies import normalize_currency
from app.core.errors import RateUnavailable
from app.core.rates import check_rate

logger = logging.getLogger(__name__)


def coingecko_rates(document: object) -> dict[str, Decimal]:
    """{"bitcoin": {"usd": 1.2}} -> {"USD": Decimal("1.2")}; anything else -> empty."""
    prices = document.get("bitcoin") if isinstance(document, dict) else None
    if not isinstance(prices, dict):
        return {}
    return {str(k).upper(): v for k, v in prices.items() if isinstance(v, Decimal)}


class HttpRateSource:
    def __init__(
        self,
        url: str,
        *,
        name: str = "http",
        max_age_s: float = 300.0,
        timeout_s: float = 10.0,
        parse: Callable[[object], dict[str, Decimal]] = coingecko_rates,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._max_age_s = max_age_s
        self._timeout_s = timeout_s
        self._parse = parse
        self._session_factory = session_factory or aiohttp.ClientSession
        self._cache: dict[str, Decimal] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def get_rate(self, currency: str) -> Decimal:
        code = normalize_currency(currency)
        async with self._lock:
            if time.monotonic() - self._fetched_at > self._max_age_s or code not in self._cache:
                await self._refresh()
        if code not in self._cache:
            raise RateUnavailable(f"Rate source {self.name!r} has no rate for {code}")
        return self._cache[code]

    async def _refresh(self) -> None:
        try:
            timeout = aiohttp.ClientTimeout(total=self._timeout_s)
            async with self._session_factory() as session, session.get(self._url, timeout=timeout) as resp:
                if resp.status != 200:
                    raise RateUnavailable(f"Rate source {self.name!r} answered HTTP {resp.status}")
                text = await resp.text()
            document = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        except RateUnavailable:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError, UnicodeDecodeError) as exc:
            logger.warning("rate source %s failed: %s", self.name, type(exc).__name__)
            raise RateUnavailable(f"Rate source {self.name!r} is unreachable or gave garbage") from None
        rates = {code: check_rate(rate, currency=code, source=self.name) for code, rate in self._parse(document).items()
                 if isinstance(rate, Decimal) and rate.is_finite() and rate > 0}
        if not rates:
            raise RateUnavailable(f"Rate source {self.name!r} gave no usable rates")
        self._cache = rates
        self._fetched_at = time.monotonic()
