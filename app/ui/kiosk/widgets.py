"""Small building blocks shared by the kiosk screens."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget


def button(text: str, *, name: str = "", role: str = "", on_click: Callable[[], object] | None = None,
           checkable: bool = False, parent: QWidget | None = None) -> QPushButton:
    """A touch button: expands to fill its cell, never takes keyboard focus away from a text field."""
    b = QPushButton(text, parent)
    if name:
        b.setObjectName(name)
    if role:
        b.setProperty("role", role)
    b.setCheckable(checkable)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    if on_click is not None:
        b.clicked.connect(lambda _checked=False: on_click())
    return b


def label(text: str = "", *, name: str = "", role: str = "", center: bool = False, wrap: bool = False) -> QLabel:
    lab = QLabel(text)
    if name:
        lab.setObjectName(name)
    if role:
        lab.setProperty("role", role)
    if center:
        lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lab.setWordWrap(wrap)
    return lab
