"""Geometry checks for the kiosk screens: touch targets, nothing clipped, screenshots.

Screenshots go to tests/artifacts/ui/kiosk-<screen>-<w>x<h>.png (gitignored)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QWidget

UI_ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"
SCREEN_SIZES = ((800, 480), (1024, 600), (1280, 800), (1920, 1080))
MIN_TOUCH = 48


def ui_shot(widget: QWidget, name: str) -> Path:
    UI_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = UI_ARTIFACTS / f"{name}-{widget.width()}x{widget.height()}.png"
    assert widget.grab().save(str(path)), path
    return path


def _shown(widget: QWidget, window: QWidget) -> bool:
    return widget.window() is window and widget.isVisible()


def small_buttons(window: QWidget) -> list[str]:
    """Visible buttons below the touch-target minimum (either side)."""
    return [f"{b.objectName() or b.text()} {b.width()}x{b.height()}"
            for b in window.findChildren(QAbstractButton)
            if _shown(b, window) and (b.height() < MIN_TOUCH or b.width() < MIN_TOUCH)]


def _scrolls(widget: QWidget, window: QWidget) -> bool:
    """Inside a scroll area's viewport: content that scrolls may be out of view by design."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea) and widget is not parent:
            return parent.viewport().isAncestorOf(widget)
        parent = parent.parentWidget()
    return False


def clipped(window: QWidget) -> list[str]:
    """Visible widgets not wholly inside the window and their parent (scrolling content excepted)."""
    bad = []
    whole = window.rect()
    for w in window.findChildren(QWidget):
        if not _shown(w, window) or _scrolls(w, window):
            continue
        rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        parent = w.parentWidget()
        in_parent = parent is None or QRect(QPoint(0, 0), parent.size()).contains(w.geometry())
        if not whole.contains(rect) or not in_parent:
            bad.append(f"{type(w).__name__}#{w.objectName()} {rect.getRect()}")
    return bad


def fits(window: QWidget, size: tuple[int, int]) -> list[str]:
    """Everything a screen needs: the requested size kept (no layout minimum bigger than the screen),
    nothing clipped, every visible button a touch target."""
    problems = []
    if (window.width(), window.height()) != size:
        problems.append(f"window grew to {window.width()}x{window.height()} (min {window.minimumSizeHint()})")
    return problems + clipped(window) + small_buttons(window)


__all__ = ["MIN_TOUCH", "SCREEN_SIZES", "UI_ARTIFACTS", "clipped", "fits", "small_buttons", "ui_shot"]
