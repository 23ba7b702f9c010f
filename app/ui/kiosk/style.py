"""The kiosk's look: big touch targets that scale with the screen (800x480 up to 1920x1080 and beyond).

``scale_for(w, h)`` is 1.0 at 800x480 and grows with the smaller ratio, capped, so a full-HD screen
gets larger keys and text without turning into a poster. Every button is at least ``MIN_TOUCH_PX``
tall at scale 1.0. Nothing depends on hover: pressed and checked states carry the feedback.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.ui.theme import ACCENT

BASE_W, BASE_H = 800, 480
MIN_TOUCH_PX = 48
MAX_SCALE = 1.8
OK_GREEN = "#2E7D32"


def scale_for(width: int, height: int) -> float:
    ratio = min(width / BASE_W, height / BASE_H)
    return max(1.0, min(MAX_SCALE, ratio))


def px(value: float, scale: float) -> int:
    return round(value * scale)


def stylesheet(scale: float) -> str:
    def s(v: float) -> int:
        return px(v, scale)

    return f"""
QWidget {{ font-size: {s(15)}px; }}
QLabel[role="line"] {{ font-size: {s(16)}px; font-weight: 600; }}
QScrollArea#cartLines, QWidget#cartLinesBox {{ background: palette(base); }}
QPushButton, QToolButton {{
    min-height: {s(MIN_TOUCH_PX)}px; min-width: {s(MIN_TOUCH_PX)}px; font-size: {s(17)}px;
    border: 1px solid palette(mid); border-radius: {s(8)}px; background: palette(button); padding: 0 {s(10)}px;
}}
QPushButton:pressed, QToolButton:pressed {{ background: palette(midlight); }}
QPushButton:disabled {{ color: palette(placeholder-text); }}
QPushButton[role="key"] {{ font-size: {s(26)}px; font-weight: 600; }}
QPushButton[role="kbd"] {{ font-size: {s(20)}px; min-width: {s(40)}px; padding: 0; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: white; border: none; font-weight: 700;
    font-size: {s(22)}px; min-height: {s(56)}px; }}
QPushButton[role="primary"]:pressed {{ background: #9E1F2A; }}
QPushButton[role="primary"]:disabled {{ background: #D9A0A5; color: #F5E5E6; }}
QPushButton[role="ok"] {{ background: {OK_GREEN}; color: white; border: none; font-weight: 700; }}
QPushButton[role="danger"] {{ color: #B71C1C; border-color: #E57373; }}
QPushButton[role="chip"]:checked, QPushButton[role="tab"]:checked {{ background: {ACCENT}; color: white;
    border: none; }}
QPushButton[role="tab"] {{ font-weight: 600; }}
QToolButton[role="tile"] {{ padding: 0; background: palette(base); }}
QToolButton[role="tile"]:pressed {{ background: palette(midlight); }}
QLabel[role="tileName"] {{ font-size: {s(15)}px; font-weight: 600; }}
QLabel[role="tilePrice"] {{ font-size: {s(15)}px; color: {ACCENT}; font-weight: 700; }}
QPushButton[role="seg"]:checked {{ border: {s(2)}px solid {ACCENT}; color: {ACCENT}; font-weight: 700;
    background: palette(base); }}
QLabel[role="display"] {{ font-size: {s(40)}px; font-weight: 700; padding: {s(4)}px {s(10)}px;
    border: 1px solid palette(mid); border-radius: {s(8)}px; background: palette(base); }}
QLabel#pinDots {{ min-height: {s(56)}px; letter-spacing: {s(6)}px; }}
QLabel[role="title"] {{ font-size: {s(22)}px; font-weight: 700; }}
QLabel[role="big"] {{ font-size: {s(30)}px; font-weight: 700; }}
QLabel[role="bigError"] {{ font-size: {s(30)}px; font-weight: 700; color: #C62828; }}
QLabel[role="huge"] {{ font-size: {s(44)}px; font-weight: 800; color: {OK_GREEN}; }}
QLabel[role="total"] {{ font-size: {s(26)}px; font-weight: 800; }}
QLabel[role="muted"] {{ color: palette(placeholder-text); }}
QLabel[role="error"] {{ color: #C62828; font-weight: 600; }}
QLabel[role="warn"] {{ background: #FFF3C4; color: #5D4300; border-radius: {s(6)}px; padding: {s(6)}px; }}
QLabel[role="ok"] {{ color: {OK_GREEN}; font-weight: 700; }}
QLabel[role="net-ok"] {{ color: {OK_GREEN}; }}
QLabel[role="net-wait"] {{ color: #8A6D00; font-weight: 600; }}
QFrame[role="panel"] {{ border: 1px solid palette(mid); border-radius: {s(8)}px; background: palette(base); }}
QFrame#topBar {{ border-bottom: 1px solid palette(mid); }}
QLineEdit {{ font-size: {s(22)}px; min-height: {s(48)}px; padding: 0 {s(8)}px; }}
QScrollBar:vertical {{ width: {s(16)}px; background: palette(midlight); border-radius: {s(8)}px; margin: 0; }}
QScrollBar::handle:vertical {{ background: #8C8C8C; border-radius: {s(8)}px; min-height: {s(40)}px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
"""


def set_role(widget: QWidget, role: str) -> None:
    """Set the QSS role and re-polish (a dynamic property change needs it)."""
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
