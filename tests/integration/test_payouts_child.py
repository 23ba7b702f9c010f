"""The RedWaves process the kill -9 payout test starts (no tests here): the real Runtime against the
test's devnet, so the devnet outlives each SIGKILL.

    python -m tests.integration.test_payouts_child <data_dir> <server> setup
        a hot wallet, a store, prints {"wallet_id", "store_id", "fund": [addresses]}
    python -m tests.integration.test_payouts_child <data_dir> <server> payouts <n> <sat> <dest>...
        creates and approves payouts, prints their ids
    python -m tests.integration.test_payouts_child <data_dir> <server> pay <kill_at> <id>...
        pay_hot; SIGKILLs itself right after step <kill_at> (built | recorded | broadcast | none)
    python -m tests.integration.test_payouts_child <data_dir> <server> resume <want_status> <id>...
        starts (the executor's recovery runs at start), waits until every payout has <want_status>,
        prints {"payouts": {id: status}, "txs": {payout_tx_id: [status, txid]}}
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from decimal import Decimal
from typing import Any

from tests.child_runtime import started_runtime, synced, until

HOT_SEED = "abandon " * 11 + "about"


def _kill_at(step: str) -> Any:
    def checkpoint(reached: str) -> None:
        if reached == step:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


async def main(argv: list[str]) -> None:
    from app.core.payouts import FeeChoice
    from app.services.refunds.executor import PayoutExecutor

    data_dir, server, action, *rest = argv
    async with started_runtime(data_dir, server) as runtime:
        services = runtime.services
        await until(lambda: synced(runtime), 30, "chain synced")
        if action == "setup":
            from app.chain.keys import derive_addresses, parse_wallet_keys

            hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
            await services.rates.set_manual_rate("USD", Decimal("50000"))
            store = await services.stores.create("Kill shop", default_currency="USD", wallet_ids=[hot.id])
            await services.wallets.watch_range(hot.id, 0, 5)
            fund = derive_addresses(parse_wallet_keys(HOT_SEED, "regtest", allow_seed=True), 0, 3)
            print(json.dumps({"wallet_id": hot.id, "store_id": store.id, "fund": fund}), flush=True)
        elif action == "payouts":
            wallet_id, store_id, sat, *dests = rest
            made = [await services.payouts.create(store_id, wallet_id, d, int(sat)) for d in dests]
            await services.payouts.approve([p.id for p in made])
            print(json.dumps([p.id for p in made]), flush=True)
        elif action == "pay":
            step, *ids = rest
            wallet_id = (await services.payouts.get(ids[0])).wallet_id
            await until(lambda: _funded(runtime, wallet_id), 30, "funds confirmed")
            executor = PayoutExecutor(services.writer, runtime.chain, services.secrets, network="regtest",
                                      on_confirmed=services.payouts.on_tx_confirmed, checkpoint=_kill_at(step))
            tx = await executor.pay_hot(ids, FeeChoice("custom", Decimal(2)))
            print(json.dumps({"payout_tx_id": tx.id, "txid": tx.txid}), flush=True)
        elif action == "resume":
            want, *ids = rest
            await until(lambda: _all(services, ids, want), 30, f"payouts {want}")
            await _report(services, ids)


async def _funded(runtime: Any, wallet_id: str) -> bool:
    confirmed, _unconfirmed = await runtime.chain.wallet_balance(wallet_id)
    return bool(confirmed > 0)


async def _all(services: Any, ids: list[str], want: str) -> bool:
    found = [str((await services.payouts.get(i)).status) for i in ids]
    return all(status == want for status in found)


async def _report(services: Any, ids: list[str]) -> None:
    payouts = {i: await services.payouts.get(i) for i in ids}
    txs = {}
    for payout in payouts.values():
        if payout.payout_tx_id:
            tx = await services.payouts.get_tx(payout.payout_tx_id)
            txs[tx.id] = [str(tx.status), tx.txid]
    print(json.dumps({"payouts": {i: str(p.status) for i, p in payouts.items()}, "txs": txs}), flush=True)


if __name__ == "__main__":
    from app.chain.keys import set_network

    set_network("regtest")
    asyncio.run(main(sys.argv[1:]))
