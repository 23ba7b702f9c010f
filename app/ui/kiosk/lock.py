"""AdminGuard: while the kiosk runs, the admin window stays out of reach.

- The main window is hidden, and every action it carries (menus and application-wide shortcuts such
  as Ctrl+N, Ctrl+Q, Ctrl+1..7) is disabled; the previous enabled states come back on release.
- If something shows the main window anyway (the tray's "Show RedWaves"), it is hidden again at once
  and the kiosk asks for the merchant PIN (``on_admin_requested``).
- ``restore()`` (after the PIN) shows it again as it was (maximized stays maximized), and always
  within the available geometry of its screen: a window from a bigger screen, or one that was
  moved while the fullscreen kiosk ran, never comes back off-screen on an 800x480 shop display.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app.ui.screen_fit import fit_on_screen

logger = logging.getLogger(__name__)


class AdminGuard(QObject):
    def __init__(self, admin: QWidget | None, on_admin_requested: Callable[[], None]) -> None:
        super().__init__()
        self._admin = admin
        self._on_admin_requested = on_admin_requested
        self._actions: list[tuple[QAction, bool]] = []
        self._was_maximized = False
        self.engaged = False

    def engage(self) -> None:
        if self.engaged or self._admin is None:
            return
        self.engaged = True
        self._was_maximized = self._admin.isMaximized()
        self._admin.hide()
        self._actions = [(a, a.isEnabled()) for a in self._admin.findChildren(QAction)]
        for action, _enabled in self._actions:
            action.setEnabled(False)
        self._admin.installEventFilter(self)
        logger.info("kiosk: admin window locked")

    def release(self) -> None:
        if not self.engaged or self._admin is None:
            return
        self.engaged = False
        self._admin.removeEventFilter(self)
        for action, enabled in self._actions:
            action.setEnabled(enabled)
        self._actions = []
        logger.info("kiosk: admin window unlocked")

    def restore(self) -> None:
        """Show the admin window again (after ``release``), as it was and within its screen."""
        admin = self._admin
        if admin is None or self.engaged:
            return
        if self._was_maximized:
            admin.showMaximized()
        else:
            admin.showNormal()
            fit_on_screen(admin)
            QTimer.singleShot(0, admin, lambda: fit_on_screen(admin))  # a window manager adds the frame late
        admin.raise_()
        admin.activateWindow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if self.engaged and watched is self._admin and event.type() == QEvent.Type.Show:
            QTimer.singleShot(0, self._hide_again)
        return False

    def _hide_again(self) -> None:
        if self.engaged and self._admin is not None:
            self._admin.hide()
            self._on_admin_requested()
