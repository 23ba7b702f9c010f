"""The store combo box used by several settings pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtWidgets import QComboBox


def refill_stores(combo: QComboBox, stores: Iterable[Any]) -> None:
    """Replace the items with `stores` (name, id), keeping the selection, without emitting changes."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for store in stores:
        combo.addItem(store.name, store.id)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)
