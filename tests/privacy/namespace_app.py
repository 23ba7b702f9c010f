"""The RedWaves side of the namespace tests: the real Runtime, run inside the namespace by the test.

    ip netns exec <ns> python -m tests.privacy.namespace_app <config.json>

It starts the whole app (lock, SQLite, Electrum in-process, services, listeners) with the settings in
the config, sets up one store (wallet, SMTP, a signed webhook, the "http" rate source) and then talks
to the test over stdin/stdout only (never over the network, so the capture sees the app alone):
prints ``RW {"event": ...}`` lines and waits for one-word commands on stdin.
  synced -> pay {address, sat} -> (the test pays and mines on its devnet) -> complete
  <- "fiat" -> fiat {sat} (a USD invoice: the only step that needs a rate) <- "stop" -> stopped
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.config import load_settings
from app.core.statuses import InvoiceStatus
from app.runtime import Runtime
from tests.conftest import TEST_VPUB
from tests.integration.helpers import wait_for, wait_status

HOOK_SECRET = "namespace-test-webhook-secret"
BUYER = "buyer@example.com"


def say(event: str, **data: Any) -> None:
    print("RW " + json.dumps({"event": event, **data}), flush=True)


async def command(expected: str, timeout_s: float = 60.0) -> None:
    line = await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), timeout_s)
    if line.strip() != expected:
        raise SystemExit(f"expected {expected!r} on stdin, got {line!r}")


async def scenario(runtime: Runtime, cfg: dict[str, Any]) -> None:
    chain = runtime.chain
    assert chain is not None and runtime.services is not None
    await wait_for(lambda: chain.state().synced and chain.state().connected, timeout_s=40, what="chain synced")
    say("synced")
    services = runtime.services
    wallet = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    store = await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id],
                                         speed_policy=1, rate_source="http")
    await services.email.configure(store.id, {"host": cfg["smtp_host"], "port": cfg["smtp_port"], "mode": "plain",
                                              "from_address": "shop@example.com"})
    await services.webhooks.create(store.id, cfg["webhook_url"], secret=HOOK_SECRET)
    invoice = await services.invoices.create(store.id, price="0.001", currency="BTC", buyer_email=BUYER)
    say("pay", address=invoice.address, sat=invoice.amount_due_sat, invoice=invoice.id)
    await wait_status(services, invoice.id, InvoiceStatus.COMPLETE, timeout_s=40)
    say("complete", invoice=invoice.id)
    await command("fiat")
    fiat = await services.invoices.create(store.id, price="12.50", currency="USD")
    say("fiat", sat=fiat.amount_due_sat, invoice=fiat.id)
    await command("stop")


async def main(cfg: dict[str, Any]) -> None:
    settings = load_settings({}, {"network": "regtest", "private_port": 0, "electrum_oneserver": True,
                                  **cfg["settings"]})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        await scenario(runtime, cfg)
    finally:
        await runtime.stop()
    say("stopped")


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
