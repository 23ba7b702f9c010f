"""Rates end to end: the store's source and spread lock the rate on the invoice; no rate, no fiat invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.errors import RateUnavailable
from app.net.rate_providers import RateOptions, build_rate_sources
from tests.conftest import TEST_VPUB


async def _store(services, **settings):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    return await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id], **settings)


@pytest.fixture
def with_providers(services, rate_apis):
    for source in build_rate_sources(RateOptions(base_urls=rate_apis.base_urls(), timeout_s=2)):
        services.rates.add_source(source)
    return services


async def test_invoice_locks_rate_from_the_store_source_with_spread(with_providers, rate_apis):
    services = with_providers
    store = await _store(services, rate_source="kraken", rate_spread_pct="1")
    invoice = await services.invoices.create(store.id, price="10.00")
    assert invoice.rate == (Decimal("64000.10000") * 99 / 100).quantize(Decimal("1E-8"))
    assert invoice.rate_source == "kraken (-1%)"
    stored = await services.invoices.get(invoice.id)
    assert (stored.rate, stored.rate_source) == (invoice.rate, invoice.rate_source)


async def test_auto_chain_falls_back_and_no_rate_refuses_fiat_but_not_btc(with_providers, rate_apis):
    services = with_providers
    store = await _store(services, rate_source="auto")
    rate_apis.modes["coingecko"] = "500"
    invoice = await services.invoices.create(store.id, price="5.00")
    assert invoice.rate == Decimal("64000.10000") and invoice.rate_source == "auto"
    for name in ("coingecko", "kraken", "bitstamp"):
        rate_apis.modes[name] = "500"
    with pytest.raises(RateUnavailable) as caught:
        await services.invoices.create(store.id, price="5.00", currency="EUR")
    assert caught.value.code == "rate_unavailable"
    btc = await services.invoices.create(store.id, price="0.001", currency="BTC")
    assert btc.amount_due_sat == 100_000 and btc.rate is None


async def test_manual_rate_still_works(with_providers):
    services = with_providers
    store = await _store(services)  # rate_source defaults to manual
    await services.rates.set_manual_rate("USD", "50000")
    invoice = await services.invoices.create(store.id, price="10.00")
    assert invoice.rate == Decimal("50000") and invoice.rate_source == "manual"
