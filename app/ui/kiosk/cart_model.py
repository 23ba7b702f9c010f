"""The kiosk cart without Qt: lines, quantities, a discount and a tip, in the store currency (Decimal).

Order of the maths: subtotal -> discount (percent of the subtotal, or a fixed amount up to the
subtotal) -> tip (percent of what is left after the discount, or a fixed amount) -> total. Every step
is rounded half-up to the currency's minor unit, so what the screen shows is what the invoice asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.core.money import fiat_minor_units, quantize_fiat
from app.core.records import Product

MAX_QTY = 999


@dataclass
class CartLine:
    key: str
    name: str
    unit_price: Decimal
    qty: int = 1
    product_id: str | None = None

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.qty


@dataclass(frozen=True)
class Adjustment:
    """A discount or a tip: ``percent`` (e.g. Decimal("10")) or a fixed ``amount``."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    def label(self, currency: str) -> str:
        if self.percent is not None:
            return f"{self.percent.normalize():f}%"
        from app.ui import formatting

        return formatting.fiat(self.amount or Decimal(0), currency)


@dataclass
class Cart:
    currency: str
    lines: list[CartLine] = field(default_factory=list)
    discount: Adjustment | None = None
    tip: Adjustment | None = None
    _custom: int = 0

    # -- editing -----------------------------------------------------------------------------------

    def add_product(self, product: Product) -> CartLine:
        for line in self.lines:
            if line.product_id == product.id:
                line.qty = min(MAX_QTY, line.qty + 1)
                return line
        line = CartLine(key=f"p:{product.id}", name=product.name, unit_price=Decimal(product.price),
                        product_id=product.id)
        self.lines.append(line)
        return line

    def add_amount(self, amount: Decimal, name: str = "Amount") -> CartLine | None:
        if amount <= 0:
            return None
        self._custom += 1
        line = CartLine(key=f"a:{self._custom}", name=name, unit_price=self.round(amount))
        self.lines.append(line)
        return line

    def change_qty(self, key: str, delta: int) -> None:
        for line in list(self.lines):
            if line.key == key:
                line.qty = min(MAX_QTY, line.qty + delta)
                if line.qty <= 0:
                    self.lines.remove(line)

    def clear(self) -> None:
        self.lines.clear()
        self.discount = None
        self.tip = None

    @property
    def count(self) -> int:
        return sum(line.qty for line in self.lines)

    # -- totals --------------------------------------------------------------------------------------

    def round(self, amount: Decimal) -> Decimal:
        return quantize_fiat(amount, self.currency)

    @property
    def places(self) -> int:
        return fiat_minor_units(self.currency)

    @property
    def subtotal(self) -> Decimal:
        return self.round(sum((line.total for line in self.lines), Decimal(0)))

    @property
    def discount_amount(self) -> Decimal:
        return self._apply(self.discount, self.subtotal, cap=self.subtotal)

    @property
    def tip_amount(self) -> Decimal:
        return self._apply(self.tip, self.subtotal - self.discount_amount, cap=None)

    @property
    def total(self) -> Decimal:
        return self.round(self.subtotal - self.discount_amount + self.tip_amount)

    def _apply(self, adj: Adjustment | None, base: Decimal, *, cap: Decimal | None) -> Decimal:
        if adj is None:
            return self.round(Decimal(0))
        value = base * adj.percent / 100 if adj.percent is not None else (adj.amount or Decimal(0))
        value = max(Decimal(0), self.round(value))
        return min(value, cap) if cap is not None else value

    # -- what the invoice gets -----------------------------------------------------------------------

    def items(self) -> list[dict[str, object]]:
        """Invoice items; both key spellings (qty/price for the kiosk, quantity/unit_price for templates)."""
        return [{"product_id": line.product_id, "name": line.name, "qty": line.qty, "quantity": line.qty,
                 "price": str(line.unit_price), "unit_price": str(line.unit_price), "currency": self.currency}
                for line in self.lines]

    def metadata(self) -> dict[str, dict[str, str]]:
        return {"pos": {"source": "kiosk", "subtotal": str(self.subtotal), "discount": str(self.discount_amount),
                        "tip": str(self.tip_amount)}}

    def description(self) -> str:
        names = ", ".join(f"{line.qty} x {line.name}" if line.qty > 1 else line.name for line in self.lines)
        return names if len(names) <= 200 else names[:199] + "…"
