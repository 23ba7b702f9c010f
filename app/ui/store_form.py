"""Store settings widgets shared by the first-run wizard and the Stores view."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QSpinBox, QWidget

from app.core.currencies import CURRENCIES
from app.ui.widget_names import named

SPEED_POLICIES = (
    (0, "Instant (0 confirmations) — small amounts, in person"),
    (1, "1 confirmation (~10 min) — recommended"),
    (2, "2 confirmations"),
    (3, "3 confirmations"),
    (6, "6 confirmations (~1 h) — large amounts"),
)


def currency_combo(current: str = "USD", parent: QWidget | None = None) -> QComboBox:
    combo = named(QComboBox(parent), "currency")
    for code in CURRENCIES:
        combo.addItem(code)
    combo.setCurrentText(current)
    return combo


def speed_combo(current: int = 1, parent: QWidget | None = None) -> QComboBox:
    combo = named(QComboBox(parent), "speedPolicy")
    for value, text in SPEED_POLICIES:
        combo.addItem(text, value)
    index = combo.findData(current)
    if index < 0:
        combo.addItem(f"{current} confirmations", current)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
    return combo


def minutes_spin(seconds: int, *, minimum: int, maximum: int, name: str, suffix: str = " min") -> QSpinBox:
    spin = named(QSpinBox(), name)
    spin.setRange(minimum, maximum)
    spin.setSuffix(suffix)
    spin.setValue(max(minimum, min(maximum, seconds // 60)))
    return spin


def decimal_text(value: Decimal) -> str:
    return f"{value.normalize():f}"
