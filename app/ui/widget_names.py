"""``named(widget, "objectName")``: set a Qt object name inline, with the widget's own type kept.

PySide6's stubs accept a class's own Qt properties as constructor keywords (``QLabel(wordWrap=True)``)
but not inherited ones such as ``objectName``; this keeps construction one expression and typed.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

Q = TypeVar("Q", bound=QObject)


def named(obj: Q, name: str) -> Q:
    obj.setObjectName(name)
    return obj


def muted(text: str = "", name: str = "") -> QLabel:
    """A wrapping, selectable explanation in the theme's muted colour (``role`` = "muted")."""
    label = QLabel(text, wordWrap=True)
    label.setProperty("role", "muted")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label
