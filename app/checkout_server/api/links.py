"""Checkout links for API answers (REST `checkout_url`, Greenfield `checkoutLink`), in the one order
`app.services.ports.checkout_base` defines: the store's public URL, the onion when the request came over
Tor, the configured public URL, the public listener's LAN address, then this request's origin.

The request's origin counts only when its Host passed the guards (app/checkout_server/guards.py: the private
listener answers only to loopback names; the public one only to its own names), so it is trusted here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from app.checkout_server.api.schemas.invoices import InvoiceOut
from app.core.records import Invoice, Store
from app.services.ports import checkout_url

if TYPE_CHECKING:
    from app.services.container import Services


def came_over_tor(request: web.Request) -> bool:
    host = (request.host or "").rpartition(":")[0] or request.host or ""
    return host.rstrip(".").lower().endswith(".onion")


class CheckoutLinks:
    """Links for one request; looks each store up once."""

    def __init__(self, request: web.Request, services: Services) -> None:
        self._request = request
        self._services = services
        self._stores: dict[str, Store] = {}

    def for_store(self, store: Store, invoice_id: str) -> str | None:
        self._stores.setdefault(store.id, store)
        return checkout_url(self._services.urls.current(), invoice_id, store_url=store.public_url,
                            over_tor=came_over_tor(self._request),
                            request_origin=str(self._request.url.origin()))

    async def for_invoice(self, store_id: str, invoice_id: str) -> str | None:
        store = self._stores.get(store_id) or await self._services.stores.get(store_id)
        return self.for_store(store, invoice_id)


async def invoice_out(links: CheckoutLinks, invoice: Invoice) -> InvoiceOut:
    """The REST API's invoice with its `checkout_url`."""
    return InvoiceOut.of(invoice, await links.for_invoice(invoice.store_id, invoice.id))
