"""Is an address one of the shop's own? A refund must never pay the shop itself.

Looked up first in what was written (every receive address handed out, every invoice address, every
payout's change address), then derived: each wallet's receive look-ahead (the next ``gap_limit``
indexes after those handed out; all of them for a young wallet) and its change chain up to the change
used so far plus the gap limit.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from app.chain.keys import derive_addresses
from app.db.models import AddressRow, InvoiceRow, PayoutTxRow
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

FULL_DERIVE_UP_TO = 2000  # below this many handed-out indexes, derive them all (cheap, cached)


class OwnAddresses:
    def __init__(self, writer: Writer, wallets: WalletService) -> None:
        self._writer = writer
        self._wallets = wallets

    async def is_ours(self, address: str) -> bool:
        return await self._recorded(address) or address in await self._derived()

    async def _recorded(self, address: str) -> bool:
        async with self._writer.read() as session:
            for column in (AddressRow.address, InvoiceRow.address, PayoutTxRow.change_address):
                if await session.scalar(select(column).where(column == address).limit(1)) is not None:
                    return True
        return False

    async def _derived(self) -> set[str]:
        found: set[str] = set()
        for wallet in await self._wallets.list():
            desc = await self._wallets.descriptor(wallet.id)
            end = wallet.next_index + wallet.gap_limit
            start = 0 if end <= FULL_DERIVE_UP_TO else wallet.next_index
            async with self._writer.read() as session:
                changes = await session.scalar(select(func.count()).select_from(PayoutTxRow).where(
                    PayoutTxRow.wallet_id == wallet.id, PayoutTxRow.change_address.is_not(None))) or 0
            found.update(await asyncio.to_thread(derive_addresses, desc, start, end - start))
            found.update(await asyncio.to_thread(derive_addresses, desc, 0, changes + wallet.gap_limit, change=True))
        return found
