"""Exchange rates: fiat per 1 BTC, as Decimal. Sources are small Protocol implementations (net/ has HTTP ones)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

from app.core.currencies import normalize_currency
from app.core.errors import RateUnavailable


class RateSource(Protocol):
    name: str

    async def get_rate(self, currency: str) -> Decimal:
        """Fiat units per 1 BTC; RateUnavailable when the source can't say."""
        ...


@dataclass(frozen=True)
class Quote:
    rate: Decimal  # fiat per 1 BTC
    source: str
    fetched_at: datetime
    currency: str | None = None

    def is_fresh(self, *, now: datetime, max_age: timedelta) -> bool:
        return now - self.fetched_at <= max_age


def check_rate(rate: object, *, currency: str, source: str) -> Decimal:
    """The rate if it is a positive, finite Decimal; otherwise RateUnavailable naming source and currency."""
    if isinstance(rate, Decimal) and rate.is_finite() and rate > 0:
        return rate
    raise RateUnavailable(f"Rate source {source!r} gave no usable {currency} rate")


class FixedRateSource:
    """Rates typed in by the merchant (or fixed in tests)."""

    def __init__(self, rates: Mapping[str, Decimal], name: str = "manual") -> None:
        self.name = name
        self._rates = MappingProxyType({
            normalize_currency(code): check_rate(rate, currency=code, source=name) for code, rate in rates.items()
        })

    async def get_rate(self, currency: str) -> Decimal:
        code = normalize_currency(currency)
        if code not in self._rates:
            raise RateUnavailable(f"Rate source {self.name!r} has no rate for {code}")
        return self._rates[code]

    def __repr__(self) -> str:
        return f"FixedRateSource(name={self.name!r}, currencies={sorted(self._rates)})"


async def fetch_quote(source: RateSource, currency: str, *, now: datetime) -> Quote:
    """Ask ``source`` for ``currency`` and stamp the answer."""
    code = normalize_currency(currency)
    rate = check_rate(await source.get_rate(code), currency=code, source=source.name)
    return Quote(rate=rate, source=source.name, fetched_at=now, currency=code)
