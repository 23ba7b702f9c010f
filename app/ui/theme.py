"""Light/dark following the system palette, and the colours that carry meaning (statuses)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.core.statuses import InvoiceStatus

ACCENT = "#C62F3A"  # RedWaves red

_STATUS_LIGHT = {
    InvoiceStatus.PENDING: "#8A6D00",
    InvoiceStatus.PAID: "#1565C0",
    InvoiceStatus.CONFIRMED: "#00838F",
    InvoiceStatus.COMPLETE: "#2E7D32",
    InvoiceStatus.EXPIRED: "#757575",
    InvoiceStatus.INVALID: "#C62828",
    InvoiceStatus.REFUNDED: "#6A1B9A",
}
_STATUS_DARK = {
    InvoiceStatus.PENDING: "#FFD54F",
    InvoiceStatus.PAID: "#64B5F6",
    InvoiceStatus.CONFIRMED: "#4DD0E1",
    InvoiceStatus.COMPLETE: "#81C784",
    InvoiceStatus.EXPIRED: "#BDBDBD",
    InvoiceStatus.INVALID: "#EF9A9A",
    InvoiceStatus.REFUNDED: "#CE93D8",
}
STATUS_LABELS = {
    InvoiceStatus.PENDING: "Waiting for payment",
    InvoiceStatus.PAID: "Paid (unconfirmed)",
    InvoiceStatus.CONFIRMED: "Confirming",
    InvoiceStatus.COMPLETE: "Complete",
    InvoiceStatus.EXPIRED: "Expired",
    InvoiceStatus.INVALID: "Invalid",
    InvoiceStatus.REFUNDED: "Refunded",
}


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def status_color(status: InvoiceStatus | str, palette: QPalette | None = None) -> QColor:
    table = _STATUS_DARK if is_dark(palette) else _STATUS_LIGHT
    try:
        return QColor(table[InvoiceStatus(str(status))])
    except (ValueError, KeyError):
        return QColor("#757575")


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1E1F22"), QColor("#2B2D31"), QColor("#E8E8E8")
    for role, color in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor("#26282C")),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.Highlight, QColor(ACCENT)),
        (QPalette.ColorRole.HighlightedText, QColor("#FFFFFF")), (QPalette.ColorRole.Link, QColor("#8AB4F8")),
        (QPalette.ColorRole.PlaceholderText, QColor("#8C8C8C")),
    ):
        p.setColor(role, color)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#777777"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#777777"))
    return p


def _light_palette(style_palette: QPalette) -> QPalette:
    p = QPalette(style_palette)
    p.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    return p


def system_prefers_dark(app: QApplication) -> bool:
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return is_dark(app.style().standardPalette())


def apply_theme(app: QApplication, *, dark: bool | None = None) -> bool:
    """Fusion style with a light or dark palette; follows the system unless ``dark`` is given."""
    if app.style().name().lower() != "fusion":  # replacing a live style under existing widgets can crash
        app.setStyle("Fusion")
    dark = system_prefers_dark(app) if dark is None else dark
    app.setPalette(_dark_palette() if dark else _light_palette(app.style().standardPalette()))
    app.setStyleSheet(_STYLESHEET)
    return dark


def follow_system(app: QApplication) -> None:
    """Re-apply the theme when the desktop switches between light and dark."""
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))


_STYLESHEET = """
QLabel[role="h1"] { font-size: 20px; font-weight: 600; }
QLabel[role="h2"] { font-size: 15px; font-weight: 600; }
QLabel[role="muted"] { color: palette(placeholder-text); }
QLabel[role="error"] { color: #D32F2F; }
QLabel[role="ok"] { color: #2E7D32; }
QLabel[role="warning"] { color: #B26A00; }
QLabel[role="big"] { font-size: 22px; font-weight: 600; }
QFrame[role="card"] { border: 1px solid palette(mid); border-radius: 6px; background: palette(base); }
QListWidget#navigation { border: none; background: palette(window); font-size: 14px; }
QListWidget#navigation::item { padding: 9px 12px; border-radius: 4px; }
QListWidget#recentPayments::item { padding: 6px 4px; border-bottom: 1px solid palette(midlight); }
QListWidget#navigation::item:selected { background: palette(highlight); color: palette(highlighted-text); }
"""
