"""Merchant notifications: rules per store; tray callbacks, webhook (local server), Apprise when installed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from aiohttp import web

from app.core.errors import ValidationError
from app.core.statuses import InvoiceStatus
from app.net.notify import AppriseProvider, DeliveryFailed, apprise_available
from app.services.delivery.notification_channels import TrayNotifier, target_name
from app.services.delivery.notification_rules import channels_for, receipt_due, triggers
from tests.notifications.conftest import make_store, pay, service_stack, wait_deliveries, wait_status


async def _complete_invoice(svc, store):
    await svc.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await svc.invoices.create(store.id, price="10.00")
    await pay(svc, invoice, confirm=True)
    await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)
    return invoice


@pytest.fixture
async def hook_server(aiohttp_server):
    state = {"received": [], "fail": 0}

    async def receive(request: web.Request) -> web.Response:
        if state["fail"] > 0:
            state["fail"] -= 1
            return web.Response(status=503)
        state["received"].append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), state


async def test_tray_callback_gets_default_rule_events(tmp_path):
    tray = TrayNotifier()
    shown = []
    tray.register(lambda subject, body, url: shown.append((subject, body, url)))
    async with service_stack(tmp_path, tray=tray) as svc:
        store = await make_store(svc, "Kiosk")
        invoice = await _complete_invoice(svc, store)
        await wait_deliveries(svc, store.id, lambda rows: rows and rows[0].status == "delivered", channel="tray")
    [(subject, body, url)] = shown
    assert invoice.id in subject and "is complete" in subject and "0.00020000 BTC" in body
    assert url == f"http://shop.test/i/{invoice.id}"


async def test_webhook_channel_with_rules_and_retry(tmp_path, hook_server):
    url, state = hook_server
    state["fail"] = 2  # two 503s, then success
    async with service_stack(tmp_path) as svc:
        notifications = svc.notifications
        store = await make_store(svc)
        saved = await notifications.configure(store.id, {
            "channels": {"ops": {"type": "webhook"}},
            "rules": [{"on": ["invoice.complete"], "notify": ["ops"]}, {"on": ["invoice.created"], "notify": ["ops"]}],
        }, targets={"ops": url})
        assert url not in repr(saved.notifications)  # the target lives in the keyring
        assert svc.secrets.get(target_name(store.id, "ops")).reveal() == url
        invoice = await _complete_invoice(svc, store)
        rows = await wait_deliveries(svc, store.id, lambda rows: len(rows) == 2 and all(r.status == "delivered"
                                                                                        for r in rows),
                                     channel="webhook")
    assert sum(r.attempts for r in rows) == 4 and {r.recipient for r in rows} == {"ops"}
    subjects = sorted(doc["subject"] for doc in state["received"])
    assert len(subjects) == 2 and all(invoice.id in s for s in subjects)
    assert {doc["url"] for doc in state["received"]} == {f"http://shop.test/i/{invoice.id}"}


async def test_disabled_channel_and_non_matching_rules_send_nothing(tmp_path, hook_server):
    url, state = hook_server
    async with service_stack(tmp_path) as svc:
        notifications = svc.notifications
        store = await make_store(svc)
        await notifications.configure(store.id, {"channels": {"ops": {"type": "webhook", "enabled": False}},
                                                 "rules": [{"on": ["invoice.complete"], "notify": ["ops"]}]},
                                      targets={"ops": url})
        await _complete_invoice(svc, store)
        while await notifications.pipeline.consume_once():
            pass
        assert await notifications.deliveries(store.id) == []
    assert state["received"] == []


@pytest.mark.skipif(apprise_available(), reason="apprise is installed")
async def test_apprise_reports_unavailable_and_the_delivery_fails_cleanly(tmp_path):
    with pytest.raises(DeliveryFailed) as caught:
        await AppriseProvider(["tgram://token/chat"]).send("s", "b")
    assert caught.value.code == "apprise_unavailable" and not caught.value.retryable
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc)
        await svc.notifications.configure(store.id, {
            "channels": {"phone": {"type": "apprise"}}, "rules": [{"on": ["invoice.complete"], "notify": ["phone"]}]},
            targets={"phone": "tgram://123:abc/456"})
        await _complete_invoice(svc, store)
        [row] = await wait_deliveries(svc, store.id, lambda rows: rows and rows[0].status == "failed",
                                      channel="apprise")
    assert row.attempts == 1 and row.last_error.startswith("apprise_unavailable")


async def test_rules_are_validated(tmp_path):
    async with service_stack(tmp_path) as svc:
        notifications = svc.notifications
        store = await make_store(svc)
        bad = [
            {"channels": {"Bad Name": {"type": "webhook"}}},
            {"channels": {"x": {"type": "carrier-pigeon"}}},
            {"rules": [{"on": ["invoice.teleported"], "notify": ["tray"]}]},
            {"rules": [{"on": ["invoice.paid"], "notify": ["nowhere"]}]},
            {"colour": "red"},
        ]
        for config in bad:
            with pytest.raises(ValidationError):
                await notifications.configure(store.id, config)


def test_triggers_and_rules_are_pure():
    changed = {"old_status": "pending", "new_status": "paid", "old_exception": "none", "new_exception": "paid_over"}
    assert triggers("invoice.status_changed", changed) == ["invoice.paid", "invoice.exception"]
    assert triggers("payment.state_changed", {}) == []
    assert receipt_due("paid", "invoice.status_changed", changed)
    assert not receipt_due("paid", "invoice.status_changed", {**changed, "old_status": "paid", "new_status": "complete"})
    assert not receipt_due("complete", "invoice.status_changed", changed)
    assert channels_for({}, ["invoice.paid"]) == ["tray", "email"]  # the default rule
    assert channels_for({"rules": []}, ["invoice.paid"]) == []


async def test_sending_never_blocks_payments(tmp_path):
    """Unreachable mail server and no tray: invoices still complete promptly; deliveries just wait."""
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc)
        await svc.email.configure(store.id, {"host": "127.0.0.1", "port": 9, "mode": "plain",
                                                       "from_address": "s@example.com", "merchant_to": ["o@example.com"]})
        async with asyncio.timeout(5):
            await _complete_invoice(svc, store)
