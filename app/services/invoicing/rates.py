"""Exchange rates for invoices: the store's source, its spread, locked on the invoice at creation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from app.core.currencies import normalize_currency
from app.core.errors import RateUnavailable, ValidationError
from app.core.rates import FixedRateSource, Quote, RateSource, fetch_quote
from app.db.models import AppSettingRow
from app.services.writer import Writer

MANUAL_RATES_KEY = "manual_rates"


class RateService:
    def __init__(self, writer: Writer, sources: dict[str, RateSource] | None = None) -> None:
        self._writer = writer
        self._sources: dict[str, RateSource] = dict(sources or {})
        self._manual: dict[str, Decimal] = {}

    def add_source(self, source: RateSource) -> None:
        self._sources[source.name] = source

    @property
    def source_names(self) -> list[str]:
        return sorted({"manual", *self._sources})

    async def load(self) -> None:
        async with self._writer.read() as session:
            row = await session.scalar(select(AppSettingRow).where(AppSettingRow.key == MANUAL_RATES_KEY))
        self._manual = {k: Decimal(v) for k, v in (row.value if row else {}).items()}

    @property
    def manual_rates(self) -> dict[str, Decimal]:
        """The merchant's typed-in rates (fiat per BTC), by currency code."""
        return dict(sorted(self._manual.items()))

    async def clear_manual_rate(self, currency: str) -> bool:
        """Forget the manual rate for `currency`; False when there was none."""
        code = normalize_currency(currency)
        if code not in self._manual:
            return False
        del self._manual[code]
        await self._save()
        return True

    async def set_manual_rate(self, currency: str, rate: Decimal | str) -> None:
        code = normalize_currency(currency)
        try:
            value = Decimal(str(rate))
        except ArithmeticError:
            value = Decimal(0)
        if isinstance(rate, float) or not value.is_finite() or value <= 0:
            raise ValidationError("The rate must be a positive number.", code="invalid_rate", field="rate")
        self._manual[code] = value
        await self._save()

    async def _save(self) -> None:
        async with self._writer.transaction() as session:
            row = await session.get(AppSettingRow, MANUAL_RATES_KEY)
            payload = {k: str(v) for k, v in self._manual.items()}
            if row is None:
                session.add(AppSettingRow(key=MANUAL_RATES_KEY, value=payload))
            else:
                row.value = payload

    def _source(self, name: str) -> RateSource:
        if name == "manual":
            return FixedRateSource(self._manual, name="manual")
        source = self._sources.get(name)
        if source is None:
            raise RateUnavailable(f"Rate source {name!r} is not configured")
        return source

    async def quote(self, currency: str, *, source: str = "manual", spread_pct: Decimal = Decimal(0)) -> Quote:
        """Fiat per BTC after the store's spread (a positive spread asks the shopper for more sats)."""
        quote = await fetch_quote(self._source(source), currency, now=datetime.now(UTC))
        if spread_pct:
            rate = (quote.rate * (100 - spread_pct) / 100).quantize(Decimal("1E-8"))
            quote = Quote(rate=rate, source=f"{quote.source} (-{spread_pct}%)", fetched_at=quote.fetched_at,
                          currency=quote.currency)
        return quote
