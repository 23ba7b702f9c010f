"""A merchant notification names the store, the fiat price and the description (not only the id)."""

from __future__ import annotations

from decimal import Decimal

from app.core.statuses import InvoiceStatus
from app.services.delivery.notification_channels import TrayNotifier
from tests.notifications.conftest import make_store, pay, service_stack, wait_deliveries, wait_status


async def test_tray_notification_carries_store_fiat_and_description(tmp_path):
    tray = TrayNotifier()
    shown: list[tuple[str, str]] = []
    tray.register(lambda subject, body, url: shown.append((subject, body)))
    async with service_stack(tmp_path, tray=tray) as svc:
        store = await make_store(svc, "Corner Shop")
        await svc.rates.set_manual_rate("USD", Decimal("50000"))
        invoice = await svc.invoices.create(store.id, price="12.50", description="Two coffees", order_id="A-17")
        await pay(svc, invoice, confirm=True)
        await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)
        await wait_deliveries(svc, store.id, lambda rows: rows and rows[0].status == "delivered", channel="tray")
    [(subject, body)] = shown
    assert subject == f"[Corner Shop] Invoice {invoice.id} is complete: 12.50 USD · Two coffees"
    lines = body.splitlines()
    assert lines[0] == f"Corner Shop: invoice {invoice.id} is complete."
    assert lines[1:4] == ["Two coffees", "Order: A-17", "Price: 12.50 USD (0.00025000 BTC)"]


async def test_long_descriptions_are_cut_in_the_subject_only(tmp_path):
    tray = TrayNotifier()
    shown: list[tuple[str, str]] = []
    tray.register(lambda subject, body, url: shown.append((subject, body)))
    text = "Espresso, " * 20
    async with service_stack(tmp_path, tray=tray) as svc:
        store = await make_store(svc, "Corner Shop")
        invoice = await svc.invoices.create(store.id, price="0.001", currency="BTC", description=text)
        await pay(svc, invoice, confirm=True)
        await wait_deliveries(svc, store.id, lambda rows: rows and rows[0].status == "delivered", channel="tray")
    [(subject, body)] = shown
    assert len(subject) < 160 and subject.endswith("...") and "0.00100000 BTC" in subject
    assert text.strip() in body
