"""Errors beside the field they are about, in the error colour.

A form builds one ``FieldErrors`` and asks it for the row widget of each input: the input with a
hidden error label under it. ``show(error)`` puts a ``UserFacingError`` beside its ``field`` (or in
the form's general label when no field matches) and focuses that input; ``clear()`` hides them all.
Tests find the labels by object name ``<field>Error``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.core.errors import UserFacingError
from app.ui.widget_names import named


def _error_label(name: str) -> QLabel:
    label = named(QLabel(), name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.hide()
    return label


class FieldErrors:
    def __init__(self) -> None:
        self._labels: dict[str, QLabel] = {}
        self._inputs: dict[str, QWidget] = {}
        self.general = _error_label("formError")

    def row(self, field: str, widget: QWidget) -> QWidget:
        """``widget`` with its (hidden) error label under it, for a form row."""
        label = _error_label(f"{field}Error")
        self._labels[field] = label
        self._inputs[field] = widget
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(label)
        return box

    def set(self, field: str | None, message: str) -> None:
        label = self._labels.get(field or "", self.general)
        label.setText(message)
        label.show()
        widget = self._inputs.get(field or "")
        if widget is not None:
            widget.setFocus()

    def show(self, error: UserFacingError) -> None:
        self.set(error.field, error.message)

    def clear(self) -> None:
        for label in (*self._labels.values(), self.general):
            label.clear()
            label.hide()

    def hide(self, field: str | None) -> None:
        """Hide the one label beside ``field`` (the others stay), e.g. when that input changes."""
        label = self._labels.get(field or "", self.general)
        label.clear()
        label.hide()

    def message(self, field: str | None) -> str:
        """What the label beside ``field`` (or the general label) says; empty when hidden."""
        label = self._labels.get(field or "", self.general)
        return label.text() if not label.isHidden() else ""

    def handles(self, error: UserFacingError) -> bool:
        return (error.field or "") in self._labels
