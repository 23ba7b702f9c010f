"""InvoiceService.preview and the large-invoice limit on real SQLite: same checks as create, nothing
written; the limit is stored in app_settings; amounts above 21 million BTC are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.errors import InvalidAmount, ValidationError
from app.core.invoice_limits import DEFAULT_LIMIT, LargeInvoiceLimit
from tests.conftest import TEST_VPUB


async def _store(services, currency="USD"):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("66666.66"))
    await services.rates.set_manual_rate("EUR", Decimal("60000"))
    return await services.stores.create("Shop", default_currency=currency, wallet_ids=[wallet.id])


async def test_preview_of_a_huge_invoice_is_above_the_limit_and_writes_nothing(services):
    store = await _store(services)
    preview = await services.invoices.preview(store.id, price=Decimal("99999999999"))
    assert preview.amount_due_sat == 150_000_014_998_502  # ≈ 1,500,000 BTC (rounded up, never down)
    assert preview.above_limit == "0.50000000 BTC" and preview.rate == Decimal("66666.66")
    assert (await services.invoices.list()).total == 0


async def test_the_lower_limit_applies_once_converted(services):
    store = await _store(services)
    # 12,000 USD is 0.18 BTC: below 0.5 BTC, above 10,000 USD
    assert (await services.invoices.preview(store.id, price="12000")).above_limit == "10,000 USD"
    assert (await services.invoices.preview(store.id, price="9999.99")).above_limit is None
    # a BTC invoice is converted to USD at the store's rate source: 0.2 BTC = 13,333 USD
    assert (await services.invoices.preview(store.id, price="0.2", currency="BTC")).above_limit == "10,000 USD"
    # no JPY rate: the fiat limit in JPY cannot be converted, so only the BTC one applies
    await services.invoices.set_large_invoice_limit(LargeInvoiceLimit(50_000_000, Decimal("1000"), "JPY"))
    assert (await services.invoices.preview(store.id, price="0.2", currency="BTC")).above_limit is None
    assert (await services.invoices.preview(store.id, price="0.6", currency="BTC")).above_limit == "0.50000000 BTC"


async def test_limit_is_stored_and_validated(services):
    assert await services.invoices.large_invoice_limit() == DEFAULT_LIMIT
    saved = await services.invoices.set_large_invoice_limit(LargeInvoiceLimit(20_000_000, None, "eur"))
    assert saved == LargeInvoiceLimit(20_000_000, None, "EUR")
    assert await services.invoices.large_invoice_limit() == saved
    for bad, field in ((LargeInvoiceLimit(0, None, "USD"), "limit_btc"),
                       (LargeInvoiceLimit(1, Decimal("-1"), "USD"), "limit_fiat"),
                       (LargeInvoiceLimit(1, Decimal("1.234"), "USD"), "limit_fiat"),
                       (LargeInvoiceLimit(1, None, "BTC"), "limit_currency"),
                       (LargeInvoiceLimit(1, None, "XXX"), "limit_currency")):
        with pytest.raises(ValidationError) as raised:
            await services.invoices.set_large_invoice_limit(bad)
        assert raised.value.field == field
    assert await services.invoices.large_invoice_limit() == saved


async def test_more_than_21_million_btc_is_refused_by_create_and_preview(services):
    store = await _store(services)
    for call in (services.invoices.preview, services.invoices.create):
        with pytest.raises(InvalidAmount, match="21 million bitcoin"):
            await call(store.id, price="2000000000000")  # 30M BTC
        with pytest.raises(InvalidAmount, match="Price is too large") as raised:  # parse_price's BTC maximum
            await call(store.id, price="21000001", currency="BTC")
        assert raised.value.field == "price"
    assert (await services.invoices.list()).total == 0
