"""Helpers for end-to-end payment tests: real Electrum in-process against the devnet over TCP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.core.records import Invoice
from app.core.statuses import InvoiceStatus
from tests.conftest import TEST_VPUB


async def wait_for(predicate: Callable[[], object], *, timeout_s: float = 15.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


async def wait_status(services, invoice_id: str, status: InvoiceStatus, *, timeout_s: float = 15.0) -> Invoice:
    box: dict[str, Invoice] = {}

    async def check() -> bool:
        box["inv"] = await services.invoices.get(invoice_id)
        return box["inv"].status == status

    try:
        await wait_for(check, timeout_s=timeout_s, what=f"{invoice_id} -> {status}")
    except AssertionError:
        inv = box.get("inv")
        raise AssertionError(f"invoice is {inv.status if inv else '?'}/{inv.exception_status if inv else '?'}, "
                             f"wanted {status}; payments={inv.payments if inv else ()}") from None
    return box["inv"]


async def make_store(services, *, speed_policy: int = 1, expiry_s: int = 900, monitoring_s: int = 86400,
                     tolerance: str = "0"):
    wallets = await services.wallets.list()
    wallet = wallets[0] if wallets else await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id],
                                        speed_policy=speed_policy, expiry_s=expiry_s, monitoring_s=monitoring_s,
                                        underpaid_tolerance_pct=tolerance)


async def wait_synced(runtime, timeout_s: float = 20.0) -> None:
    await wait_for(lambda: runtime.chain.state().synced and runtime.chain.state().connected,
                   timeout_s=timeout_s, what="chain synced")


async def time_travel(services, invoice_id: str, seconds: float) -> None:
    """Let `seconds` pass for one invoice: every timestamp it and its payments carry moves back."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.db.models import InvoiceRow, PaymentRow

    delta = timedelta(seconds=seconds)
    async with services.writer.transaction() as session:
        row = await session.get(InvoiceRow, invoice_id)
        for name in ("created_at", "expires_at", "monitoring_until", "paid_at", "confirmed_at", "completed_at"):
            if getattr(row, name) is not None:
                setattr(row, name, getattr(row, name) - delta)
        for payment in (await session.scalars(select(PaymentRow).where(PaymentRow.invoice_id == invoice_id))).all():
            payment.first_seen_at -= delta
    services.engine.request_full_sweep()


async def prepare_invoices(data_dir: Path, n: int, **store_kw: Any) -> list[Invoice]:
    """A regtest data directory with one wallet (TEST_VPUB), a manual USD rate, one store and ``n``
    $10 invoices, written by the services as the app would, then closed (for a `redwaves serve`
    subprocess to take over; the writer is closed too, so no stale connection reads the file later)."""
    from app.chain.keys import set_network
    from app.config import load_settings
    from app.db.engine import Database
    from app.services.container import build_services

    set_network("regtest")
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    db = Database(settings.db_path)
    await db.start()
    services = build_services(settings, db, None)
    wallet = await services.wallets.add_wallet("Shop", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id], **store_kw)
    invoices = [await services.invoices.create(store.id, price="10.00") for _ in range(n)]
    await services.writer.close()
    await db.stop()
    return invoices
