"""The owner's "are you sure?" limit for large invoices created in the window.

Two limits, set in Settings → Invoices and kept in ``app_settings["large_invoice_limit"]``:

- ``btc_sat``: ask above this many satoshis (default 0.5 BTC);
- ``fiat`` / ``fiat_currency``: ask above this fiat amount (default 10,000 USD); empty = no fiat limit.

An invoice above *either* is asked about, so the lower of the two (once converted) is the one that
applies: at 66,000 USD/BTC, 10,000 USD (0.15 BTC) asks before 0.5 BTC does. The fiat limit is compared
with the price when the invoice is in that currency, otherwise with the satoshi amount converted at the
store's rate source; without a rate for that currency only the bitcoin limit applies.

This is a confirmation, not a rule: the API creates any amount the money rules accept (at most
21 million BTC, ``app.core.money.validate_amount_sat``).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.core.errors import RateUnavailable
from app.core.invoice_limits import DEFAULT_LIMIT, InvoicePreview, LargeInvoiceLimit, check_limit
from app.core.money import format_btc, sat_to_fiat
from app.core.records import Store
from app.db.models import AppSettingRow
from app.services.invoicing.rates import RateService
from app.services.writer import Writer

LIMIT_KEY = "large_invoice_limit"
__all__ = ["DEFAULT_LIMIT", "LIMIT_KEY", "InvoicePreview", "LargeInvoiceLimit", "LargeInvoiceLimits", "check_limit"]


class LargeInvoiceLimits:
    def __init__(self, writer: Writer, rates: RateService) -> None:
        self._writer = writer
        self._rates = rates

    async def get(self) -> LargeInvoiceLimit:
        async with self._writer.read() as session:
            row = await session.scalar(select(AppSettingRow).where(AppSettingRow.key == LIMIT_KEY))
        if row is None or not isinstance(row.value, dict):
            return DEFAULT_LIMIT
        value = row.value
        fiat = value.get("fiat")
        return LargeInvoiceLimit(btc_sat=int(value.get("btc_sat", DEFAULT_LIMIT.btc_sat)),
                                 fiat=Decimal(fiat) if fiat else None,
                                 fiat_currency=str(value.get("fiat_currency") or DEFAULT_LIMIT.fiat_currency))

    async def set(self, limit: LargeInvoiceLimit) -> LargeInvoiceLimit:
        clean = check_limit(limit)
        payload = {"btc_sat": clean.btc_sat, "fiat": str(clean.fiat) if clean.fiat is not None else None,
                   "fiat_currency": clean.fiat_currency}
        async with self._writer.transaction() as session:
            row = await session.get(AppSettingRow, LIMIT_KEY)
            if row is None:
                session.add(AppSettingRow(key=LIMIT_KEY, value=payload))
            else:
                row.value = payload
        return clean

    async def exceeded(self, store: Store, price: Decimal, currency: str, amount_sat: int) -> str | None:
        """The limit an invoice of ``price`` ``currency`` (``amount_sat``) is above, or None."""
        limit = await self.get()
        if amount_sat > limit.btc_sat:
            return f"{format_btc(limit.btc_sat)} BTC"
        if limit.fiat is None:
            return None
        if currency == limit.fiat_currency:
            value = price
        else:
            try:
                quote = await self._rates.quote(limit.fiat_currency, source=store.rate_source)
            except RateUnavailable:
                return None
            value = sat_to_fiat(amount_sat, quote.rate, limit.fiat_currency)
        return f"{limit.fiat:,} {limit.fiat_currency}" if value > limit.fiat else None
