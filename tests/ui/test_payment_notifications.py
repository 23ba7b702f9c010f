"""Tray notifications in the window name the store, the fiat amount and the description."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.ui.notifications import PaymentNotifier
from tests.ui.conftest import run, wait_until
from tests.ui.fakes import FakeInvoices, FakeServices, fake_context

pytestmark = pytest.mark.gui


@dataclass
class Ev:
    type: str
    invoice_id: str | None
    store_id: str = "sto_a"
    payload: dict[str, Any] = field(default_factory=dict)


def _notifier(tmp_path, count=3):
    services = FakeServices(FakeInvoices(count))
    ctx = fake_context(tmp_path, services)
    notifier = PaymentNotifier(ctx.bridge, ctx.tray, ctx.qsettings, ctx=ctx)
    ctx.bridge.start()
    return ctx, services, notifier


def test_payment_and_complete_notifications_carry_store_fiat_and_description(qloop, qtbot, tmp_path):
    ctx, services, _notifier_ = _notifier(tmp_path)
    inv = services.invoices.items["inv000001"]  # $10.00, 20000 sat, "item 1"
    ctx.services.events.publish(Ev("payment.received", inv.id, payload={"amount_sat": 20000}))
    ctx.services.events.publish(Ev("payment.received", "inv000002", payload={"amount_sat": 5000}))  # partial
    ctx.services.events.publish(Ev("invoice.status_changed", inv.id,
                                   payload={"new_status": "complete", "old_exception": "none"}))
    notes = run(qloop, wait_until(lambda: len(ctx.tray.notifications) == 3 and ctx.tray.notifications,
                                  timeout_s=3, what="notifications"))
    assert [(n.title, n.message) for n in notes] == [
        ("Payment received", f"Corner Shop: $10.00 (0.00020000 BTC) for “item 1” · invoice {inv.id}"),
        ("Payment received", "Corner Shop: $2.50 (0.00005000 BTC) for “item 2” · invoice inv000002"),
        ("Invoice complete", f"Corner Shop: $10.00 for “item 1” is settled, you can hand over the goods · "
                             f"invoice {inv.id}"),
    ]


def test_unknown_invoice_falls_back_to_what_the_event_says(qloop, qtbot, tmp_path):
    ctx, _services, _n = _notifier(tmp_path, count=0)
    ctx.services.events.publish(Ev("payment.received", "inv_gone", payload={"amount_sat": 1000}))
    [note] = run(qloop, wait_until(lambda: ctx.tray.notifications, timeout_s=3, what="notification"))
    assert (note.title, note.message) == ("Payment received", "0.00001000 BTC for invoice inv_gone")


def test_switched_off_shows_nothing(qloop, qtbot, tmp_path):
    ctx, services, notifier = _notifier(tmp_path)
    ctx.qsettings.setValue("notifications/payments", "false")
    assert not notifier.enabled
    ctx.services.events.publish(Ev("payment.received", "inv000001", payload={"amount_sat": 20000}))
    qtbot.wait(700)  # longer than GATHER_MS: the burst was gathered and dropped
    assert ctx.tray.notifications == [] and services.invoices.get_calls == []
