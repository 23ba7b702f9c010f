"""Exchange rates: sources, manual rates, a current rate, a store's source. Rates are decimal strings."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.checkout_server.api.schemas.common import (
    DecimalString,
    Percent,
    QueryModel,
    RequestModel,
    ResponseModel,
)
from app.checkout_server.api.schemas.stores import RateSource


class ManualRate(ResponseModel):
    currency: str = Field(description="ISO 4217 code, upper case.")
    rate: DecimalString = Field(description="Fiat units per 1 BTC.")


class RateList(ResponseModel):
    sources: list[str] = Field(description="Rate sources a store may use; `manual` is always there.")
    manual: list[ManualRate] = Field(description="The manual rates set, by currency.")


class ManualRateIn(RequestModel):
    rate: DecimalString = Field(description="Fiat units per 1 BTC, as a decimal string, above zero.")


class RateQuery(QueryModel):
    source: RateSource = Field(default="manual", description="One of `sources` (default `manual`).")


class RateOut(ResponseModel):
    currency: str
    rate: DecimalString = Field(description="Fiat units per 1 BTC, before any store spread.")
    source: str
    fetched_at: datetime


class StoreRateIn(RequestModel):
    source: RateSource
    spread_pct: Percent | None = Field(default=None, description="Optional: the store's spread, 0 to 100.")


class StoreRateOut(ResponseModel):
    store_id: str
    source: str
    spread_pct: Percent
