"""The terminal's sale as a plain form carries it: cart lines, the keypad entry, discount and tip.

Everything the page needs lives in the form's fields, so the sale works with JavaScript off (every
button is a submit button) and the server keeps no cart between requests:

- ``cart``: ``p:<product id>:<qty>`` and ``a:<minor units>:<qty>`` (a keypad amount) joined by ``;``
- ``entry``: the keypad's digits, in the currency's minor units (``1250`` = 12.50 EUR)
- ``discount``: a whole percent 0-100 of the subtotal
- ``tip``: ``""``, a preset percent (10, 15, 20) or ``custom`` with ``tip_amount`` (a price text)

Sums are integers in minor units; percentages round half up, so the page, the charge screen and the
invoice show the same numbers. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from app.core.errors import ValidationError
from app.core.money import fiat_minor_units, parse_price
from app.core.records import Product

TIP_PRESETS = (10, 15, 20)
CUSTOM = "custom"
TIP_CHOICES = frozenset({*(str(p) for p in TIP_PRESETS), CUSTOM})
MAX_LINES = 100
MAX_QTY = 999
MAX_ENTRY_DIGITS = 9
_LINE = re.compile(r"^(p):([A-Za-z0-9_-]{1,64}):(\d{1,3})$|^(a):(\d{1,9}):(\d{1,3})$")


class SaleError(ValidationError):
    """The sale cannot be read or charged; the message says what to change."""

    code = "invalid_sale"


@dataclass(frozen=True)
class Line:
    kind: str  # "p" product, "a" keypad amount
    ref: str  # the product id, or the amount in minor units
    qty: int

    def encode(self) -> str:
        return f"{self.kind}:{self.ref}:{self.qty}"


@dataclass(frozen=True)
class Sale:
    lines: tuple[Line, ...] = ()
    entry: str = ""
    discount_pct: int = 0
    tip: str = ""  # "", "10", "15", "20", "custom"
    tip_amount: str = ""  # the custom tip as typed

    def encode(self) -> str:
        return ";".join(line.encode() for line in self.lines)


def read_sale(form: Mapping[str, str]) -> Sale:
    """The sale in ``form``; malformed parts are dropped (a stale or edited form), never half-read."""
    lines: list[Line] = []
    for part in str(form.get("cart", ""))[:8000].split(";")[:MAX_LINES]:
        match = _LINE.match(part.strip())
        if match is None:
            continue
        kind, ref, qty = [g for g in match.groups() if g is not None]
        if 0 < int(qty) <= MAX_QTY and (kind == "p" or int(ref) > 0):
            lines.append(Line(kind, ref if kind == "p" else str(int(ref)), int(qty)))
    entry = str(form.get("entry", ""))[:MAX_ENTRY_DIGITS]
    entry = entry.lstrip("0") if entry.isascii() and entry.isdigit() else ""
    discount = str(form.get("discount", "")).strip()[:3]
    discount_pct = int(discount) if discount.isascii() and discount.isdigit() and int(discount) <= 100 else 0
    tip = str(form.get("tip", ""))
    tip = tip if tip in TIP_CHOICES else ""
    return Sale(tuple(lines), entry, discount_pct, tip, str(form.get("tip_amount", "")).strip()[:20])


def press(sale: Sale, key: str) -> Sale:
    """A keypad key: a digit, ``00``, ``back`` or ``clear``."""
    if key == "clear":
        return replace(sale, entry="")
    if key == "back":
        return replace(sale, entry=sale.entry[:-1])
    if key in {"00", *"0123456789"}:
        entry = (sale.entry + key).lstrip("0")
        return replace(sale, entry=entry) if len(entry) <= MAX_ENTRY_DIGITS else sale
    return sale


def add_entry(sale: Sale) -> Sale:
    """The keypad amount becomes a cart line (nothing happens for 0)."""
    if not sale.entry or len(sale.lines) >= MAX_LINES:
        return sale
    return replace(sale, lines=(*sale.lines, Line("a", sale.entry, 1)), entry="")


def add_product(sale: Sale, product_id: str) -> Sale:
    for index, line in enumerate(sale.lines):
        if line.kind == "p" and line.ref == product_id:
            return change_qty(sale, index, +1)
    if len(sale.lines) >= MAX_LINES or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", product_id):
        return sale
    return replace(sale, lines=(*sale.lines, Line("p", product_id, 1)))


def change_qty(sale: Sale, index: int, delta: int) -> Sale:
    if not 0 <= index < len(sale.lines):
        return sale
    lines = list(sale.lines)
    qty = min(MAX_QTY, lines[index].qty + delta)
    if qty <= 0:
        del lines[index]
    else:
        lines[index] = replace(lines[index], qty=qty)
    return replace(sale, lines=tuple(lines))


@dataclass(frozen=True)
class PricedLine:
    index: int
    name: str
    qty: int
    unit_minor: int
    product_id: str | None

    @property
    def total_minor(self) -> int:
        return self.unit_minor * self.qty


@dataclass(frozen=True)
class Totals:
    """A sale priced in the store's currency, in minor units."""

    currency: str
    places: int
    lines: tuple[PricedLine, ...]
    subtotal: int
    discount: int
    tip: int
    tip_error: str | None = None

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.tip

    def money(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.places)


