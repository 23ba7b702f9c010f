"""Which receive addresses RedWaves handed out, which received money, and the gap that creates.

Watch-only wallets restored elsewhere (Electrum, Sparrow...) stop scanning after `gap_limit` unused
addresses in a row; `max_unused_run` is the gap limit such a restore needs to see every payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.core.errors import WalletNotFound
from app.db.models import AddressRow, InvoiceRow, PaymentRow, WalletRow
from app.services.writer import Writer


@dataclass(frozen=True)
class AddressUse:
    derivation_index: int
    address: str
    invoice_id: str | None
    allocated_at: datetime
    received_sat: int  # payments still counted (accounted)

    @property
    def used(self) -> bool:
        return self.received_sat > 0


@dataclass(frozen=True)
class AddressUsage:
    wallet_id: str
    next_index: int
    gap_limit: int
    used_count: int
    max_unused_run: int
    items: tuple[AddressUse, ...]  # one page, highest index first
    total: int
    offset: int
    limit: int

    @property
    def gap_exposure(self) -> int:
        """How many addresses past the wallet's gap limit a restore would miss (0 = safe)."""
        return max(0, self.max_unused_run - self.gap_limit)


class AddressUsageService:
    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    async def usage(self, wallet_id: str, *, offset: int = 0, limit: int = 50) -> AddressUsage:
        received = (select(PaymentRow.invoice_id, func.sum(PaymentRow.amount_sat).label("sat"))
                    .where(PaymentRow.accounted.is_(True)).group_by(PaymentRow.invoice_id).subquery())
        query = (select(AddressRow, func.coalesce(received.c.sat, 0))
                 .outerjoin(InvoiceRow, InvoiceRow.id == AddressRow.invoice_id)
                 .outerjoin(received, received.c.invoice_id == InvoiceRow.id)
                 .where(AddressRow.wallet_id == wallet_id).order_by(AddressRow.derivation_index))
        async with self._writer.read() as session:
            wallet = await session.get(WalletRow, wallet_id)
            if wallet is None:
                raise WalletNotFound(f"Wallet {wallet_id} not found.")
            rows = (await session.execute(query)).all()
        uses = [AddressUse(a.derivation_index, a.address, a.invoice_id, a.allocated_at, int(sat)) for a, sat in rows]
        run = longest = 0
        for use in uses:
            run = 0 if use.used else run + 1
            longest = max(longest, run)
        page = tuple(reversed(uses))[offset:offset + limit]
        return AddressUsage(wallet_id, wallet.next_index, wallet.gap_limit, sum(u.used for u in uses), longest,
                            page, len(uses), offset, limit)
