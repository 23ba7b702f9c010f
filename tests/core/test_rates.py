from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.core.errors import RateUnavailable, UnknownCurrency
from app.core.rates import FixedRateSource, Quote, RateSource, fetch_quote

from .fakes import T0


class BrokenSource:
    name = "broken"

    def __init__(self, answer: object) -> None:
        self.answer = answer

    async def get_rate(self, currency: str) -> Decimal:
        return self.answer  # type: ignore[return-value]


async def test_fixed_rates():
    source: RateSource = FixedRateSource({"usd": Decimal("97000.5"), "EUR": Decimal(90_000)})
    assert source.name == "manual"
    assert await source.get_rate("USD") == Decimal("97000.5")
    assert await source.get_rate(" eur ") == Decimal(90_000)


async def test_missing_rate_is_a_clear_error():
    source = FixedRateSource({"USD": Decimal(1)}, name="shop")
    with pytest.raises(RateUnavailable, match="'shop' has no rate for JPY") as caught:
        await source.get_rate("jpy")
    assert (caught.value.code, caught.value.http_status) == ("rate_unavailable", 503)
    with pytest.raises(UnknownCurrency):
        await source.get_rate("XYZ")


@pytest.mark.parametrize("rate", [Decimal(0), Decimal(-1), Decimal("NaN"), 97000.0, "97000"])
def test_fixed_rates_are_validated(rate):
    with pytest.raises(RateUnavailable):
        FixedRateSource({"USD": rate})


async def test_fetch_quote_stamps_the_rate():
    quote = await fetch_quote(FixedRateSource({"USD": Decimal(50_000)}), "usd", now=T0)
    assert quote == Quote(rate=Decimal(50_000), source="manual", fetched_at=T0, currency="USD")
    assert quote.is_fresh(now=T0 + timedelta(minutes=1), max_age=timedelta(minutes=5))
    assert not quote.is_fresh(now=T0 + timedelta(minutes=6), max_age=timedelta(minutes=5))


@pytest.mark.parametrize("answer", [Decimal(0), None, 1.5, Decimal("Infinity")])
async def test_fetch_quote_rejects_unusable_answers(answer):
    with pytest.raises(RateUnavailable, match="'broken'"):
        await fetch_quote(BrokenSource(answer), "USD", now=T0)
