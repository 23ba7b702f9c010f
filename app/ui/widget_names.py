"""``named(widget, "objectName")``: set a Qt object name inline, with the widget's own type kept.

PySide6's stubs accept a class's own Qt properties as constructor keywords (``QLabel(wordWrap=True)``)
but not inherited ones such as ``objectName``; this keeps construction one expression and typed.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

Q = TypeVar("Q", bound=QObject)


def named(obj: Q, name: str) -> Q:
    obj.setObjectName(name)
    return obj
