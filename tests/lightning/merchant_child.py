"""The shop process the kill -9 test starts (no tests here): the real Runtime with its Lightning node
against the test's devnet, so the devnet and the shopper outlive each SIGKILL.

    python -m tests.lightning.merchant_child <data_dir> <server> <lightning_listen> <seed>

The first run adds the hot p2wpkh wallet (``seed``), turns Lightning on, makes a store that offers it and
an API key (kept in <data_dir>/e2e_key.txt); every run then prints one line
{"ready": true, "api": <private url>/api/v1, "key", "store_id", "wallet_id", "node_id"} and serves until
it gets SIGTERM (a clean stop) or SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.child_runtime import started_runtime, synced, until


async def _first_run(services: Any, seed: str, key_file: Path) -> None:
    hot = await services.wallets.add_hot_wallet("Till", seed, script_type="p2wpkh")
    await services.lightning.enable(hot.id)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Kill shop", default_currency="USD", wallet_ids=[hot.id], speed_policy=1,
                                         expiry_s=900)
    await services.stores.update(store.id, {"checkout": {"lightning": True}})
    key = (await services.apikeys.bootstrap("e2e")).key.reveal()
    await asyncio.to_thread(key_file.write_text, key)


async def main(data_dir: str, server: str, listen: str, seed: str) -> None:
    async with started_runtime(data_dir, server, lightning_listen=listen, lightning_allow_incoming=True) as runtime:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        services = runtime.services
        await until(lambda: synced(runtime), 30, "chain synced")
        key_file = Path(data_dir) / "e2e_key.txt"
        if not key_file.exists():
            await _first_run(services, seed, key_file)
        status = await services.lightning.status()
        if status.info is None:
            raise SystemExit(f"lightning not running: {status.problem}")
        [store] = [s for s in await services.stores.list()]
        print(json.dumps({"ready": True, "api": runtime.urls["private"] + "/api/v1", "key": key_file.read_text(),
                          "store_id": store.id, "wallet_id": status.wallet_id, "node_id": status.info.node_id}),
              flush=True)
        await stop.wait()

if __name__ == "__main__":
    from app.chain.keys import set_network

    set_network("regtest")
    asyncio.run(main(*sys.argv[1:5]))
