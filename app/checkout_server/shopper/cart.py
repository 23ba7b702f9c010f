"""The ready store's cart, as posted by a plain HTML form: ``qty_<product id>`` fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.core.errors import ValidationError
from app.core.records import Product

MAX_QUANTITY = 999
MAX_FIELDS = 300
QTY_PREFIX = "qty_"


class CartError(ValidationError):
    """The cart cannot become an invoice; the message is already in the shopper's language."""

    code = "invalid_cart"


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


def parse_quantities(form: Mapping[str, object], _: Callable[[str], str]) -> dict[str, int]:  # a MultiDict: keys repeat
    """{product_id: quantity > 0} from the form; CartError for anything that is not 0-999."""
    keys = [key for key in form.keys() if key.startswith(QTY_PREFIX)]
    if len(keys) > MAX_FIELDS or len(set(keys)) != len(keys):
        raise CartError(_("That order form was not valid. Please reload the store and try again."))
    quantities: dict[str, int] = {}
    for key in keys:
        text = str(form.get(key, "")).strip()
        if text.isascii() and text.isdigit():
            text = text.lstrip("0") or "0"  # before int(): a 5,000-digit string is a ValueError, not a quantity
        if text in ("", "0"):
            continue
        if not (text.isascii() and text.isdigit() and len(text) <= 3) or not 0 <= int(text) <= MAX_QUANTITY:
            raise CartError(_("Quantities must be whole numbers from 0 to %(max)d.") % {"max": MAX_QUANTITY},
                            field=key)
        quantities[key[len(QTY_PREFIX):]] = int(text)
    return quantities


def build_cart(quantities: Mapping[str, int], products: Sequence[Product], _: Callable[[str], str]) -> list[CartLine]:
    by_id = {product.id: product for product in products if not product.archived}
    lines = []
    for product_id, quantity in quantities.items():
        product = by_id.get(product_id)
        if product is None:
            raise CartError(_("One of the items in your cart is not sold here any more. Please review your order."))
        if product.stock is not None and quantity > product.stock:
            raise CartError(_("Only %(count)d of “%(name)s” left. Please lower the quantity.")
                            % {"count": product.stock, "name": product.name}, field=f"{QTY_PREFIX}{product_id}")
        lines.append(CartLine(product, quantity))
    if not lines:
        raise CartError(_("Your cart is empty. Choose at least one item."))
    return lines


def cart_items(lines: Sequence[CartLine], currency: str) -> list[dict[str, object]]:
    """The invoice's item snapshot (names and prices as sold, even if the catalog changes later)."""
    return [{"product_id": line.product.id, "name": line.product.name, "quantity": line.quantity,
             "unit_price": str(line.product.price), "currency": currency} for line in lines]


def cart_description(lines: Sequence[CartLine]) -> str:
    text = ", ".join(f"{line.quantity} × {line.product.name}" for line in lines)
    return text if len(text) <= 500 else text[:497] + "..."
