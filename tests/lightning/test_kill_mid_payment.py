"""kill -9 of the shop while a shopper's HTLC is in flight, at several points, then a restart on the same
data directory: each payment is either settled once (the shopper paid, the invoice is complete with one
Lightning payment carrying the shopper's preimage) or failed back (the shopper did not pay, the invoice is
pending with no payment); never two payments, never one the shopper did not make; the channel stays usable.

The shop is the real Runtime in a child process (tests/lightning/merchant_child.py); the devnet and the
shopper (Debian's Electrum, a separate process) live in this process and outlive every SIGKILL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import serving_devnet
from tests.lightning.conftest import (
    CHANNEL_SAT,
    electrum_segwit_seed,
    funded_shopper,
    in_thread,
    shopper_open_states,
    wait_async,
)
from tests.lightning_shopper import ShopperNode, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# when to kill the shop: a delay after the shopper's lnpay starts, or "htlc": as soon as the shopper's
# channel shows an HTLC it sent that is not settled yet (in flight, seen from the payer's side)
KILL_POINTS: tuple[float | str, ...] = (0.0, 0.25, "htlc")
SHORT_EXPIRY_S = 60  # the shortest invoice expiry (InvoiceService.create)
PR_PAID, PR_INFLIGHT = 3, 4  # electrum.invoices


class ShopProcess:
    """tests/lightning/merchant_child.py as a child process: start (and restart), SIGKILL, SIGTERM."""

    def __init__(self, data_dir: Path, server: str, listen: str, seed: str) -> None:
        self.args = [str(data_dir), server, listen, seed]
        self.logs = data_dir.parent / "child-logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self) -> dict[str, Any]:
        self.runs += 1
        out = self.logs / f"run{self.runs}.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REDWAVES_")}
        with out.open("wb") as stdout, (self.logs / f"run{self.runs}.err").open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.lightning.merchant_child", *self.args, cwd=ROOT, env=env,
                stdout=stdout, stderr=stderr)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for line in out.read_text().splitlines():
                if line.startswith('{"ready"'):
                    ready: dict[str, Any] = json.loads(line)
                    return ready
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"the shop did not start (run {self.runs}): "
                             f"{(self.logs / f'run{self.runs}.err').read_text()[-3000:]}")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(self.proc.wait(), 20) == -signal.SIGKILL

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


def pay_and_survive(shopper: ShopperNode, bolt11: str) -> dict[str, Any]:
    """The shopper's lnpay; an error answer (the shop vanished mid-way) is a result too."""
    try:
        return shopper.lnpay_rpc(bolt11, timeout_s=30)
    except Exception as exc:  # noqa: BLE001 - whatever the payer says, the test checks the outcome below
        return {"success": False, "error": repr(exc)}


async def shopper_outcome(shopper: ShopperNode, payment_hash: str) -> int:
    """The shopper's final word on its payment (PR_PAID, or unpaid / failed), once nothing is in flight."""
    async def settled() -> int | None:
        try:
            status = int((await in_thread(shopper.rpc, "get_invoice", invoice_id=payment_hash))["status"])
        except Exception:  # noqa: BLE001 - the request was never even saved: lnpay did not get that far
            return -1
        return None if status == PR_INFLIGHT else status + 100  # (+100: a falsy PR_UNPAID is an answer too)

    return int(await wait_async(settled, timeout_s=90, every_s=0.3, what="the shopper's payment resolved")) - 100


