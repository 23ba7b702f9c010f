"""The sale as the form carries it (pure): reading, keypad, lines, discount and tip maths."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from app.checkout_server.terminal import cart
from app.core.records import Product


def _product(pid: str, price: str, **kw) -> Product:
    return Product(id=pid, store_id="s", name=pid.title(), description="", price=Decimal(price), category="",
                   image=None, stock=None, archived=kw.get("archived", False), created_at=datetime.now(UTC))


PRODUCTS = [_product("tea", "2.35"), _product("cake", "4.10"), _product("old", "9.00", archived=True)]


def test_read_sale_drops_what_is_malformed():
    sale = cart.read_sale({"cart": "p:tea:2;a:1250:1;p:bad id:1;a:0:1;p:cake:0;a:99:1000;x:1:1", "entry": "0042x",
                           "discount": "150", "tip": "33"})
    assert sale.lines == (cart.Line("p", "tea", 2), cart.Line("a", "1250", 1))
    assert sale.entry == "" and sale.discount_pct == 0 and sale.tip == ""
    again = cart.read_sale({"cart": sale.encode(), "entry": "0042", "discount": "10", "tip": "15"})
    assert again.lines == sale.lines and again.entry == "42" and again.discount_pct == 10 and again.tip == "15"


def test_keypad_and_lines():
    sale = cart.Sale()
    for key in ("0", "1", "2", "00", "back", "5"):
        sale = cart.press(sale, key)
    assert sale.entry == "1205"
    sale = cart.add_entry(sale)
    assert sale.entry == "" and sale.lines == (cart.Line("a", "1205", 1),)
    sale = cart.add_product(cart.add_product(sale, "tea"), "tea")
    assert sale.lines[1] == cart.Line("p", "tea", 2)
    sale = cart.change_qty(sale, 0, -1)
    assert sale.lines == (cart.Line("p", "tea", 2),)
    assert cart.press(cart.Sale(entry="123456789"), "1").entry == "123456789"  # at most 9 digits
    assert cart.press(sale, "clear").entry == ""


def test_totals_round_half_up_in_minor_units():
    sale = cart.Sale(lines=(cart.Line("p", "tea", 3), cart.Line("p", "old", 1), cart.Line("a", "105", 1)),
                     discount_pct=10, tip="15")
    totals = cart.price(sale, PRODUCTS, "USD")
    assert [line.name for line in totals.lines] == ["Tea", "Amount"]  # the archived product is left out
    assert totals.subtotal == 810 and totals.discount == 81 and totals.tip == 109  # 15% of 7.29 = 1.0935
    assert totals.money(totals.total) == Decimal("8.38")
    meta = cart.pos_metadata(totals, "trm_1")["pos"]
    assert meta == {"source": "terminal", "terminal_id": "trm_1", "subtotal": "8.10", "discount": "0.81",
                    "tip": "1.09"}
    assert cart.invoice_items(totals)[0] == {"product_id": "tea", "name": "Tea", "qty": 3, "quantity": 3,
                                             "price": "2.35", "unit_price": "2.35", "currency": "USD"}


def test_custom_tip_entry_counts_and_currencies_without_cents():
    sale = cart.Sale(entry="500", tip="custom", tip_amount="1,25")
    assert cart.price(sale, PRODUCTS, "EUR").subtotal == 0  # the entry is not a line yet
    totals = cart.price(sale, PRODUCTS, "EUR", entry_counts=True)
    assert totals.subtotal == 500 and totals.tip == 125 and totals.tip_error is None
    wrong = cart.price(cart.Sale(tip="custom", tip_amount="1.255"), PRODUCTS, "EUR")
    assert wrong.tip == 0 and wrong.tip_error == "Enter the tip as an amount, like 1.50."
    yen = cart.price(cart.Sale(entry="1500", tip="10"), [], "JPY", entry_counts=True)
    assert yen.places == 0 and yen.subtotal == 1500 and yen.tip == 150 and yen.money(yen.total) == Decimal("1650")
