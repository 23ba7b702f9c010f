"""Templates: sandboxed, autoescaped HTML; hostile store and product names stay text; store overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.core.records import Invoice, Store
from app.core.statuses import ExceptionStatus, InvoiceStatus
from app.services.delivery.email_templates import EmailTemplateError, EmailTemplates, invoice_context

HOSTILE_STORE = '<script>alert("store")</script>'
HOSTILE_ITEM = '<img src=x onerror="alert(1)">'


def _store(**email):
    return Store(id="sto_1", name=HOSTILE_STORE, default_currency="USD", speed_policy=1, expiry_s=900,
                 monitoring_s=86400, underpaid_tolerance_pct=Decimal(0), rate_source="manual",
                 rate_spread_pct=Decimal(0), wallet_ids=("wal_1",), email=email)


def _invoice():
    now = datetime.now(UTC)
    return Invoice(id="inv_1", store_id="sto_1", wallet_id="wal_1", address="bcrt1qxyz", derivation_index=0,
                   price=Decimal("10.00"), currency="USD", rate=Decimal("50000"), rate_source="manual",
                   amount_due_sat=20000, order_id="<b>42</b>", description="Order & co", buyer_email="b@example.com",
                   items=({"name": HOSTILE_ITEM, "quantity": 1, "unit_price": "10.00", "currency": "USD"},),
                   metadata={}, redirect_url=None, notification_url=None, speed_policy=1,
                   underpaid_tolerance_pct=Decimal(0), status=InvoiceStatus.COMPLETE,
                   exception_status=ExceptionStatus.NONE, amount_paid_sat=20000, amount_confirmed_sat=20000,
                   created_at=now, expires_at=now + timedelta(minutes=15), monitoring_until=now + timedelta(days=1),
                   paid_at=now, confirmed_at=now, completed_at=now)


@pytest.mark.parametrize("kind", ["receipt", "merchant"])
def test_hostile_names_are_escaped_in_html_and_kept_verbatim_in_text(kind):
    context = invoice_context(_store(), _invoice(), link="https://shop.example/i/inv_1", label="is complete")
    rendered = EmailTemplates().render(kind, context)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    if kind == "receipt":
        assert "<img" not in rendered.html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in rendered.html
        assert HOSTILE_ITEM in rendered.text
    assert "<b>42</b>" not in rendered.html
    assert HOSTILE_STORE in rendered.subject and "\n" not in rendered.subject


def test_store_overrides_are_sandboxed_and_still_escaped():
    templates = EmailTemplates()
    clean = templates.validate("receipt", {"html": "<p>Hi from {{ store.name }}</p>", "subject": "Thanks! {{ invoice.id }}"})
    context = invoice_context(_store(), _invoice(), link=None)
    rendered = templates.render("receipt", context, clean)
    assert rendered.html == "<p>Hi from &lt;script&gt;alert(&#34;store&#34;)&lt;/script&gt;</p>"
    assert rendered.subject == "Thanks! inv_1"
    assert "Thank you for your payment" in rendered.text  # parts not overridden use the default
    for hostile in ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ store.name.__class__.__init__.__globals__ }}",
                    "{% for x in %}", "{{ 1 / 0 }}"):
        with pytest.raises(EmailTemplateError) as caught:
            templates.validate("receipt", {"html": hostile})
        assert caught.value.code == "invalid_email_template"
    # a stored template that fails at send time falls back to the default instead of losing the receipt
    fallback = templates.render("receipt", context, {"html": "{{ invoice.items.nope.deeper }}"})
    assert "Thank you for your payment" in fallback.html


async def test_set_templates_stores_per_store_and_resets(tmp_path):
    from tests.notifications.conftest import make_store, service_stack

    async with service_stack(tmp_path) as svc:
        mail = svc.email
        store = await make_store(svc)
        saved = await mail.set_templates(store.id, "receipt", {"subject": "Receipt {{ invoice.id }}"})
        assert saved.email["templates"]["receipt"] == {"subject": "Receipt {{ invoice.id }}"}
        saved = await mail.set_templates(store.id, "receipt", {"subject": None})
        assert saved.email["templates"]["receipt"] == {}
        with pytest.raises(EmailTemplateError):
            await mail.set_templates(store.id, "invoice", {"subject": "x"})
