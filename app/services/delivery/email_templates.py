"""Email templates: defaults shipped in templates/email/, per-store overrides kept in Store.email["templates"].

Everything renders in a Jinja2 SandboxedEnvironment (a store's template cannot reach Python internals);
the HTML part autoescapes, so a hostile store, product or order name stays text. Rendering gets plain
values only (strings, numbers, lists), never ORM rows or services.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from jinja2 import Template
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.core.errors import ValidationError
from app.core.money import format_btc
from app.core.receipts import Receipt, build_receipt
from app.core.records import Invoice, Store

logger = logging.getLogger(__name__)
# What a broken or hostile template can raise while rendering (the sandbox turns unsafe access into
# SecurityError, a TemplateError); never a reason to lose a notification.
RENDER_ERRORS = (JinjaTemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError)

KINDS = ("receipt", "merchant", "refund")  # refund: the refund link to the buyer (docs/refunds.md)
PARTS = ("subject", "text", "html")
MAX_TEMPLATE_CHARS = 50_000
_FILES = {"subject": "{kind}.subject.txt", "text": "{kind}.txt", "html": "{kind}.html"}


class EmailTemplateError(ValidationError):
    code = "invalid_email_template"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def invoice_context(store: Store, invoice: Invoice, *, link: str | None, label: str = "") -> dict[str, Any]:
    """The variables every template sees (documented in docs/notifications.md)."""
    items = [{"name": str(i.get("name", "")), "quantity": i.get("quantity", 1),
              "unit_price": str(i.get("unit_price", "") or ""), "currency": str(i.get("currency", "") or "")}
             for i in invoice.items if isinstance(i, Mapping)]
    return {
        "store": {"id": store.id, "name": store.name},
        "invoice": {
            "id": invoice.id, "order_id": invoice.order_id or "", "description": invoice.description,
            "price": str(invoice.price), "currency": invoice.currency,
            "rate": str(invoice.rate) if invoice.rate is not None else "", "rate_source": invoice.rate_source or "",
            "amount_due_sat": invoice.amount_due_sat, "amount_btc": format_btc(invoice.amount_due_sat),
            "amount_paid_sat": invoice.amount_paid_sat, "amount_paid_btc": format_btc(invoice.amount_paid_sat),
            "status": str(invoice.status), "exception_status": str(invoice.exception_status),
            "address": invoice.address, "created_at": invoice.created_at.isoformat(),
        },
        "items": items,
        "receipt": receipt_context(build_receipt(store, invoice, link=link)),
        "link": link or "",
        "event": {"label": label},
    }


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    """The receipt's lines (app.core.receipts), the same as on paper: amounts as formatted text."""
    def amount(value: Decimal | None) -> str:
        return receipt.money(value) if value is not None else ""

    return {
        "time": receipt.when_text,
        "item_lines": [{"name": i.name, "qty": i.qty, "total": amount(i.line_total)} for i in receipt.items],
        "subtotal": amount(receipt.subtotal) if receipt.discount or receipt.tip else "",
        "discount": "-" + amount(receipt.discount) if receipt.discount else "",
        "tip": amount(receipt.tip) if receipt.tip else "",
        "total": amount(receipt.total),
        "amount_btc": f"{format_btc(receipt.amount_sat)} BTC",
        "paid_btc": f"{format_btc(receipt.paid_sat)} BTC",
        "rate": f"{receipt.money(receipt.rate)}/BTC" if receipt.rate is not None else "",
        "status": receipt.status,
        "address": receipt.address,
        "txids": list(receipt.txids),
        "total_lines": [{"label": line.label, "value": line.value} for line in receipt.total_lines()],
    }


