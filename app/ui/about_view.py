"""About: version, network, data directory, licence."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.ui.context import WindowContext
from app.ui.icons import app_icon


class AboutView(QWidget):
    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        s = ctx.settings
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(96, 96))
        title = QLabel(f"RedWaves {ctx.services.version}")
        title.setProperty("role", "h1")
        text = QLabel(
            "Accept bitcoin in your shop without trusting anyone.<br><br>"
            "Watch-only wallets: your keys never leave your own wallet. Payments are checked by Electrum "
            "(SPV) against the chain.<br><br>"
            f"Network: <b>{s.network}</b><br>Data directory: <code>{s.network_dir}</code><br>"
            f"Logs: <code>{s.log_dir}</code><br><br>MIT licence.", wordWrap=True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addStretch(1)
