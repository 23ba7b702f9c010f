"""A paid invoice with an open refund, for the refund page tests (HTTP and browser)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.core.refunds import Refund, RefundRequest, RefundVariant
from app.db.models import RefundRow
from tests.services.refund_helpers import paid_invoice, shop

MAINNET_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')


@dataclass
class RefundShop:
    store: Any
    invoice: Any
    refund: Refund


async def refund_shop(services: Any, *, store_name: str = "Corner Café", price: str = "50.00") -> RefundShop:
    store = await shop(services)
    if store_name != store.name:
        store = await services.stores.update(store.id, {"name": store_name})
    invoice = await paid_invoice(services, store, price=price)
    refund = await services.refunds.create(invoice.id, RefundRequest(RefundVariant.CUSTOM_FIAT, Decimal("20.00")))
    return RefundShop(store, invoice, refund)


async def expire(services: Any, refund_id: str) -> None:
    """The link's time is up (as if 30 days had passed)."""
    async with services.writer.transaction() as session:
        row = await session.get(RefundRow, refund_id)
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)


def form_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, html
    return found.group(1)
