"""What a receipt says, and how it is laid out in character columns for a receipt roll.

One model for every receipt (printed on a thermal printer, as a PDF/system print, in an e-mail):
``build_receipt(store, invoice, link=...)`` reads the invoice (and the kiosk's cart, kept in
``invoice.items`` and ``invoice.metadata["pos"]``) into a ``Receipt``.

``layout(receipt, columns)`` turns it into rows of at most ``columns`` characters, for monospace
output. Amounts are never broken: a label that does not fit beside its amount wraps (at most three
lines, then "…"), the amount stays whole on the first line. Identifiers longer than a line (address,
txids) are cut into whole-line chunks. Paper widths: 58 mm rolls print 32 characters a line, 80 mm
rolls 48 (ESC/POS font A, 12 dots a character on 384/576 printable dots).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from app.core.money import format_btc
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus

COLUMNS = {58: 32, 80: 48}
MIN_COLUMNS = 24
FOOTER = "Thank you! Paid with bitcoin."
_PAID = (InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE)
_MAX_LABEL_LINES = 3


def columns_for(paper_mm: int) -> int:
    """Characters a line on a roll of ``paper_mm`` (58 or 80)."""
    return COLUMNS.get(paper_mm, COLUMNS[80])


@dataclass(frozen=True)
class ReceiptItem:
    name: str
    qty: int
    line_total: Decimal | None  # None when the item has no price


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    value: str


@dataclass(frozen=True)
class Receipt:
    store_name: str
    invoice_id: str
    when: datetime
    currency: str
    items: tuple[ReceiptItem, ...]
    subtotal: Decimal | None  # None: no cart (an invoice made elsewhere)
    discount: Decimal | None  # what was taken off (positive), None when no discount
    tip: Decimal | None
    total: Decimal
    amount_sat: int  # the invoice's BTC amount
    paid_sat: int
    rate: Decimal | None  # fiat per BTC
    status: str
    address: str
    txids: tuple[str, ...]
    link: str | None = None  # the invoice page (the printed QR)
    order_id: str | None = None
    store_address: tuple[str, ...] = ()
    footer: str = FOOTER

    @property
    def paid(self) -> bool:
        return self.status == "Paid"

    def money(self, amount: Decimal) -> str:
        return money(amount, self.currency)

    def item_lines(self) -> tuple[ReceiptLine, ...]:
        return tuple(ReceiptLine(f"{i.qty} x {i.name}", self.money(i.line_total) if i.line_total is not None else "")
                     for i in self.items)

    def total_lines(self) -> tuple[ReceiptLine, ...]:
        """Subtotal, discount, tip (when there are any), total in fiat and BTC, rate."""
        out = []
        if self.subtotal is not None and (self.discount or self.tip):
            out.append(ReceiptLine("Subtotal", self.money(self.subtotal)))
        if self.discount:
            out.append(ReceiptLine("Discount", "-" + self.money(self.discount)))
        if self.tip:
            out.append(ReceiptLine("Tip", self.money(self.tip)))
        out.append(ReceiptLine("Total", self.money(self.total)))
        out.append(ReceiptLine("Bitcoin", f"{format_btc(self.amount_sat)} BTC"))
        if self.rate is not None:
            out.append(ReceiptLine("Rate", f"{money(self.rate, self.currency)}/BTC"))
        return tuple(out)

    @property
    def when_text(self) -> str:
        return self.when.strftime("%Y-%m-%d %H:%M UTC")

    def text(self, columns: int = COLUMNS[80]) -> str:
        return "\n".join(row.text for row in layout(self, columns)) + "\n"


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,} {currency}"


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _qty(item: Mapping[str, object]) -> int:
    raw = item.get("qty", item.get("quantity", 1))
    try:
        return int(str(raw))
    except ValueError:
        return 1


def _item(item: Mapping[str, object]) -> ReceiptItem:
    qty = _qty(item)
    price = _decimal(item.get("price", item.get("unit_price")))
    return ReceiptItem(name=str(item.get("name", "")), qty=qty, line_total=price * qty if price is not None else None)


def build_receipt(store: Store, invoice: Invoice, *, link: str | None = None) -> Receipt:
    """The receipt of ``invoice``: items and the kiosk's subtotal/discount/tip when it has them."""
    pos = invoice.metadata.get("pos") if isinstance(invoice.metadata, Mapping) else None
    cart: Mapping[str, object] = pos if isinstance(pos, Mapping) else {}
    discount, tip = _decimal(cart.get("discount")), _decimal(cart.get("tip"))
    txids = tuple(dict.fromkeys(p.txid for p in sorted(invoice.payments, key=lambda p: p.sort_key)
                                if p.accounted))
    status = "Paid" if invoice.status in _PAID else str(invoice.status).capitalize()
    return Receipt(
        store_name=store.name, invoice_id=invoice.id, when=invoice.paid_at or invoice.created_at,
        currency=invoice.currency, items=tuple(_item(i) for i in invoice.items if isinstance(i, Mapping)),
        subtotal=_decimal(cart.get("subtotal")), discount=discount or None, tip=tip or None, total=invoice.price,
        amount_sat=invoice.amount_due_sat, paid_sat=invoice.amount_paid_sat, rate=invoice.rate, status=status,
        address=invoice.address, txids=txids, link=link, order_id=invoice.order_id)


