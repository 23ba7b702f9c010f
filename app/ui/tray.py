"""Tray icon: notifications for payments, a menu with Show / Point of sale / Quit.

Every notification is also appended to ``notifications`` (title, message), so tests can assert one
was emitted even where no system tray exists (offscreen, Xvfb without a tray).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

logger = logging.getLogger(__name__)

BURST_SUMMARY_AFTER = 3  # more payments than this in one flush -> one summary notification


@dataclass(frozen=True)
class Notification:
    title: str
    message: str
    at: datetime


class TrayNotifier(QObject):
    showRequested = Signal()  # noqa: N815
    quitRequested = Signal()  # noqa: N815
    posRequested = Signal()  # noqa: N815

    def __init__(self, icon: QIcon, parent: QObject | None = None, *, enabled: bool = True) -> None:
        super().__init__(parent)
        self.notifications: list[Notification] = []
        self.enabled = enabled
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self._icon = QSystemTrayIcon(icon, self)
        self._icon.setToolTip("RedWaves")
        menu = QMenu()
        self._menu = menu
        for text, signal in (("Show RedWaves", self.showRequested), ("Point of sale", self.posRequested)):
            action = QAction(text, menu)
            action.triggered.connect(signal.emit)
            menu.addAction(action)
        menu.addSeparator()
        quit_action = QAction("Quit RedWaves (stop serving)", menu)
        quit_action.triggered.connect(self.quitRequested.emit)
        menu.addAction(quit_action)
        self.locked = False
        self._icon.setContextMenu(menu)
        self._icon.activated.connect(self._on_icon_activated)

    def set_locked(self, locked: bool) -> None:
        """While the POS kiosk runs, the tray menu offers nothing that bypasses its PIN."""
        self.locked = locked
        for action in self._menu.actions():
            action.setEnabled(not locked)

    @property
    def visible(self) -> bool:
        return self._icon.isVisible()

    def show(self) -> None:
        if self.available:
            self._icon.show()

    def hide(self) -> None:
        self._icon.hide()

    def notify(self, title: str, message: str) -> None:
        self.notifications.append(Notification(title, message, datetime.now(UTC)))
        logger.info("notification: %s: %s", title, message)
        if self.enabled and self.available and self._icon.isVisible():
            self._icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.showRequested.emit()
