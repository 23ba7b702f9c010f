"""AmountKeypad: a cash-register keypad in the store currency.

Digits fill from the right in minor units (typing 1 2 5 0 in USD gives 12.50; in JPY, 1250), so no
decimal point is ever needed. "Add" puts the amount in the cart as a custom line.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from app.core.money import fiat_minor_units
from app.ui import formatting
from app.ui.kiosk.widgets import button, label

MAX_DIGITS = 9


class AmountKeypad(QWidget):
    amountEntered = Signal(object)  # Decimal  # noqa: N815
    changed = Signal(object)  # Decimal

    def __init__(self, currency: str, *, action_text: str = "Add to cart", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("amountKeypad")
        self.currency = currency
        self._digits = ""
        self.display_format: Callable[[Decimal], str] | None = None  # e.g. percentages
        self.display = label(name="amountDisplay", role="display")
        self.display.setMinimumHeight(52)
        grid = QGridLayout()
        grid.setSpacing(6)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫"]
        if fiat_minor_units(currency) >= 2:
            keys[9] = "00"
        self.keys = {}
        for i, key in enumerate(keys):
            b = button(key, name=f"key_{'back' if key == '⌫' else key}", role="key",
                       on_click=partial(self.press, key))
            self.keys[key] = b
            grid.addWidget(b, i // 3, i % 3)
        self.clear_key = button("Clear", name="key_clear", on_click=self.clear)
        self.add_key = button(action_text, name="addAmount", role="primary", on_click=self.submit)
        grid.addWidget(self.clear_key, 4, 0)
        grid.addWidget(self.add_key, 4, 1, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.display)
        layout.addLayout(grid, 1)
        self._refresh()

    @property
    def amount(self) -> Decimal:
        return Decimal(int(self._digits or "0")).scaleb(-fiat_minor_units(self.currency))

    def press(self, key: str) -> None:
        if key == "⌫":
            self._digits = self._digits[:-1]
        elif key == "C":
            self._digits = ""
        elif key.isdigit() and len(self._digits) + len(key) <= MAX_DIGITS:
            self._digits = (self._digits + key).lstrip("0")
        self._refresh()

    def type_text(self, text: str) -> None:
        """Press a sequence of keys ("1250" -> 12.50); tests and hardware keypads."""
        for ch in text:
            self.press(ch)

    def clear(self) -> None:
        self._digits = ""
        self._refresh()

    def submit(self) -> None:
        amount = self.amount
        if amount > 0:
            self.amountEntered.emit(amount)
            self.clear()

    def _refresh(self) -> None:
        places = fiat_minor_units(self.currency)
        shown = self.amount.quantize(Decimal(1).scaleb(-places)) if places else self.amount
        fmt = self.display_format or (lambda v: formatting.fiat(v, self.currency))
        self.display.setText(fmt(shown))
        self.add_key.setEnabled(self.amount > 0)
        self.changed.emit(self.amount)