# -- layout in columns ---------------------------------------------------------------------------


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"


@dataclass(frozen=True)
class Row:
    """One printed line of at most ``columns`` characters (already padded for right-aligned values)."""

    text: str
    bold: bool = False
    align: Align = Align.LEFT
    title: bool = False  # the shop's name: double height on a thermal printer


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _pair(label: str, value: str, columns: int, *, bold: bool = False) -> list[Row]:
    """``label .... value``; the value is never broken, the label wraps (and is elided) around it."""
    if not value:
        return [Row(line, bold) for line in _elide(_wrap(label, columns), columns)]
    room = columns - len(value) - 1
    if room < 6:  # a value as wide as the line: label above, value right-aligned under it
        return [*(Row(line, bold) for line in _elide(_wrap(label, columns), columns)),
                Row(value.rjust(columns), bold)]
    first, *rest = _wrap(label, room)
    rows = [Row(first.ljust(room) + " " + value, bold)]
    if rest:
        more = _elide(_wrap(" ".join(rest), columns - 2), columns - 2, limit=_MAX_LABEL_LINES - 1)
        rows += [Row("  " + line, bold) for line in more]
    return rows


def _elide(lines: list[str], width: int, *, limit: int = _MAX_LABEL_LINES) -> list[str]:
    if len(lines) <= limit:
        return lines
    kept = lines[:limit]
    kept[-1] = kept[-1][: width - 1].rstrip() + "…"
    return kept


def _chunks(text: str, columns: int) -> list[Row]:
    return [Row(text[i:i + columns]) for i in range(0, len(text), columns)] or [Row("")]


def _centered(text: str, columns: int, *, bold: bool = False, title: bool = False) -> list[Row]:
    return [Row(line.center(columns).rstrip(), bold, Align.CENTER, title) for line in _wrap(text, columns)]


def layout(receipt: Receipt, columns: int) -> list[Row]:
    """The receipt as rows of at most ``columns`` characters."""
    columns = max(MIN_COLUMNS, columns)
    rule = Row("-" * columns)
    rows = _centered(receipt.store_name, columns, bold=True, title=True)
    for address_line in receipt.store_address:
        rows += _centered(address_line, columns)
    rows += _centered(f"Invoice {receipt.invoice_id}", columns)
    if receipt.order_id:
        rows += _centered(f"Order {receipt.order_id}", columns)
    rows += [*_centered(receipt.when_text, columns), rule]
    if receipt.items:
        for line in receipt.item_lines():
            rows += _pair(line.label, line.value, columns)
        rows.append(rule)
    for line in receipt.total_lines():
        rows += _pair(line.label, line.value, columns, bold=line.label == "Total")
    rows.append(rule)
    rows += _pair("Paid", f"{format_btc(receipt.paid_sat)} BTC", columns)
    rows += _pair("Status", receipt.status, columns)
    rows += [Row("Address"), *_chunks(receipt.address, columns)]
    if receipt.txids:
        rows.append(Row("Transaction" if len(receipt.txids) == 1 else "Transactions"))
        for txid in receipt.txids:
            rows += _chunks(txid, columns)
    rows += [rule, *_centered(receipt.footer, columns)]
    return rows


def sample_receipt(when: datetime, *, store_name: str = "RedWaves test page") -> Receipt:
    """What "Print test page" prints: every kind of line, made-up values."""
    items = (ReceiptItem("Espresso", 2, Decimal("5.00")),
             ReceiptItem("Croissant with a very long name that has to wrap", 1, Decimal("2.20")))
    return Receipt(store_name=store_name, invoice_id="test-page", when=when, currency="USD", items=items,
                   subtotal=Decimal("7.20"), discount=Decimal("0.36"), tip=Decimal("0.68"), total=Decimal("7.52"),
                   amount_sat=12_533, paid_sat=12_533, rate=Decimal("60000.00"), status="Paid",
                   address="bc1qexampleexampleexampleexampleexample0000", txids=("0" * 64,),
                   link="https://example.com/i/test-page", footer="Test page: the printer works.")


__all__ = ["COLUMNS", "Align", "Receipt", "ReceiptItem", "ReceiptLine", "Row", "build_receipt", "columns_for",
           "layout", "money", "sample_receipt"]