async def test_kill9_while_an_htlc_is_in_flight(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    db = data_dir / "regtest" / "redwaves.sqlite3"
    listen = f"127.0.0.1:{free_port()}"
    async with serving_devnet(110) as devnet:
        shopper = ShopperNode(tmp_path / "s", devnet.server_string, rpc=True)
        shop = ShopProcess(data_dir, devnet.server_string, listen, electrum_segwit_seed())
        try:
            funding = asyncio.create_task(funded_shopper(shopper, devnet))
            ready = await shop.start()
            await funding
            connect = f"{ready['node_id']}@{listen}"
            async with aiohttp.ClientSession() as http:
                api = Api(http, ready)
                await in_thread(shopper.open_channel, connect, CHANNEL_SAT)
                await devnet.mine(3)
                await wait_async(lambda: _usable(api, shopper, 50_000), timeout_s=60, what="channel usable")
                # for the last round, made now so that its minute runs out while the other rounds run
                short = await api.new_invoice(9_000, expiry_s=SHORT_EXPIRY_S)
                outcomes = []
                in_flight_kills = 0
                for n, point in enumerate(KILL_POINTS):
                    await wait_async(lambda: _usable(api, shopper, 50_000), timeout_s=60,
                                     what="channel usable (re-established)")
                    invoice = await api.new_invoice(10_000 + n)
                    assert invoice["bolt11"], invoice
                    paying = asyncio.create_task(in_thread(pay_and_survive, shopper, invoice["bolt11"]))
                    if point == "htlc":
                        await wait_async(lambda: _unsettled_sent(shopper), timeout_s=20, every_s=0.005,
                                         what="the shopper's HTLC in flight")
                    else:
                        await asyncio.sleep(float(point))
                    await shop.kill()
                    killed_at = time.monotonic()
                    in_flight = bool(await _unsettled_sent(shopper))
                    in_flight_kills += in_flight
                    api.ready = await shop.start()  # same data directory, same listen port
                    restart_s = time.monotonic() - killed_at
                    await _reconnect(shopper, connect)
                    result = await asyncio.wait_for(paying, 120)
                    outcome = await shopper_outcome(shopper, invoice["payment_hash"])
                    outcomes.append(await _check_round(api, db, invoice, result, outcome))
                    print(f"\nkill -9 at {point!r}: HTLC in flight at the kill: {in_flight}; {outcomes[-1]} "
                          f"(lnpay said success={result.get('success')}); restart {restart_s:.1f} s")
                # last round: killed with the HTLC in flight, and down until the invoice's deadline has passed.
                # On restart either Electrum had already committed to fulfil (the payment settled in time:
                # recorded, the invoice completes) or RedWaves' gate refuses the late HTLC (failed back,
                # the invoice expires with no payment): never a late payment
                await wait_async(lambda: _usable(api, shopper, 50_000), timeout_s=60, what="channel usable")
                left = (datetime.fromisoformat(short["expires_at"]) - datetime.now(UTC)).total_seconds()
                assert left > 5, f"the rounds took too long: the short invoice expires in {left:.1f} s"
                paying = asyncio.create_task(in_thread(pay_and_survive, shopper, short["bolt11"]))
                await wait_async(lambda: _unsettled_sent(shopper), timeout_s=20, every_s=0.005,
                                 what="the shopper's HTLC in flight")
                await shop.kill()
                in_flight_kills += bool(await _unsettled_sent(shopper))
                left = (datetime.fromisoformat(short["expires_at"]) - datetime.now(UTC)).total_seconds()
                await asyncio.sleep(max(0.0, left) + 2.0)
                api.ready = await shop.start()
                await _reconnect(shopper, connect)
                result = await asyncio.wait_for(paying, 120)
                outcome = await shopper_outcome(shopper, short["payment_hash"])
                outcomes.append(await _check_round(api, db, short, result, outcome, expired=True))
                print(f"kill -9 with the HTLC in flight, restarted {left + 2:.0f} s later past the deadline: "
                      f"{outcomes[-1]}")
                await wait_async(lambda: _usable(api, shopper, 50_000), timeout_s=60, what="channel usable again")
                after = await api.new_invoice(20_000)
                paid = await in_thread(shopper.lnpay_rpc, after["bolt11"])
                assert paid["success"] is True, paid.get("log")
                await wait_async(lambda: api.status_is(after["id"], "complete"), timeout_s=20, what="paid after")
                assert "OPEN" in await shopper_open_states(shopper)
                assert [c["state"] for c in (await api.get("/lightning"))["channels"]] == ["OPEN"]
                print(f"outcomes: {outcomes}")
                assert in_flight_kills >= 1, "no kill happened with the HTLC in flight"
        finally:
            await shop.stop()
            await in_thread(shopper.stop)


class Api:
    def __init__(self, http: aiohttp.ClientSession, ready: dict[str, Any]) -> None:
        self.http, self.ready = http, ready

    async def get(self, path: str) -> Any:
        async with self.http.get(self.ready["api"] + path,
                                 headers={"Authorization": f"Bearer {self.ready['key']}"}) as resp:
            body = await resp.json()
            assert resp.status == 200, body
            return body

    async def new_invoice(self, sat: int, **extra: Any) -> dict[str, Any]:
        async with self.http.post(f"{self.ready['api']}/stores/{self.ready['store_id']}/invoices",
                                  json={"amount_sat": sat, **extra},
                                  headers={"Authorization": f"Bearer {self.ready['key']}"}) as resp:
            body: dict[str, Any] = await resp.json()
            assert resp.status == 201 or resp.status == 200, body
            return body

    async def status_is(self, invoice_id: str, status: str) -> dict[str, Any] | None:
        invoice: dict[str, Any] = await self.get(f"/invoices/{invoice_id}")
        return invoice if invoice["status"] == status else None


async def _usable(api: Api, shopper: ShopperNode, sat: int) -> bool:
    node = await api.get("/lightning")
    return bool(node["can_receive_sat"] >= sat and "OPEN" in await shopper_open_states(shopper))


async def _unsettled_sent(shopper: ShopperNode) -> int:
    """Satoshis the shopper has in HTLCs it sent that are neither fulfilled nor failed yet."""
    channels = await in_thread(shopper.rpc, "list_channels")
    return sum(int(c.get("local_unsettled_sent") or 0) for c in channels if c.get("type") == "CHANNEL")


async def _reconnect(shopper: ShopperNode, connect: str) -> None:
    """Electrum backs off reconnecting to a channel peer (4 s doubling per failed try, up to 300 s: lnworker.py
    NetworkRetryManager init/max_retry_delay_urgent), and it failed while the shop was down: ask it now."""
    async def connected() -> bool:
        try:
            return bool(await in_thread(shopper.rpc, "add_peer", timeout_s=30, connection_string=connect))
        except Exception:  # noqa: BLE001 - the shop is still starting its listener
            return False

    await wait_async(connected, timeout_s=30, every_s=0.5, what="the shopper reconnected to the shop")


async def _check_round(api: Api, db: Path, invoice: dict[str, Any], result: dict[str, Any], outcome: int, *,
                       expired: bool = False) -> str:
    invoice_id = invoice["id"]
    if outcome == PR_PAID:
        done = await wait_async(lambda: api.status_is(invoice_id, "complete"), timeout_s=30,
                                what="the settled payment recorded")
    else:
        await asyncio.sleep(2.0)  # a late recording would show up within this
        done = await api.get(f"/invoices/{invoice_id}")
    await asyncio.sleep(0.5)
    done = await api.get(f"/invoices/{invoice_id}")
    payments = done["payments"]
    lightning_rows = rows(db, "SELECT count(*) FROM payments WHERE invoice_id = ?", invoice_id)[0][0]
    received = rows(db, "SELECT count(*) FROM outbox_events WHERE invoice_id = ? AND type = 'payment.received'",
                    invoice_id)[0][0]
    if outcome == PR_PAID:
        [payment] = payments
        assert (done["status"], payment["method"], payment["amount_sat"]) == ("complete", "lightning",
                                                                               invoice["amount_due_sat"])
        assert payment["payment_hash"] == invoice["payment_hash"]
        assert hashlib.sha256(bytes.fromhex(payment["preimage"])).hexdigest() == invoice["payment_hash"]
        if result.get("success"):
            assert payment["preimage"] == result["preimage"]
        assert (lightning_rows, received) == (1, 1)
        return "settled once"
    if expired:  # the engine expires it within a tick of the restart
        done = await wait_async(lambda: api.status_is(invoice_id, "expired"), timeout_s=20, what="invoice expired")
        payments = done["payments"]
    assert done["status"] == ("expired" if expired else "pending"), (outcome, done)
    assert payments == [], (outcome, done)  # never a payment the shopper did not make
    assert (lightning_rows, received) == (0, 0)
    assert result.get("success") is not True
    return "failed back"
