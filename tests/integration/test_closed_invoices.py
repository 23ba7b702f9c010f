"""Money sent to a closed invoice's address (issue 24 item 2), on the real runtime + devnet: found by the
periodic check and on demand, told once (event, webhook, notification), the status unchanged, shown in
REST; a reorg that removes it; the hourly bound (server requests counted at the devnet) and a restart
that continues where the check was."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from app.core.closed_payments import ClosedPaymentState, FoundBy
from app.core.statuses import InvoiceStatus
from app.db.models import ClosedCheckStateRow, InvoiceRow, NotificationDeliveryRow, WebhookDeliveryRow
from app.devnet.addresses import address_to_script
from app.devnet.addresses import scripthash as script_hash
from app.devnet.electrum_methods import ElectrumMethods
from app.services.invoicing.closed_watch import StillMonitored
from tests.conftest import runtime_with
from tests.integration.helpers import make_store, time_travel, wait_for, wait_synced

pytestmark = pytest.mark.slow

CLOSE_S = 900 + 86400 + 60  # past the store's expiry and monitoring window


def scripthash(address: str) -> str:
    return script_hash(address_to_script(address))


class HistoryCounter:
    """Counts ``blockchain.scripthash.get_history`` per scripthash at the devnet's Electrum server."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()
        original = ElectrumMethods.call

        def counting(methods: ElectrumMethods, session, method, params):  # type: ignore[no-untyped-def]
            if method == "blockchain.scripthash.get_history":
                with self._lock:
                    self.calls.append(str(params[0]))
            return original(methods, session, method, params)

        monkeypatch.setattr(ElectrumMethods, "call", counting)

    def of(self, addresses: list[str]) -> list[str]:
        """The history requests for these addresses, in order, as addresses."""
        wanted = {scripthash(a): a for a in addresses}
        with self._lock:
            return [wanted[sh] for sh in self.calls if sh in wanted]


async def close_invoice(services, invoice_id: str, seconds: float = CLOSE_S) -> None:
    await time_travel(services, invoice_id, seconds)

    async def closed() -> bool:
        async with services.writer.read() as session:
            row = await session.get(InvoiceRow, invoice_id)
            return row is not None and not row.monitored

    await wait_for(closed, what=f"{invoice_id} closed")


async def closed_rows(services, invoice_id: str):
    return await services.closed_watch.payments_of([invoice_id])


async def webhook_receiver():
    got: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/hook", got


async def test_payment_after_close_found_told_once_status_unchanged(tmp_path, monkeypatch):
    counter = HistoryCounter(monkeypatch)
    runner, url, got = await webhook_receiver()
    try:
        async with runtime_with(tmp_path, closed_check_per_hour=3600, closed_check_interval_s=1) as runtime:
            services, devnet = runtime.services, runtime.devnet
            await wait_synced(runtime)
            store = await make_store(services)
            await services.webhooks.create(store.id, url)
            invoice = await services.invoices.create(store.id, price="10.00")
            await close_invoice(services, invoice.id)
            expired = await services.invoices.get(invoice.id)
            assert expired.status == InvoiceStatus.EXPIRED
            txid = await devnet.pay(invoice.address, 12_345)
            await devnet.mine(1)

            async def found_confirmed() -> bool:
                rows = (await closed_rows(services, invoice.id)).get(invoice.id, [])
                return bool(rows) and rows[0].state == ClosedPaymentState.CONFIRMED

            await wait_for(found_confirmed, timeout_s=30, what="the periodic check finds the late payment")
            [row] = (await closed_rows(services, invoice.id))[invoice.id]
            assert (row.txid, row.amount_sat, row.verified, row.found_by) == (txid, 12_345, True, FoundBy.PERIODIC)
            assert row.height == devnet.tip_height
            assert counter.of([invoice.address]), "the address was asked about at the server"

            # on demand: the same row, no second event
            again = await services.closed_watch.check_invoice(invoice.id)
            assert [(p.txid, p.found_by) for p in again] == [(txid, FoundBy.PERIODIC)]
            after = await services.invoices.get(invoice.id)
            assert (after.status, after.amount_paid_sat, after.payments) == (InvoiceStatus.EXPIRED, 0, ())

            events = [e for e in await services.events.read_since(0) if e.invoice_id == invoice.id]
            late = [e for e in events if e.type == "invoice.payment_after_close"]
            assert len(late) == 1 and late[0].payload["txid"] == txid
            assert late[0].payload["amount_sat"] == 12_345 and late[0].payload["status"] == "expired"
            assert not [e for e in events if e.type == "invoice.payment_after_close_confirmed"]  # proven when found
            assert [e.type for e in events].count("invoice.status_changed") == 1  # only the expiry

            await wait_for(lambda: any(b["type"] == "invoice.payment_after_close" for b in got), what="webhook")
            async with services.writer.read() as session:
                deliveries = (await session.scalars(select(WebhookDeliveryRow).where(
                    WebhookDeliveryRow.event_type == "invoice.payment_after_close"))).all()
                notes = (await session.scalars(select(NotificationDeliveryRow).where(
                    NotificationDeliveryRow.event_seq == late[0].seq))).all()
            assert len(deliveries) == 1
            assert [n.channel for n in notes] == ["tray"]  # the default rules; no SMTP configured for e-mail
            body = next(b for b in got if b["type"] == "invoice.payment_after_close")
            assert body["event"]["txid"] == txid and body["invoice"]["status"] == "expired"

            # REST: the invoice JSON shows it; the on-demand endpoint answers it
            key = await services.apikeys.create("ops", ["invoices:write"])
            base = services.urls.current()["private"]
            headers = {"Authorization": f"Bearer {key.key.reveal()}"}
            async with aiohttp.ClientSession(headers=headers) as http:
                async with http.get(f"{base}/api/v1/invoices/{invoice.id}") as resp:
                    doc = await resp.json()
                async with http.post(f"{base}/api/v1/invoices/{invoice.id}/chain-check") as resp:
                    checked = await resp.json()
                    check_status = resp.status
            assert doc["status"] == "expired" and doc["amount_paid_sat"] == 0
            assert [(p["txid"], p["amount_sat"], p["state"]) for p in doc["payments_after_close"]] == \
                [(txid, 12_345, "confirmed")]
            assert check_status == 200 and checked["payments_after_close"][0]["txid"] == txid

            # a reorg that removes the transaction: the row says so, nothing is reopened
            await devnet.reorg(1, include=[])
            await wait_for(lambda: runtime.chain.state().tip_height == devnet.tip_height, what="reorg followed")
            [gone] = await services.closed_watch.check_invoice(invoice.id)
            assert gone.state == ClosedPaymentState.GONE and not gone.verified and gone.height == 0
            assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.EXPIRED
            events = [e.type for e in await services.events.read_since(0) if e.invoice_id == invoice.id]
            assert events.count("invoice.payment_after_close") == 1
    finally:
        await runner.cleanup()


