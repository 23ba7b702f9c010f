"""Exchange rates: list sources and manual rates, a current rate, set or clear a manual rate, a store's source.

Manual rates are server-wide (every store using the `manual` source sees them), so changing them needs
`stores:write` on a key that is not restricted to some stores. Rates are decimal strings, never floats.
"""

from __future__ import annotations

from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.rates import (
    ManualRate,
    ManualRateIn,
    RateList,
    RateOut,
    RateQuery,
    StoreRateIn,
    StoreRateOut,
)
from app.core.currencies import normalize_currency
from app.core.errors import ValidationError
from app.core.records import Store
from app.services.admin.apikeys import Scope


def _rate_str(value: object) -> str:
    return format(value, "f")


def _currency(call: Call) -> str:
    return normalize_currency(call.param("currency"))


def _source(call: Call, name: str) -> str:
    if name not in call.services.rates.source_names:
        known = ", ".join(call.services.rates.source_names)
        raise ValidationError(f"Unknown rate source '{name}'; use one of: {known}.", code="invalid_rate_source",
                              field="source")
    return name


async def list_rates(call: Call) -> RateList:
    rates = call.services.rates
    return RateList(sources=rates.source_names,
                    manual=[ManualRate(currency=c, rate=_rate_str(r)) for c, r in rates.manual_rates.items()])


async def get_rate(call: Call) -> RateOut:
    source = _source(call, call.query_as(RateQuery).source)
    quote = await call.services.rates.quote(_currency(call), source=source)
    return RateOut(currency=quote.currency or _currency(call), rate=_rate_str(quote.rate), source=quote.source,
                   fetched_at=quote.fetched_at)


async def set_manual_rate(call: Call) -> ManualRate:
    call.require_unrestricted()
    currency = _currency(call)
    await call.services.rates.set_manual_rate(currency, call.body_as(ManualRateIn).rate)
    return ManualRate(currency=currency, rate=_rate_str(call.services.rates.manual_rates[currency]))


async def clear_manual_rate(call: Call) -> None:
    call.require_unrestricted()
    await call.services.rates.clear_manual_rate(_currency(call))


def _store_rate(store: Store) -> StoreRateOut:
    return StoreRateOut(store_id=store.id, source=store.rate_source, spread_pct=_rate_str(store.rate_spread_pct))


async def set_store_rate_source(call: Call) -> StoreRateOut:
    store = await call.store()
    body = call.body_as(StoreRateIn)
    changes: dict[str, object] = {"rate_source": _source(call, body.source)}
    if body.spread_pct is not None:
        changes["rate_spread_pct"] = body.spread_pct
    return _store_rate(await call.services.stores.update(store.id, changes))


def operations() -> list[Operation]:
    tag = "rates"
    manual = "/rates/manual/{currency}"
    return [
        Operation("GET", "/rates", list_rates, "Rate sources and the manual rates set", tag, Scope.STORES_READ,
                  RateList),
        Operation("GET", "/rates/{currency}", get_rate, "The current rate of a currency from a source", tag,
                  Scope.STORES_READ, RateOut, query=RateQuery,
                  description="503 `rate_unavailable` when the source has no rate for the currency."),
        Operation("PUT", manual, set_manual_rate, "Set the manual rate of a currency", tag, Scope.STORES_WRITE,
                  ManualRate, body=ManualRateIn,
                  description="Server-wide: needs a key not restricted to some stores (403 `store_forbidden`)."),
        Operation("DELETE", manual, clear_manual_rate, "Clear the manual rate of a currency", tag,
                  Scope.STORES_WRITE, status=204,
                  description="Idempotent: 204 also when no manual rate was set. Needs an unrestricted key."),
        Operation("PUT", "/rates/stores/{store_id}", set_store_rate_source, "Choose a store's rate source", tag,
                  Scope.STORES_WRITE, StoreRateOut, body=StoreRateIn),
    ]
