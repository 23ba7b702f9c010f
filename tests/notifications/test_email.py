"""Email against a real SMTP peer (aiosmtpd): settings, test-send errors, receipts, retries, restarts."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from app.core.errors import ValidationError
from app.core.statuses import InvoiceStatus
from app.net.smtp import SmtpError
from app.services.delivery.email import SmtpNotConfigured, password_name
from tests.notifications.conftest import (
    PASSWORD,
    USER,
    free_port,
    make_store,
    pay,
    service_stack,
    wait_deliveries,
    wait_status,
)

BUYER = "buyer@example.com"


def smtp_settings(port, **extra):
    return {"host": "127.0.0.1", "port": port, "mode": "plain", "from_address": "shop@example.com", **extra}


async def _paid_invoice(svc, store, **kw):
    await svc.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await svc.invoices.create(store.id, price="10.00", buyer_email=BUYER, order_id="A-17", **kw)
    await pay(svc, invoice, confirm=True)
    await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)
    return invoice


async def test_receipt_has_text_and_html_with_amounts_and_link(tmp_path, smtp):
    inbox, port = await smtp.start()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc, "Corner Shop", speed_policy=1)
        await svc.email.configure(store.id, smtp_settings(port, merchant_to=["owner@example.com"]))
        items = [{"name": "Coffee beans", "quantity": 2, "unit_price": "5.00", "currency": "USD"}]
        invoice = await _paid_invoice(svc, store, items=items)
        await inbox.wait(2)
    [receipt] = inbox.to(BUYER)
    assert receipt["From"] == "shop@example.com"
    assert "Corner Shop" in receipt["Subject"] and "A-17" in receipt["Subject"]
    assert receipt.get_content_type() == "multipart/alternative"
    text = receipt.get_body(("plain",)).get_content()
    html = receipt.get_body(("html",)).get_content()
    link = f"http://shop.test/i/{invoice.id}"
    for part in (text, html):
        assert "10.00 USD" in part and "0.00020000 BTC" in part and link in part and "Coffee beans" in part
    assert f'href="{link}"' in html
    [merchant] = inbox.to("owner@example.com")
    assert invoice.id in merchant["Subject"] and "is complete" in merchant["Subject"]


async def test_starttls_with_auth_and_password_in_keyring(tmp_path, smtp, certs):
    inbox, port = await smtp.start(starttls=True, auth=True)
    async with service_stack(tmp_path, tls_context=certs.client_context()) as svc:
        mail = svc.email
        store = await make_store(svc)
        saved = await mail.configure(store.id, smtp_settings(port, mode="starttls", username=USER), password=PASSWORD)
        assert PASSWORD not in repr(saved.email)
        assert svc.secrets.get(password_name(store.id)).reveal() == PASSWORD
        await mail.send_test(store.id, "me@example.com")
        await inbox.wait(1)
        assert inbox.to("me@example.com")
        with pytest.raises(SmtpError) as caught:
            await mail.send_test(store.id, "me@example.com", settings=smtp_settings(port, mode="starttls",
                                                                                     username=USER),
                                 password="wrong")
        assert caught.value.code == "smtp_auth_failed" and "user name or password" in str(caught.value)


async def test_implicit_tls(tmp_path, smtp, certs):
    inbox, port = await smtp.start(implicit_tls=True)
    async with service_stack(tmp_path, tls_context=certs.client_context()) as svc:
        store = await make_store(svc)
        await svc.email.configure(store.id, smtp_settings(port, mode="tls"))
        await svc.email.send_test(store.id, "me@example.com")
    assert len(inbox.messages) == 1


async def test_bad_settings_give_stable_codes(tmp_path, smtp, certs):
    _, plain_port = await smtp.start()
    _, tls_port = await smtp.start(starttls=True)
    async with service_stack(tmp_path) as svc:  # no trusted CA: the self-signed cert must be refused
        mail = svc.email
        store = await make_store(svc)
        with pytest.raises(SmtpNotConfigured):
            await mail.send_test(store.id, "me@example.com")
        cases = [
            (smtp_settings(free_port()), "smtp_connection_refused"),
            (smtp_settings(plain_port, mode="tls"), "smtp_tls_failed"),  # TLS spoken to a plain server
            (smtp_settings(plain_port, mode="starttls"), "smtp_tls_failed"),  # no STARTTLS offered
            (smtp_settings(tls_port, mode="starttls"), "smtp_tls_failed"),  # untrusted certificate
        ]
        for settings, code in cases:
            with pytest.raises(SmtpError) as caught:
                await mail.send_test(store.id, "me@example.com", settings=settings)
            assert caught.value.code == code, (settings, caught.value)
            assert caught.value.http_status == 502 and str(caught.value)


async def test_configure_validates(tmp_path):
    async with service_stack(tmp_path) as svc:
        mail = svc.email
        store = await make_store(svc)
        bad = [({"host": "bad host!"}, "invalid_smtp_host"), ({"port": 70000}, "invalid_smtp_port"),
               ({"mode": "ssl3"}, "invalid_mode"), ({"from_address": "nope"}, "invalid_email"),
               ({"receipt_on": "sometimes"}, "invalid_receipt_on"), ({"password": "x"}, "unknown_field"),
               ({"merchant_to": ["a@b.co", "bad"]}, "invalid_email")]
        for change, code in bad:
            with pytest.raises(ValidationError) as caught:
                await mail.configure(store.id, {**smtp_settings(25), **change})
            assert caught.value.code == code
        saved = await mail.configure(store.id, {"host": "mail.example.com", "mode": "TLS",
                                                "from_address": "shop@example.com", "merchant_to": "a@b.co, c@d.co"})
        assert saved.email["port"] == 465 and saved.email["merchant_to"] == ["a@b.co", "c@d.co"]


async def test_retries_until_the_server_comes_up(tmp_path, smtp):
    port = free_port()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc)
        await svc.email.configure(store.id, smtp_settings(port))
        await _paid_invoice(svc, store)
        rows = await wait_deliveries(svc, store.id, lambda rows: any(r.attempts >= 2 for r in rows))
        assert rows[0].status == "pending" and rows[0].last_error.startswith("smtp_connection_refused")
        inbox, _ = await smtp.start(port=port)
        await wait_deliveries(svc, store.id, lambda rows: rows and all(r.status == "delivered" for r in rows))
    assert len(inbox.to(BUYER)) == 1


async def test_no_duplicate_after_restart(tmp_path, smtp):
    inbox, port = await smtp.start()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc)
        await svc.email.configure(store.id, smtp_settings(port))
        await _paid_invoice(svc, store)
        await inbox.wait(1)
        await wait_deliveries(svc, store.id, lambda rows: rows and rows[0].status == "delivered")
    async with service_stack(tmp_path) as svc:  # same data dir: cursor and delivery rows survive
        notifications = svc.notifications
        assert await notifications.pipeline.consume_once() == 0
        await notifications.pipeline.send_due()
        await asyncio.sleep(0.3)
        rows = [r for r in await notifications.deliveries(store.id) if r.channel == "email"]
    assert len(inbox.to(BUYER)) == 1 and [r.status for r in rows] == ["delivered"]


async def test_pending_delivery_survives_restart_and_is_sent_once(tmp_path, smtp):
    port = free_port()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc)
        await svc.email.configure(store.id, smtp_settings(port))
        await _paid_invoice(svc, store)
        await wait_deliveries(svc, store.id, lambda rows: any(r.attempts >= 1 for r in rows))
    inbox, _ = await smtp.start(port=port)
    async with service_stack(tmp_path) as svc:
        await wait_deliveries(svc, store.id, lambda rows: rows and rows[0].status == "delivered")
        await asyncio.sleep(0.3)
    assert len(inbox.to(BUYER)) == 1


async def test_receipt_on_paid_is_sent_once(tmp_path, smtp):
    inbox, port = await smtp.start()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc, speed_policy=1)
        await svc.email.configure(store.id, smtp_settings(port, receipt_on="paid"))
        await svc.rates.set_manual_rate("USD", Decimal("50000"))
        invoice = await svc.invoices.create(store.id, price="10.00", buyer_email=BUYER)
        await pay(svc, invoice, confirm=False)
        await wait_status(svc, invoice.id, InvoiceStatus.PAID)
        await inbox.wait(1)
        await pay(svc, invoice, confirm=True)
        await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)
        await svc.notifications.pipeline.consume_once()
        await asyncio.sleep(0.3)
    assert len(inbox.to(BUYER)) == 1