SAMPLE_CONTEXT: dict[str, Any] = {
    "store": {"id": "sto_sample", "name": "Sample Shop"},
    "invoice": {"id": "inv_sample", "order_id": "1001", "description": "Sample", "price": "10.00", "currency": "USD",
                "rate": "50000", "rate_source": "manual", "amount_due_sat": 20000, "amount_btc": "0.00020000",
                "amount_paid_sat": 20000, "amount_paid_btc": "0.00020000", "status": "complete",
                "exception_status": "none", "address": "bcrt1qsample", "created_at": "2024-01-01T00:00:00+00:00"},
    "items": [{"name": "Coffee", "quantity": 2, "unit_price": "5.00", "currency": "USD"}],
    "receipt": {"time": "2024-01-01 00:05 UTC", "item_lines": [{"name": "Coffee", "qty": 2, "total": "10.00 USD"}],
                "subtotal": "10.00 USD", "discount": "-1.00 USD", "tip": "1.00 USD", "total": "10.00 USD",
                "amount_btc": "0.00020000 BTC", "paid_btc": "0.00020000 BTC", "rate": "50,000 USD/BTC",
                "status": "Paid", "address": "bcrt1qsample", "txids": ["00" * 32],
                "total_lines": [{"label": "Total", "value": "10.00 USD"}]},
    "link": "https://shop.example/i/inv_sample",
    "event": {"label": "is complete"},
    "refund": {"id": "ref_sample", "amount_sat": 19000, "amount_btc": "0.00019000", "fee_sat": 1000,
               "fee_btc": "0.00001000", "fiat_amount": "10.00",
               "currency": "USD", "expires_at": "2024-01-31 00:05 UTC", "link": "https://shop.example/refund/ref_sample"},
}


def refund_context(payload: Mapping[str, Any], *, link: str) -> dict[str, Any]:
    """The ``refund`` variables of the refund e-mail, from its refund.created event (docs/refunds.md)."""
    amount = int(payload.get("amount_sat") or 0)
    expires = str(payload.get("expires_at") or "")
    fee = int(payload.get("fee_sat") or 0)
    return {"id": str(payload.get("refund_id") or ""), "amount_sat": amount, "amount_btc": format_btc(amount),
            "fee_sat": fee, "fee_btc": format_btc(fee),
            "fiat_amount": str(payload.get("fiat_amount") or ""), "currency": str(payload.get("currency") or ""),
            "expires_at": expires[:16].replace("T", " ") + " UTC" if expires else "", "link": link}


def _one_line(text: str, limit: int = 200) -> str:
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


class EmailTemplates:
    def __init__(self) -> None:
        self._html = SandboxedEnvironment(autoescape=True)
        self._text = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
        self._defaults: dict[tuple[str, str], str] = {}
        self._compiled: dict[tuple[bool, str], Template] = {}

    def default_source(self, kind: str, part: str) -> str:
        key = (kind, part)
        if key not in self._defaults:
            name = _FILES[part].format(kind=kind)
            self._defaults[key] = resources.files("app.services.delivery").joinpath("templates", "email", name).read_text(
                encoding="utf-8")
        return self._defaults[key]

    def _template(self, source: str, *, html: bool) -> Template:
        key = (html, source)
        if key not in self._compiled:
            if len(self._compiled) > 256:
                self._compiled.clear()
            self._compiled[key] = (self._html if html else self._text).from_string(source)
        return self._compiled[key]

    def validate(self, kind: str, parts: Mapping[str, Any]) -> dict[str, str]:
        """Clean overrides for one kind; raises EmailTemplateError naming the broken part."""
        if kind not in KINDS:
            raise EmailTemplateError(f"Unknown template '{kind}': use one of {', '.join(KINDS)}.", field="kind")
        out: dict[str, str] = {}
        for part, source in parts.items():
            if part not in PARTS:
                raise EmailTemplateError(f"Unknown template part '{part}'.", field=part)
            if source is None or source == "":
                continue  # back to the default
            if not isinstance(source, str) or len(source) > MAX_TEMPLATE_CHARS:
                raise EmailTemplateError(f"The {part} template must be text up to {MAX_TEMPLATE_CHARS} characters.",
                                         field=part)
            try:  # a trial render catches sandbox violations and bad filters before they are saved
                self._template(source, html=part == "html").render(SAMPLE_CONTEXT)
            except RENDER_ERRORS as exc:
                raise EmailTemplateError(f"The {kind} {part} template has an error: {str(exc)[:300]}",
                                         field=part) from None
            out[part] = source
        return out

    def render(self, kind: str, context: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> RenderedEmail:
        """Render all parts; a broken store override falls back to the default for that part (logged)."""
        rendered = {part: self._render_part(kind, part, context, (overrides or {}).get(part)) for part in PARTS}
        return RenderedEmail(subject=_one_line(rendered["subject"]), text=rendered["text"], html=rendered["html"])

    def _render_part(self, kind: str, part: str, context: Mapping[str, Any], override: object) -> str:
        html = part == "html"
        if isinstance(override, str) and override:
            try:
                return self._template(override, html=html).render(context)
            except RENDER_ERRORS as exc:
                logger.warning("store template %s.%s failed (%s); using the default", kind, part, type(exc).__name__)
        return self._template(self.default_source(kind, part), html=html).render(context)
