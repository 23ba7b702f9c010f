"""AdjustScreen: choose a tip or a discount: preset percentages, a custom percentage or a custom amount.

The same screen serves both; ``open_for("tip" | "discount", cart)`` sets the presets. "No tip" /
"No discount" removes it. Custom values are typed on the keypad (as a percentage or an amount).
The choices are one exclusive group: exactly one is highlighted, the one the cart has now (a custom
value in use gets its own chip, "Now 12%"). The percent/amount switch above the keypad is styled as
a segmented control, not as a choice, so it never looks like a second highlighted preset.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui import formatting
from app.ui.kiosk.cart_model import Adjustment, Cart
from app.ui.kiosk.keypad import AmountKeypad
from app.ui.kiosk.widgets import button, label

PRESETS = {"tip": (Decimal(10), Decimal(15), Decimal(20)), "discount": (Decimal(5), Decimal(10), Decimal(20))}
MAX_PERCENT = Decimal(100)


class AdjustScreen(QWidget):
    applied = Signal(str, object)  # kind, Adjustment | None
    cancelled = Signal()

    def __init__(self, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adjustScreen")
        self.kind = "tip"
        self.currency = currency
        self.title = label(name="adjustTitle", role="title")
        self.preview = label(name="adjustPreview", role="muted", wrap=True)
        self.error = label(name="adjustError", role="error")
        self.presets = QGridLayout()
        self.preset_buttons: list[QPushButton] = []
        self.preset_group = QButtonGroup(self)  # exclusive (the default): one highlighted choice
        self.mode_group = QButtonGroup(self)
        self.percent_mode = button("Custom %", name="modePercent", role="seg", checkable=True,
                                   on_click=self._on_mode_changed)
        self.amount_mode = button(f"Custom {currency}", name="modeAmount", role="seg", checkable=True,
                                  on_click=self._on_mode_changed)
        self.mode_group.addButton(self.percent_mode)
        self.mode_group.addButton(self.amount_mode)
        self.percent_mode.setChecked(True)
        self.keypad = AmountKeypad("SAT", action_text="Apply")
        self.keypad.amountEntered.connect(self._on_keypad_amount_entered)
        cancel = button("Back", name="adjustCancel", on_click=self.cancelled.emit)
        left = QVBoxLayout()
        left.addWidget(self.title)
        left.addWidget(self.preview)
        left.addLayout(self.presets, 3)
        left.addWidget(self.error)
        left.addWidget(cancel, 1)
        modes = QHBoxLayout()
        modes.setSpacing(0)
        modes.addWidget(self.percent_mode)
        modes.addWidget(self.amount_mode)
        for b in (self.percent_mode, self.amount_mode):
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        right = QVBoxLayout()
        right.addLayout(modes)
        right.addWidget(self.keypad, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)
        self._cart: Cart | None = None

    def open_for(self, kind: str, cart: Cart) -> None:
        self.kind, self._cart = kind, cart
        noun = "Tip" if kind == "tip" else "Discount"
        self.title.setText(f"Add a {noun.lower()}")
        base = cart.subtotal - (cart.discount_amount if kind == "tip" else 0)
        self.preview.setText(f"On {formatting.fiat(base, cart.currency)}")
        for b in self.preset_buttons:
            self.preset_group.removeButton(b)
            self.presets.removeWidget(b)
            b.deleteLater()
        choices: list[tuple[str, Adjustment | None]] = [(f"No {noun.lower()}", None)]
        choices += [(f"{p}%", Adjustment(percent=p)) for p in PRESETS[kind]]
        current = cart.tip if kind == "tip" else cart.discount
        if current is not None and all(adj != current for _t, adj in choices):
            choices.append((f"Now {current.label(cart.currency)}", current))  # a custom value in use
        self.preset_buttons = []
        for i, (text, adj) in enumerate(choices):
            b = button(text, name=f"preset_{i}", role="chip", checkable=True,
                       on_click=partial(self._on_preset_clicked, adj))
            self.preset_group.addButton(b)
            b.setChecked(adj == current)
            self.presets.addWidget(b, i // 2, i % 2)
            self.preset_buttons.append(b)
        self.percent_mode.setChecked(True)
        self._on_mode_changed()
        self.error.setText("")

    def _on_preset_clicked(self, adjustment: Adjustment | None) -> None:
        self.applied.emit(self.kind, adjustment)

    def _on_mode_changed(self) -> None:
        percent = self.percent_mode.isChecked()
        self.keypad.currency = "SAT" if percent else self.currency
        self.keypad.display_format = (lambda v: f"{v}%") if percent else None
        self.keypad.clear()

    def _on_keypad_amount_entered(self, value: Decimal) -> None:
        if self.percent_mode.isChecked():
            if value > MAX_PERCENT:
                self.error.setText("At most 100%.")
                return
            self.applied.emit(self.kind, Adjustment(percent=value))
        else:
            self.applied.emit(self.kind, Adjustment(amount=value))
