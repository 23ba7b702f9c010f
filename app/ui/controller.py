"""GuiController: owns the window, the tray, the runtime and every task, from start to quit.

Order: window + tray show at once (loading state) -> Runtime.start() awaited on the qasync loop ->
views built, first data loaded asynchronously -> wizard if there is no wallet/store -> ... ->
Quit: bridge, tasks, Runtime.stop(), tray.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.records import Store, Wallet
from app.instance_lock import AlreadyRunning
from app.ui.about_view import AboutView
from app.ui.backup_dialog import BackupDialog
from app.ui.bridge import EventBridge
from app.ui.context import UiContext
from app.ui.dashboard import Dashboard
from app.ui.errors import CrashReporter
from app.ui.health_status import HEALTH_POLL_S, health_text
from app.ui.icons import app_icon
from app.ui.invoices_view import InvoiceListView
from app.ui.lock_screen import ACTION_PERMISSIONS, LockScreen, allowed_views, settings_pages
from app.ui.main_window import NAV, MainWindow
from app.ui.new_invoice_dialog import NewInvoiceDialog
from app.ui.notifications import PaymentNotifier
from app.ui.payouts_view import PayoutsView
from app.ui.ports import GuiRuntime, UiServices
from app.ui.pos import open_pos
from app.ui.products_view import ProductsView
from app.ui.restore_dialog import RestoreDialog, relaunch_command, spawn_detached
from app.ui.settings_view import SettingsView
from app.ui.stores_view import StoresView
from app.ui.tasks import TaskOwner
from app.ui.tray import TrayNotifier
from app.ui.wallets_view import WalletsView
from app.ui.wizard import FirstRunWizard

if TYPE_CHECKING:
    from app.chain.models import ChainState
    from app.config import Settings
    from app.core.staff import Actor
    from app.services.admin.backup import RestoredBackup

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_START_FAILED = 1
EXIT_ALREADY_RUNNING = 3
RuntimeFactory = Callable[["Settings"], GuiRuntime]  # app.runtime.Runtime, passed by app.__main__


def gui_settings(settings: Settings) -> QSettings:
    """Window geometry and GUI preferences, in an ini file under the network's data dir."""
    settings.network_dir.mkdir(parents=True, exist_ok=True)
    return QSettings(str(settings.network_dir / "gui.ini"), QSettings.Format.IniFormat)


