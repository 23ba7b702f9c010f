"""End to end on the whole app (real Electrum + devnet): a paid, mined invoice produces one receipt."""

from __future__ import annotations

import pytest

from app.core.statuses import InvoiceStatus
from app.secrets import SecretStore
from app.services.delivery.email import EmailService
from app.services.delivery.notification_channels import ChannelRegistry
from app.services.delivery.notifications import NotificationService
from tests.integration.helpers import make_store, wait_status, wait_synced
from tests.notifications.conftest import FAST

pytestmark = pytest.mark.slow


async def test_devnet_payment_sends_receipt(app_runtime, smtp):
    inbox, port = await smtp.start()
    services, devnet = app_runtime.services, app_runtime.devnet
    secrets = SecretStore(app_runtime.settings.network)
    public = app_runtime.urls.get("public", "")
    mail = EmailService(services.stores, secrets, invoice_url=lambda invoice_id: f"{public}/i/{invoice_id}")
    notifications = NotificationService(services.writer, services.events, services.stores, services.invoices, mail,
                                        ChannelRegistry(mail, secrets), policy=FAST)
    await notifications.start()
    try:
        await wait_synced(app_runtime)
        store = await make_store(services, speed_policy=1)
        await mail.configure(store.id, {"host": "127.0.0.1", "port": port, "mode": "plain",
                                        "from_address": "shop@example.com"})
        invoice = await services.invoices.create(store.id, price="10.00", buyer_email="buyer@example.com")
        await devnet.pay(invoice.address, invoice.amount_due_sat)
        await wait_status(services, invoice.id, InvoiceStatus.PAID)
        await devnet.mine(1)
        await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
        await inbox.wait(1, timeout_s=20)
    finally:
        await notifications.stop()
    [receipt] = inbox.to("buyer@example.com")
    assert f"/i/{invoice.id}" in receipt.get_body(("plain",)).get_content()
