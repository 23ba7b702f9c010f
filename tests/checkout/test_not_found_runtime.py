"""On the real runtime (Runtime + embedded devnet): an unknown id gets the static 404 from the id
filter, and an invoice created right after is served at once."""

from __future__ import annotations

import secrets
from decimal import Decimal

import aiohttp

from app.checkout_server.shopper.known_invoices import KnownInvoices
from tests.conftest import TEST_VPUB, started_runtime

HTML = {"Accept": "text/html"}


async def test_runtime_serves_a_new_invoice_right_after_a_404_for_its_id(tmp_path, monkeypatch):
    async for runtime in started_runtime(tmp_path, daemon_enabled=False):
        services = runtime.services
        wallet = await services.wallets.add_wallet("main", TEST_VPUB)
        store = await services.stores.create("Corner Café", default_currency="USD", wallet_ids=[wallet.id])
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        known = KnownInvoices.shared(services.invoices)  # the one every listener of the runtime uses
        await known.loaded()
        assert known.ready
        chosen = secrets.token_urlsafe(16)
        async with aiohttp.ClientSession(base_url=runtime.urls["private"]) as http:
            async with http.get(f"/i/{chosen}", headers=HTML) as missing:
                assert missing.status == 404 and "Page not found" in await missing.text()
                assert missing.headers["X-Frame-Options"] == "DENY"
            monkeypatch.setattr("app.services.invoicing.invoices.new_invoice_id", lambda chosen=chosen: chosen)
            invoice = await services.invoices.create(store.id, price="4.20")
            assert invoice.id == chosen
            async with http.get(f"/i/{chosen}", headers=HTML) as page:
                assert page.status == 200 and invoice.address in await page.text()