async def test_still_monitored_invoice_is_refused_on_demand(tmp_path):
    async with runtime_with(tmp_path, closed_check_per_hour=0) as runtime:
        services = runtime.services
        await wait_synced(runtime)
        store = await make_store(services)
        invoice = await services.invoices.create(store.id, price="10.00")
        with pytest.raises(StillMonitored, match="still monitored"):
            await services.closed_watch.check_invoice(invoice.id)


async def _prepare_closed(tmp_path, n: int) -> list[str]:
    """n closed invoices; returns their addresses newest-closed first."""
    addresses: list[tuple[str, str]] = []
    async with runtime_with(tmp_path, closed_check_per_hour=0) as runtime:
        services = runtime.services
        await wait_synced(runtime)
        store = await make_store(services)
        for i in range(n):
            invoice = await services.invoices.create(store.id, price="1.00")
            await close_invoice(services, invoice.id, CLOSE_S + 60 * i)  # the first one closed last
            addresses.append((invoice.id, invoice.address))
    return [a for _, a in addresses]


async def _state(services) -> ClosedCheckStateRow | None:
    async with services.writer.read() as session:
        return await session.get(ClosedCheckStateRow, "closed_invoices")


async def test_hourly_bound_and_restart_continues(tmp_path, monkeypatch):
    addresses = await _prepare_closed(tmp_path, 14)
    counter = HistoryCounter(monkeypatch)
    async with runtime_with(tmp_path, closed_check_per_hour=5, closed_check_interval_s=0) as runtime:
        services = runtime.services

        async def spent() -> bool:
            state = await _state(services)
            return state is not None and state.hour_used >= 5

        await wait_for(spent, timeout_s=30, what="the hour's budget spent")
        await asyncio.sleep(1.0)  # ~20 more ticks: none may ask the server
        first = counter.of(addresses)
    assert first == addresses[:5], "newest-closed first, and no more than 5 requests this hour"

    async with runtime_with(tmp_path, closed_check_per_hour=9, closed_check_interval_s=0) as runtime:
        services = runtime.services

        async def spent_again() -> bool:
            state = await _state(services)
            return state is not None and state.hour_used >= 9

        await wait_for(spent_again, timeout_s=30, what="the raised budget spent")
        await asyncio.sleep(1.0)
        second = counter.of(addresses)[len(first):]
    assert second == addresses[5:9], "the restart continues after the 5th, within the same hour's budget"
    assert Counter(counter.of(addresses)).most_common(1)[0][1] == 1  # nothing asked twice


async def test_on_demand_unconfirmed_then_confirmed_follow_up_once(tmp_path):
    async with runtime_with(tmp_path, closed_check_per_hour=0) as runtime:  # no periodic check: on demand only
        services, devnet = runtime.services, runtime.devnet
        await wait_synced(runtime)
        store = await make_store(services)
        invoice = await services.invoices.create(store.id, price="10.00")
        await close_invoice(services, invoice.id)
        assert await services.closed_watch.check_invoice(invoice.id) == []
        txid = await devnet.pay(invoice.address, 7_000)
        [seen] = await services.closed_watch.check_invoice(invoice.id)
        assert (seen.txid, seen.state, seen.verified, seen.height, seen.found_by) == \
            (txid, ClosedPaymentState.UNCONFIRMED, False, 0, FoundBy.ON_DEMAND)
        await devnet.mine(1)
        await wait_for(lambda: runtime.chain.state().tip_height == devnet.tip_height, what="block followed")
        [mined] = await services.closed_watch.check_invoice(invoice.id)
        assert (mined.state, mined.verified, mined.height) == (ClosedPaymentState.CONFIRMED, True, devnet.tip_height)
        await services.closed_watch.check_invoice(invoice.id)  # found again: no new event
        types = [e.type for e in await services.events.read_since(0) if e.invoice_id == invoice.id]
        assert types.count("invoice.payment_after_close") == 1
        assert types.count("invoice.payment_after_close_confirmed") == 1
        assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.EXPIRED