class GuiController(QObject):
    def __init__(self, settings: Settings, runtime_factory: RuntimeFactory, *, pos_store: str | None = None,
                 crash_dialogs: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.pos_store = pos_store
        self.qsettings = gui_settings(settings)
        icon = app_icon()
        self.window = MainWindow(self.qsettings, minimize_to_tray=settings.gui_minimize_to_tray, icon=icon)
        self.tray = TrayNotifier(icon, self)
        self.window.tray_available = self.tray.available
        self.reporter = CrashReporter(settings.log_dir, self.window, dialogs=crash_dialogs)
        self.runtime = runtime_factory(settings)
        self.tasks = TaskOwner("gui")
        self.ctx: UiContext[UiServices] | None = None
        self.bridge: EventBridge | None = None
        self.views: dict[str, QWidget] = {}
        self._reloads: dict[str, Callable[[], None]] = {}  # views that reload when shown or on F5
        self.wizard: FirstRunWizard | None = None
        self.lock_screen: LockScreen | None = None
        self._first_unlock = True
        self.stores: list[Store] = []
        self.wallets: list[Wallet] = []
        self.startup_error: QMessageBox | None = None
        self._quit: asyncio.Event | None = None
        self._attached: asyncio.Event | None = None
        self._stopped = False
        self.alongside_result: asyncio.Future[object] | None = None  # run_controller(alongside=...)
        self.relaunch_argv: list[str] | None = None  # "Restart into it": started once this one has stopped
        self.relaunch: Callable[[list[str]], object] = spawn_detached
        self._connect_window()

    # -- before the loop -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Synchronous, before qasync runs: start Electrum's loop thread."""
        self.runtime.start_chain_loop()

    def _connect_window(self) -> None:
        w = self.window
        w.quitRequested.connect(self.request_quit)
        w.newInvoiceRequested.connect(self.new_invoice)
        w.refreshRequested.connect(self.refresh_all)
        w.searchRequested.connect(self._on_window_search_requested)
        w.posRequested.connect(lambda: self.open_pos(self.pos_store))
        w.backupRequested.connect(self.back_up)
        w.restoreRequested.connect(self.restore_backup)
        w.lockRequested.connect(self.lock_window)
        w.viewShown.connect(self._on_window_view_shown)
        self.tray.showRequested.connect(w.bring_to_front)
        self.tray.quitRequested.connect(self.request_quit)
        self.tray.posRequested.connect(lambda: self.open_pos(self.pos_store))

    # -- lifecycle -----------------------------------------------------------------------------

    async def run(self) -> int:
        self._quit = asyncio.Event()
        self._attached = asyncio.Event()
        self.reporter.install(asyncio.get_running_loop())
        self.window.show()
        self.tray.show()
        self.window.show_loading(f"Starting RedWaves on {self.settings.network}: database, chain connection, "
                                 "checkout server…")
        try:
            try:
                started = await self._start_runtime()
            except AlreadyRunning as exc:
                return await self._fail(f"RedWaves is already running (PID {exc.pid or 'unknown'}).\n\n"
                                        f"Only one RedWaves may use {self.settings.network_dir} at a time. "
                                        "Switch to the running window (look in the system tray), or quit it first.",
                                        EXIT_ALREADY_RUNNING)
            except Exception as exc:  # a listener that cannot bind, a broken database...
                logger.exception("start failed")
                return await self._fail(f"RedWaves could not start:\n\n{exc}", EXIT_START_FAILED)
            if started:
                self.attach()
                await self._quit.wait()
            return EXIT_OK
        finally:
            await self.shutdown()
            if self.relaunch_argv is not None:
                self.relaunch(self.relaunch_argv)

    async def _start_runtime(self) -> bool:
        """Runtime.start(), unless Quit comes first (then the start is cancelled; shutdown stops what ran)."""
        assert self._quit is not None
        start = asyncio.ensure_future(self.runtime.start())
        quit_wait = asyncio.ensure_future(self._quit.wait())
        await asyncio.wait({start, quit_wait}, return_when=asyncio.FIRST_COMPLETED)
        quit_wait.cancel()
        if not start.done():
            start.cancel()
            await asyncio.wait({start})
            return False
        start.result()  # raises what the start raised
        return not self._quit.is_set()

    async def _fail(self, message: str, code: int) -> int:
        self.window.show_startup_error(message)
        box = QMessageBox(QMessageBox.Icon.Critical, "RedWaves", message, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("startupError")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def closed(_result: int) -> None:
            if not done.done():
                done.set_result(None)

        box.finished.connect(closed)
        self.startup_error = box
        box.open()
        quit_wait = asyncio.ensure_future(self._quit.wait()) if self._quit else None
        waits = [done] + ([quit_wait] if quit_wait else [])
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if quit_wait is not None:
            quit_wait.cancel()
        box.close()
        return code

    def request_quit(self) -> None:
        logger.info("quit requested")
        self.window.quitting = True
        if self._quit is not None:
            self._quit.set()

    async def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.bridge is not None:
            self.bridge.stop()
        await self.tasks.stop()
        self.window.save_geometry()
        try:
            await self.runtime.stop()
        finally:
            self.tray.hide()
            self.window.quitting = True
            self.window.close()
            self.reporter.uninstall()

    async def wait_attached(self, timeout_s: float = 30.0) -> None:
        assert self._attached is not None
        await asyncio.wait_for(self._attached.wait(), timeout_s)

    # -- views ---------------------------------------------------------------------------------

    @property
    def services(self) -> UiServices:
        services = self.runtime.services
        assert services is not None, "the runtime has not started"
        return services

    def attach(self) -> None:
        services = self.services
        self.bridge = EventBridge(services.events, services.chain, self)
        self.ctx = UiContext(services=services, settings=self.settings, tasks=self.tasks, bridge=self.bridge,
                             tray=self.tray, qsettings=self.qsettings, open_pos=self.open_pos, parent=self.window)
        ctx = self.ctx
        self.dashboard = Dashboard(ctx)
        self.invoices_view = InvoiceListView(ctx)
        self.stores_view = StoresView(ctx)
        self.wallets_view = WalletsView(ctx)
        products, settings = ProductsView(ctx), SettingsView(ctx)
        self.settings_view = settings
        self.payouts_view = PayoutsView(ctx)  # refunds' payouts and direct ones (payouts_view.py)
        self.views = {
            "Dashboard": self.dashboard, "Invoices": self.invoices_view, "Payouts": self.payouts_view,
            "Stores": self.stores_view,
            "Wallets": self.wallets_view, "Products": products, "Settings": settings, "About": AboutView(ctx),
        }
        self._reloads = {"Dashboard": self.dashboard.reload, "Stores": self.stores_view.reload,
                         "Wallets": self.wallets_view.reload, "Products": products.reload,
                         "Settings": settings.reload, "Payouts": self.payouts_view.reload}
        self.window.locked = True  # until staff.window_locked() answers: no view shows before the lock screen
        self.window.add_views(self.views)
        self.notifier = PaymentNotifier(self.bridge, self.tray, self.qsettings, self, ctx=ctx)
        self._connect_views()
        self.bridge.chainStateChanged.connect(self._on_bridge_chain_state_changed)
        self.bridge.start()
        ctx.run(services.staff.window_locked(), self._on_lock_checked, name="window-locked")
        ctx.run(self._watch_health(), name="health")

    # -- the window lock (app/ui/lock_screen.py) -----------------------------------------------

    def _on_lock_checked(self, locked: bool) -> None:
        if locked:
            self.lock_window()
        else:
            self._open_for(None)
            self.window.actions_by_name["lock"].setEnabled(False)
        assert self._attached is not None
        self._attached.set()

    def lock_window(self) -> None:
        """File → Lock (Ctrl+L), and the start when a person has a window password."""
        if self.ctx is None:
            return
        if self.lock_screen is None:
            self.lock_screen = LockScreen(self.services.staff, self.ctx.run, self.window)
            self.lock_screen.unlocked.connect(self._open_for)
        for dialog in (self.wizard, getattr(self, "new_invoice_dialog", None)):
            if dialog is not None:
                dialog.close()
        self.window.lock(self.lock_screen)
        self.lock_screen.reset()
        logger.info("window locked")

    def _open_for(self, actor: Actor | None) -> None:
        """Unlocked by ``actor`` (None: no window password exists; the window acts as SYSTEM)."""
        assert self.ctx is not None
        if actor is not None:
            self.ctx.actor = actor
            logger.info("window unlocked by %s (%s)", actor.person_id, actor.role)
        who = self.ctx.actor
        self.window.person_label.setText(f"{who.name} ({who.role}) · Ctrl+L locks" if who.person_id else "")
        self.window.person_label.setVisible(who.person_id is not None)
        pages = settings_pages(who, self.settings_view.pages)
        self.settings_view.show_pages(pages)
        actions = {name: who.may(permission) for name, permission in ACTION_PERMISSIONS.items()}
        self.window.unlock(allowed_views(who, NAV, pages), actions)
        self.refresh_all()
        if self._first_unlock:
            self._first_unlock = False
            self.ctx.run(self._first_run_check(), name="first-run-check")

    def _on_staff_changed(self) -> None:
        """A window password set or cleared: Lock is there only while one exists."""
        if self.ctx is not None:
            self.ctx.run(self.services.staff.window_locked(),
                         lambda on: self.window.actions_by_name["lock"].setEnabled(on), name="window-lockable")

    def _connect_views(self) -> None:
        dash, invoices = self.dashboard, self.invoices_view
        dash.newInvoiceRequested.connect(self.new_invoice)
        dash.posRequested.connect(lambda: self.open_pos(self.pos_store))
        dash.invoiceActivated.connect(self.show_invoice)
        invoices.newInvoiceRequested.connect(self.new_invoice)
        self.stores_view.storesChanged.connect(self._on_stores_changed)
        self.wallets_view.walletsChanged.connect(self.refresh_all)
        self.settings_view.staff.changed.connect(self._on_staff_changed)

    async def _watch_health(self) -> None:
        """The status bar says what /health says when it is degraded (same report, same grace)."""
        while True:
            try:
                self.show_health(await self.services.health())
            except Exception:  # noqa: BLE001 - the next poll tries again; the window keeps working
                logger.exception("health poll failed")
            await asyncio.sleep(HEALTH_POLL_S)

    def show_health(self, report: Mapping[str, object]) -> None:
        text = health_text(report)
        self.window.health_label.setText(text or "")
        self.window.health_label.setVisible(text is not None)

    async def _first_run_check(self) -> tuple[list[Wallet], list[Store]]:
        services = self.services
        wallets, stores = await services.wallets.list(), await services.stores.list()
        self.wallets, self.stores = wallets, stores
        if not wallets or not stores:
            self.open_wizard(wallets)
        elif self.pos_store is not None:
            self.open_pos(self.pos_store)
        return wallets, stores

    def open_wizard(self, wallets: list[Wallet]) -> FirstRunWizard:
        assert self.ctx is not None
        self.wizard = FirstRunWizard(self.ctx, wallets, self.window)
        self.wizard.finishedSetup.connect(self._on_wizard_finished_setup)
        self.wizard.restoreRequested.connect(lambda: self.restore_backup(parent=self.wizard))
        self.wizard.open()
        return self.wizard

    def _on_wizard_finished_setup(self, store: Store) -> None:
        self._on_staff_changed()  # the owner's window password (if any) makes File → Lock usable
        self.window.show_view("Dashboard")
        self.refresh_all()

    def _on_stores_changed(self, stores: list[Store]) -> None:
        self.stores = stores
        self.invoices_view.set_stores(stores)

    def refresh_all(self) -> None:
        if self.ctx is None or self.window.locked:
            return
        for reload in self._reloads.values():
            reload()
        self.invoices_view.apply_filters()

    def _on_window_view_shown(self, name: str) -> None:
        """Views other than the live ones (dashboard, invoices) refresh when they are shown."""
        reload = self._reloads.get(name)
        if name != "Dashboard" and reload is not None:
            reload()

    def _on_window_search_requested(self) -> None:
        if self.views:
            self.window.show_view("Invoices")
            self.invoices_view.focus_search()

    def _on_bridge_chain_state_changed(self, state: ChainState | None) -> None:
        if state is None:
            return
        text = "connected" if state.connected else "offline"
        if state.connected and not state.synced:
            text = "synchronizing"
        tip = f" · block {state.tip_height:,}" if state.tip_height is not None else ""
        self.window.chain_label.setText(f"{self.settings.network} · chain {text}{tip}")

    # -- actions -------------------------------------------------------------------------------

    def new_invoice(self, store_id: str | None = None) -> NewInvoiceDialog | None:
        if self.ctx is None:
            return None
        dialog = NewInvoiceDialog(self.ctx, self.stores, store_id=store_id, parent=self.window)
        dialog.invoiceCreated.connect(lambda inv: self.invoices_view.model.add_created(inv.id))
        dialog.open()
        self.new_invoice_dialog = dialog
        return dialog

    def back_up(self) -> BackupDialog | None:
        if self.ctx is None:
            return None
        dialog = BackupDialog(self.ctx, self.ctx.services.backups, self.window)
        dialog.open()
        return dialog

    def restore_backup(self, parent: QWidget | None = None) -> RestoreDialog | None:
        """File → Restore from backup…, or the wizard's welcome page (``parent``: the modal wizard)."""
        if self.ctx is None:
            return None
        dialog = RestoreDialog(self.ctx, self.ctx.services.backups, parent or self.window)
        dialog.restartRequested.connect(self.restart_into)
        dialog.open()
        return dialog

    def restart_into(self, restored: RestoredBackup) -> None:
        """Quit, then start RedWaves on the restored data directory (after this one released its ports)."""
        self.relaunch_argv = relaunch_command(restored.data_dir, restored.network, devnet=self.settings.devnet)
        self.request_quit()

    def show_invoice(self, invoice_id: str) -> None:
        invoices = self.invoices_view
        self.window.show_view("Invoices")
        if not invoices.select_invoice(invoice_id):
            invoices.detail.show_invoice(invoice_id)

    def open_pos(self, store_id: str | None = None) -> QWidget | None:
        if self.ctx is None:
            return None
        return open_pos(self.ctx, store_id or (self.stores[0].id if self.stores else None))
