"""Shared set-up of the refund/payout service tests: a store with a watch-only wallet and a paid invoice."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from electrum import segwit_addr

from app.chain.models import AddressesChanged
from app.core.payments import ObservedOutput
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus
from tests.conftest import TEST_VPUB


def foreign_address(n: int = 0) -> str:
    """A valid regtest address that is not ours."""
    address = segwit_addr.encode_segwit_address("bcrt", 0, bytes([n % 256]) * 20)
    assert address is not None
    return address


async def shop(services: Any, **checkout: object) -> Store:
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    return await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id], speed_policy=1,
                                        checkout=dict(checkout))


async def paid_invoice(services: Any, store: Store, *, price: str = "50.00", paid_sat: int | None = None,
                       buyer_email: str | None = None, currency: str = "USD") -> Invoice:
    """An invoice paid (confirmed once: complete under speed policy 1) through the engine and the fake chain."""
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await services.invoices.create(store.id, price=price, currency=currency, buyer_email=buyer_email)
    tip = services.fake_chain.current.tip_height
    amount = invoice.amount_due_sat if paid_sat is None else paid_sat
    services.fake_chain.outputs[invoice.address] = [ObservedOutput(invoice.id.encode().hex()[:64].ljust(64, "0"), 0,
                                                                   amount, tip, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}),
                                                    wallet_id=invoice.wallet_id))
    deadline = asyncio.get_running_loop().time() + 5
    while asyncio.get_running_loop().time() < deadline:
        invoice = await services.invoices.get(invoice.id)
        if invoice.status in (InvoiceStatus.COMPLETE,) and invoice.amount_paid_sat == amount:
            return invoice
        await asyncio.sleep(0.02)
    raise AssertionError(f"invoice stayed {invoice.status}")


async def events_of(services: Any, prefix: str = "") -> list[Any]:
    return [e for e in await services.events.read_since(0, limit=500) if e.type.startswith(prefix)]
