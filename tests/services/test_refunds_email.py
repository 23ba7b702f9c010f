"""The refund link e-mailed to the buyer (a real SMTP peer, aiosmtpd) and merchant notifications of payouts."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from app.core.refunds import RefundRequest, RefundVariant
from app.core.statuses import InvoiceStatus
from tests.notifications.conftest import certs, make_store, pay, service_stack, smtp, wait_status  # noqa: F401
from tests.services.refund_helpers import foreign_address

BUYER = "buyer@example.com"
OWNER = "owner@example.com"


def _smtp(port: int) -> dict[str, object]:
    return {"host": "127.0.0.1", "port": port, "mode": "plain", "from_address": "shop@example.com",
            "merchant_to": [OWNER], "public_url": "https://shop.example", "receipt_on": "never"}


async def test_the_buyer_gets_the_refund_link_and_the_owner_hears_of_the_claim(tmp_path, smtp):  # noqa: F811
    inbox, port = await smtp.start()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc, "Corner Shop", speed_policy=1)
        await svc.email.configure(store.id, _smtp(port))
        await svc.rates.set_manual_rate("USD", Decimal("50000"))
        invoice = await svc.invoices.create(store.id, price="10.00", buyer_email=BUYER, order_id="A-17")
        await pay(svc, invoice, confirm=True)
        await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)
        refund = await svc.refunds.create(invoice.id, RefundRequest(RefundVariant.RATE_THEN, fee_pct=Decimal(5)))
        assert refund.emailed_to == BUYER  # what the window's refund dialog says "e-mailed to"
        await inbox.wait(2)  # the buyer's refund link, the owner's "complete"
        await svc.refunds.claim(refund.id, foreign_address(7))
        await inbox.wait(3)
    [message] = inbox.to(BUYER)
    assert "Corner Shop" in message["Subject"] and "refund" in message["Subject"].lower()
    link = f"https://shop.example/refund/{refund.id}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert link in part and "0.00019000 BTC" in part and "10.00 USD" in part and "0.00001000 BTC" in part and "A-17" in part
    assert f'href="{link}"' in html
    subjects = [m["Subject"] for m in inbox.to(OWNER)]
    assert any("refund claimed" in s for s in subjects), subjects


async def _consumed(svc, seq: int) -> None:
    """Wait until the notification channel has planned every event up to ``seq`` (its cursor)."""
    async with asyncio.timeout(10):
        while await svc.events.get_cursor("notifications") < seq:  # noqa: ASYNC110 - the consumer's loop
            await asyncio.sleep(0.02)


async def test_emailed_to_is_set_only_when_the_link_email_is_really_sent(tmp_path, smtp):  # noqa: F811
    inbox, port = await smtp.start()
    async with service_stack(tmp_path) as svc:
        store = await make_store(svc, "Corner Shop", speed_policy=1)
        await svc.rates.set_manual_rate("USD", Decimal("50000"))
        with_email = await svc.invoices.create(store.id, price="10.00", buyer_email=BUYER)
        without_email = await svc.invoices.create(store.id, price="10.00")
        for invoice in (with_email, without_email):
            await pay(svc, invoice, confirm=True)
            await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)
        custom = RefundRequest(RefundVariant.CUSTOM_BTC, Decimal("0.00001"))
        no_smtp = await svc.refunds.create(with_email.id, custom)  # a buyer e-mail, but no SMTP settings
        assert no_smtp.emailed_to is None
        await _consumed(svc, max(e.seq for e in await svc.events.read_since(0, limit=500)))
        await svc.email.configure(store.id, _smtp(port))
        no_buyer = await svc.refunds.create(without_email.id, custom)
        assert no_buyer.emailed_to is None
        sent = await svc.refunds.create(with_email.id, custom)
        assert sent.emailed_to == BUYER
        await inbox.wait(1)
        await _consumed(svc, max(e.seq for e in await svc.events.read_since(0, limit=500)))
        await asyncio.sleep(0.3)  # any further message would have arrived by now (FAST policy)
    assert [(m["To"], sent.id in m.get_body(("plain",)).get_content()) for m in inbox.messages
            if "refund" in m["Subject"].lower()] == [(BUYER, True)]
