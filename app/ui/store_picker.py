"""The store combo box used by several settings pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox

if TYPE_CHECKING:
    from app.core.records import Store


def refill_stores(combo: QComboBox, stores: Iterable[Store]) -> None:
    """Replace the items with `stores` (name, id), keeping the selection, without emitting changes."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for store in stores:
        combo.addItem(store.name, store.id)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)
