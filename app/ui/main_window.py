"""MainWindow: navigation, a loading state while the runtime starts, shortcuts, geometry, tray close.

Views are built only once services exist (``attach``); until then the window shows what is starting.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.screen_fit import fit_on_screen
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

NAV = ("Dashboard", "Invoices", "Payouts", "Stores", "Wallets", "Products", "Settings", "About")


class LoadingPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("RedWaves", alignment=Qt.AlignmentFlag.AlignCenter)
        self.title.setProperty("role", "h1")
        self.message = named(QLabel("Starting…", alignment=Qt.AlignmentFlag.AlignCenter,
                              wordWrap=True), "loadingMessage")
        self.progress = named(QProgressBar(textVisible=False), "loadingProgress")
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(320)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    quitRequested = Signal()  # noqa: N815
    newInvoiceRequested = Signal()  # noqa: N815
    refreshRequested = Signal()  # noqa: N815
    searchRequested = Signal()  # noqa: N815
    posRequested = Signal()  # noqa: N815
    backupRequested = Signal()  # noqa: N815
    restoreRequested = Signal()  # noqa: N815
    lockRequested = Signal()  # noqa: N815  File → Lock (Ctrl+L), when a window password exists
    viewShown = Signal(str)  # noqa: N815

    def __init__(self, qsettings: QSettings, *, minimize_to_tray: bool = True, icon: QIcon | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("RedWaves")
        if icon is not None:
            self.setWindowIcon(icon)
        self._qsettings = qsettings
        self.minimize_to_tray = minimize_to_tray
        self.tray_available = False
        self.quitting = False
        self.views: dict[str, QWidget] = {}
        self.allowed: list[str] | None = None  # None: every view (no window password); else the person's
        self.lock_screen: QWidget | None = None  # app/ui/lock_screen.py, once the window can lock
        self.locked = False
        self.pages: dict[str, QScrollArea] = {}  # each view in its scroll area, as the stack shows it
        self.loading = LoadingPage()
        self.nav = named(QListWidget(), "navigation")
        self.nav.setFixedWidth(170)
        self.stack = named(QStackedWidget(), "views")
        self.nav.currentRowChanged.connect(self._on_nav_current_row_changed)
        self.nav.hide()
        self.stack.addWidget(self.loading)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.chain_label = named(QLabel("Chain: starting…"), "chainStatus")
        self.statusBar().addPermanentWidget(self.chain_label)
        self.health_label = named(QLabel(""), "healthStatus")  # "degraded: chain offline since 12:03"
        self.health_label.setProperty("role", "warning")
        self.health_label.hide()
        self.statusBar().addPermanentWidget(self.health_label)
        self.person_label = named(QLabel(""), "unlockedBy")  # "Ben (cashier) · Ctrl+L locks", after the lock screen
        self.person_label.hide()
        self.statusBar().addPermanentWidget(self.person_label)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self.resize(1180, 760)
        self.restore_geometry()
        self.fit_to_screen()

    # -- menus and shortcuts -------------------------------------------------------------------

    def _action(self, name: str, text: str, signal: SignalInstance,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(signal.emit)
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        new = self._action("newInvoice", "&New invoice…", self.newInvoiceRequested, QKeySequence.StandardKey.New)
        pos = self._action("pointOfSale", "&Point of sale", self.posRequested)
        backup = self._action("backup", "&Back up…", self.backupRequested)
        restore = self._action("restore", "&Restore from backup…", self.restoreRequested)
        lock = self._action("lock", "&Lock", self.lockRequested, "Ctrl+L")
        quit_ = self._action("quit", "&Quit RedWaves (stop serving)", self.quitRequested, "Ctrl+Q")
        for action in (new, pos, backup, restore):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(lock)
        file_menu.addAction(quit_)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self._action("refresh", "&Refresh", self.refreshRequested, "F5"))
        view_menu.addAction(self._action("search", "&Search invoices", self.searchRequested,
                                         QKeySequence.StandardKey.Find))
        view_menu.addSeparator()
        for i, name in enumerate(NAV):
            action = QAction(name, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _checked=False, n=name: self.show_view(n))
            self.addAction(action)
            view_menu.addAction(action)
        self.set_actions_enabled(False)
        lock.setEnabled(False)

    def set_actions_enabled(self, on: bool, allowed: dict[str, bool] | None = None) -> None:
        for name in ("newInvoice", "pointOfSale", "backup", "restore", "refresh", "search"):
            self.actions_by_name[name].setEnabled(on and (allowed or {}).get(name, True))

    # -- lock ----------------------------------------------------------------------------------

    def lock(self, screen: QWidget) -> None:
        """Show the lock screen: no navigation, no action but Quit, until ``unlock``."""
        if self.lock_screen is not screen:
            self.lock_screen = screen
            self.stack.addWidget(screen)
        self.locked = True
        self.nav.hide()
        self.set_actions_enabled(False)
        self.actions_by_name["lock"].setEnabled(False)
        self.stack.setCurrentWidget(screen)

    def unlock(self, allowed: list[str], actions: dict[str, bool]) -> None:
        """The person's views only (the others hidden from the navigation and Ctrl+1..8)."""
        self.locked = False
        self.allowed = allowed
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            item.setHidden(item.text() not in allowed)
        self.nav.show()
        self.set_actions_enabled(True, actions)
        self.actions_by_name["lock"].setEnabled(True)
        current = self.current_view_name()
        self.show_view(current if current in allowed else str(self._qsettings.value("window/view", "Dashboard")))

    # -- states --------------------------------------------------------------------------------

    def show_loading(self, message: str) -> None:
        self.loading.message.setText(message)
        self.loading.progress.show()
        self.stack.setCurrentWidget(self.loading)

    def show_startup_error(self, message: str) -> None:
        self.loading.message.setText(message)
        self.loading.message.setProperty("role", "error")
        self.loading.progress.hide()
        self.stack.setCurrentWidget(self.loading)

    def add_views(self, views: dict[str, QWidget]) -> None:
        for name in NAV:
            if name in views:
                self.views[name] = views[name]
                self.pages[name] = page = named(QScrollArea(), f"{name.lower()}Page")
                page.setWidget(views[name])
                page.setWidgetResizable(True)  # a view taller than a small screen scrolls, never clips
                page.setFrameShape(QFrame.Shape.NoFrame)
                self.stack.addWidget(page)
                self.nav.addItem(name)
        if self.locked:
            return
        self.nav.show()
        self.set_actions_enabled(True)
        self.show_view(str(self._qsettings.value("window/view", "Dashboard")))

    def show_view(self, name: str) -> None:
        if self.locked:
            return
        usable = [n for n in self.views if self.allowed is None or n in self.allowed]
        if name not in usable:
            name = "Dashboard" if "Dashboard" in usable else next(iter(usable), "")
        if name:
            row = list(self.views).index(name)
            if self.nav.currentRow() == row:  # shown again after the lock screen
                self._on_nav_current_row_changed(row)
            self.nav.setCurrentRow(row)

    def current_view_name(self) -> str | None:
        widget = self.stack.currentWidget()
        return next((n for n, w in self.pages.items() if w is widget), None)

    def _on_nav_current_row_changed(self, row: int) -> None:
        if 0 <= row < self.nav.count():
            name = self.nav.item(row).text()
            self.stack.setCurrentWidget(self.pages[name])
            self._qsettings.setValue("window/view", name)
            self.viewShown.emit(name)

    # -- geometry and closing ------------------------------------------------------------------

    def restore_geometry(self) -> None:
        geometry = self._qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(QByteArray(geometry))
        state = self._qsettings.value("window/state")
        if isinstance(state, QByteArray | bytes) and state:
            self.restoreState(QByteArray(state))

    def fit_to_screen(self) -> None:
        """Keep the whole window on its screen (app/ui/screen_fit.py)."""
        fit_on_screen(self)

    def save_geometry(self) -> None:
        self._qsettings.setValue("window/geometry", self.saveGeometry())
        self._qsettings.setValue("window/state", self.saveState())
        self._qsettings.sync()

    def bring_to_front(self) -> None:
        self.showNormal()
        self.fit_to_screen()
        self.raise_()
        self.activateWindow()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.fit_to_screen()  # the frame's size is known only once shown

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_geometry()
        if not self.quitting and self.minimize_to_tray and self.tray_available:
            event.ignore()
            self.hide()
            logger.info("window hidden to the tray; still serving")
            return
        event.accept()
        if not self.quitting:
            self.quitRequested.emit()