def _percent(base: int, pct: int) -> int:
    return (base * pct * 2 + 100) // 200  # half up, in integers


def price(sale: Sale, products: Sequence[Product], currency: str, *, entry_counts: bool = False) -> Totals:
    """Price the sale with the store's current products (unknown or archived ones are left out).
    ``entry_counts``: a keypad amount not yet added counts as a line (charging straight from the keypad)."""
    places = fiat_minor_units(currency)
    by_id = {p.id: p for p in products if not p.archived}
    priced: list[PricedLine] = []
    lines = add_entry(sale).lines if entry_counts else sale.lines
    for index, line in enumerate(lines):
        if line.kind == "a":
            priced.append(PricedLine(index, "Amount", line.qty, int(line.ref), None))
        elif (product := by_id.get(line.ref)) is not None:
            priced.append(PricedLine(index, product.name, line.qty, int(product.price.scaleb(places)), product.id))
    subtotal = sum(line.total_minor for line in priced)
    discount = min(subtotal, _percent(subtotal, sale.discount_pct))
    tip, tip_error = _tip(sale, subtotal - discount, currency, places)
    return Totals(currency, places, tuple(priced), subtotal, discount, tip, tip_error)


def _tip(sale: Sale, base: int, currency: str, places: int) -> tuple[int, str | None]:
    if sale.tip == CUSTOM:
        if not sale.tip_amount:
            return 0, None
        try:
            amount = parse_price(sale.tip_amount.replace(",", "."), currency)
        except ValidationError:
            return 0, f"Enter the tip as an amount, like {Decimal(150).scaleb(-places)}."
        return int(amount.scaleb(places)), None
    return (_percent(base, int(sale.tip)) if sale.tip else 0), None


def invoice_items(totals: Totals) -> list[dict[str, object]]:
    """The invoice's item snapshot, with both key spellings the receipts read (qty/price, quantity/unit_price)."""
    return [{"product_id": line.product_id, "name": line.name, "qty": line.qty, "quantity": line.qty,
             "price": str(totals.money(line.unit_minor)), "unit_price": str(totals.money(line.unit_minor)),
             "currency": totals.currency} for line in totals.lines]


def pos_metadata(totals: Totals, terminal_id: str) -> dict[str, object]:
    return {"pos": {"source": "terminal", "terminal_id": terminal_id, "subtotal": str(totals.money(totals.subtotal)),
                    "discount": str(totals.money(totals.discount)), "tip": str(totals.money(totals.tip))}}


def description(totals: Totals) -> str:
    text = ", ".join(f"{line.qty} x {line.name}" if line.qty > 1 else line.name for line in totals.lines)
    return text if len(text) <= 200 else text[:199] + "…"
