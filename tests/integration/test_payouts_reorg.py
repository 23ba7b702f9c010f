"""A refund's payout whose block is reorged away, on the real runtime (Electrum in-process, devnet over TCP):
"confirmed" means settled. Mined once it is still `broadcast` with 1 confirmation (its refund claimed, the
invoice complete); the reorg drops it from the chain (and the devnet's mempool): 0 confirmations, and the
payout watch broadcasts the SAME raw transaction again; re-mined, it settles once at the settled depth:
exactly one payout.confirmed, one refund.paid, the invoice refunded, the destination paid once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.core.payouts import FeeChoice, PayoutStatus, PayoutTxStatus
from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from app.core.statuses import InvoiceStatus
from tests.conftest import runtime_with
from tests.integration.helpers import wait_for, wait_status, wait_synced
from tests.integration.test_payouts import HOT_SEED, strangers
from tests.integration.test_payouts_kill import payments_to

pytestmark = pytest.mark.slow
SETTLED = 3  # payout_settled_confirmations for this test (default 6)



async def test_a_reorged_payout_is_rebroadcast_and_settles_once(tmp_path: Any) -> None:
    async with runtime_with(tmp_path, payout_settled_confirmations=SETTLED) as runtime:
        services, devnet = runtime.services, runtime.devnet
        assert runtime.settings.payout_settled_confirmations == SETTLED
        await wait_synced(runtime)
        hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        store = await services.stores.create("Reorg shop", default_currency="USD", wallet_ids=[hot.id],
                                             speed_policy=1)
        invoice = await services.invoices.create(store.id, price="40.00")  # 80,000 sat
        await devnet.pay(invoice.address, invoice.amount_due_sat)
        await devnet.mine(1)
        await wait_status(services, invoice.id, InvoiceStatus.COMPLETE, timeout_s=30)
        await wait_for(lambda: runtime.chain.state().synced, what="hot wallet synced")
        refund = await services.refunds.create(invoice.id, RefundRequest(RefundVariant.RATE_THEN,
                                                                         fee_pct=Decimal(10)))
        [dest] = strangers(1)
        claimed = await services.refunds.claim(refund.id, dest)
        assert claimed.payout_id is not None
        payout_id = claimed.payout_id
        await services.payouts.approve([payout_id])
        fee = FeeChoice("custom", Decimal(2))
        plan = await services.payouts.plan([payout_id], fee)
        tx = await services.payouts.pay_hot([payout_id], fee, inputs=plan.outpoints)
        assert tx.txid and tx.raw_tx and tx.status == PayoutTxStatus.BROADCAST

        async def payout() -> Any:
            return await services.payouts.get(payout_id)

        async def confirmations(n: int) -> bool:
            return (await payout()).confirmations == n

        await devnet.mine(1)
        await wait_for(lambda: confirmations(1), timeout_s=30, what="payout mined once")
        assert (await payout()).status == PayoutStatus.BROADCAST  # mined, not settled
        assert (await services.refunds.get(refund.id)).status == RefundStatus.CLAIMED
        assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.COMPLETE
        assert (await services.payouts.get_tx(tx.id)).height > 0

        await devnet.reorg(1, include=[])  # its block replaced by two without it; it vanishes from the mempool
        assert tx.txid not in devnet.ledger.mempool.entries
        await wait_for(lambda: runtime.chain.state().tip_height == devnet.tip_height, what="reorg followed")
        await wait_for(lambda: tx.txid in devnet.ledger.mempool.entries, timeout_s=90,
                       what="the same transaction broadcast again")
        assert devnet.transaction(tx.txid).raw.hex() == tx.raw_tx  # the SAME raw, not a new transaction
        again = await payout()
        assert (again.status, again.confirmations, again.payout_tx_id) == (PayoutStatus.BROADCAST, 0, tx.id)
        assert (await services.payouts.get_tx(tx.id)).height == 0

        await devnet.mine(1)
        await wait_for(lambda: confirmations(1), timeout_s=30, what="payout mined again")
        assert (await payout()).status == PayoutStatus.BROADCAST
        await devnet.mine(SETTLED - 1)
        await wait_for(lambda: _status(services, payout_id, PayoutStatus.CONFIRMED), timeout_s=30,
                       what="payout settled")
        await devnet.mine(1)  # later blocks change nothing
        await wait_for(lambda: confirmations(SETTLED + 1), timeout_s=30, what="confirmations keep counting")

        assert (await services.refunds.get(refund.id)).status == RefundStatus.PAID
        assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.REFUNDED
        events = [e for e in await services.events.read_since(0, limit=1000)
                  if e.payload.get("payout_id") == payout_id or e.payload.get("refund_id") == refund.id]
        types = [e.type for e in events]
        assert types.count("payout.confirmed") == 1 and types.count("refund.paid") == 1
        assert types.count("payout.broadcast") == 1
        [confirmed] = [e for e in events if e.type == "payout.confirmed"]
        assert confirmed.payload["txid"] == tx.txid
        [(paid_txid, height, sat)] = payments_to(devnet, dest)  # paid once
        assert (paid_txid, sat) == (tx.txid, claimed.amount_sat) and height > 0
        assert (await services.payouts.get_tx(tx.id)).status == PayoutTxStatus.CONFIRMED


async def _status(services: Any, payout_id: str, status: PayoutStatus) -> bool:
    return (await services.payouts.get(payout_id)).status == status
