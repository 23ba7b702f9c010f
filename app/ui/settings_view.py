"""Settings: network and Electrum server (display), rates, notifications, Shop network, TLS and Tor
(settings_exposure.py, settings_tls.py, settings_tor.py: switched live), email, and the integrations
(API keys, webhooks: settings_integrations.py).

Each page gets the services it uses from the typed ``UiServices`` (app/ui/ports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import RateUnavailable
from app.secrets import SecretStorage, secret_storage
from app.ui.audit_view import AuditPage
from app.ui.context import WindowContext
from app.ui.field_errors import FieldErrors
from app.ui.formatting import parse_amount
from app.ui.settings_apikeys import ApiKeysPage
from app.ui.settings_chain import ChainServerPage
from app.ui.settings_exposure import ShopNetworkPage
from app.ui.settings_integrations import WebhooksPage
from app.ui.settings_invoices import InvoicesPage
from app.ui.settings_lightning import LightningPage
from app.ui.settings_pos import PosSettingsPage
from app.ui.settings_printer import PrinterPage
from app.ui.settings_tls import TlsPage
from app.ui.settings_tor import TorPage
from app.ui.staff_view import StaffPage
from app.ui.store_form import currency_combo
from app.ui.store_picker import refill_stores
from app.ui.terminals_view import TerminalsPage
from app.ui.widget_names import muted, named

if TYPE_CHECKING:
    from app.chain.models import ChainState
    from app.core.records import Store
    from app.services.delivery.email import EmailConfig

def secrets_label(storage: SecretStorage) -> QLabel:
    """Where secrets are kept; a warning when that is an unencrypted 0600 file (no OS keyring)."""
    if storage.warning is None:
        label = QLabel(f"{'OS keyring' if storage.kind == 'os' else 'encrypted file'} ({storage.backend})",
                       wordWrap=True)
    else:
        label = QLabel(storage.warning, wordWrap=True)
        label.setProperty("role", "warning")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return named(label, "secretStorage")


class NetworkPage(QWidget):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        s = ctx.settings
        self.chain = named(QLabel(wordWrap=True), "chainState")
        self.urls = named(QLabel(wordWrap=True), "listenerUrls")
        self.urls.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.urls.setOpenExternalLinks(True)
        form = QFormLayout(self)
        form.addRow("Network", QLabel(f"<b>{s.network}</b>" + (" (embedded devnet)" if s.devnet else "")))
        self.route = named(QLabel(wordWrap=True), "chainRoute")  # changed live in Settings → Chain server
        form.addRow("Electrum server", self.route)
        form.addRow("Only this server", QLabel("yes" if s.electrum_oneserver else "no"))
        form.addRow("Proxy", QLabel(s.electrum_proxy or "none"))
        form.addRow("Chain", self.chain)
        form.addRow("Listening on", self.urls)
        data_dir = named(QLineEdit(str(s.network_dir), readOnly=True), "dataDirectory")  # long paths scroll inside
        data_dir.setCursorPosition(0)
        form.addRow("Data directory", data_dir)
        form.addRow("Secrets", secrets_label(secret_storage()))
        form.addRow("", muted("These are set when RedWaves starts (command line, REDWAVES_* environment or "
                              "config.toml in the data directory). Restart to change them."))
        ctx.bridge.chainStateChanged.connect(self.show_chain)
        self.show_chain(ctx.bridge.last_chain_state)

    def reload(self) -> None:
        running = self._ctx.services.chain_route.current().running
        self.route.setText(f"{running.describe()} (Settings → Chain server)" if running is not None
                           else "no chain connection in this RedWaves")
        urls = self._ctx.services.urls.current()
        self.urls.setText("<br>".join(f"{name}: <a href='{url}'>{url}</a>" for name, url in urls.items()) or "—")

    def show_chain(self, state: ChainState | None) -> None:
        if state is None:
            self.chain.setText("not available")
            return
        status = "connected" if state.connected else "offline"
        synced = ", up to date" if state.synced else ", synchronizing" if state.connected else ""
        tip = f", block {state.tip_height:,}" if state.tip_height is not None else ""
        self.chain.setText(f"{status}{synced}{tip} — {state.server or 'no server'}")


class RatesPage(QWidget):
    """A manual rate (fiat per 1 BTC) per currency: what stores whose rate source is "manual" use."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.errors = FieldErrors()
        self.currency = currency_combo("USD")
        self.currency.currentTextChanged.connect(lambda _code: self.reload())
        self.rate = named(QLineEdit(), "rate")
        self.rate.returnPressed.connect(self._on_save_button_clicked)
        self.current = named(QLabel(), "currentRate")
        self.status = named(QLabel(wordWrap=True), "rateStatus")
        self.status.setProperty("role", "ok")
        save = named(QPushButton("Set manual rate"), "setRate")
        save.clicked.connect(self._on_save_button_clicked)
        form = QFormLayout(self)
        form.addRow("Currency", self.currency)
        form.addRow("Manual rate now", self.current)
        self.rate.setToolTip("Fiat per 1 BTC, e.g. 61234,50 or 61234.50")
        row = QHBoxLayout()
        row.addWidget(self.errors.row("rate", self.rate), 1)
        row.addWidget(save, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow("New rate (per BTC)", row)
        form.addRow("", self.status)
        sources = ", ".join(ctx.services.rates.source_names)
        form.addRow("Sources", muted(f"Rate sources: {sources}. Each store chooses its own (Stores view)."))

    def reload(self) -> None:
        code = self.currency.currentText()
        self._ctx.run(self._manual_rate(code), lambda rate: self._show(code, rate), name="rate-current", parent=self)

    async def _manual_rate(self, code: str) -> Decimal | None:
        try:
            return (await self._ctx.services.rates.quote(code, source="manual")).rate
        except RateUnavailable:
            return None

    def _show(self, code: str, rate: Decimal | None) -> None:
        if code == self.currency.currentText():
            self.current.setText(f"{rate:f} {code} per BTC" if rate is not None else "not set")

    def _on_save_button_clicked(self) -> None:
        self.errors.clear()
        self.status.clear()
        code = self.currency.currentText()
        try:
            rate = parse_amount(self.rate.text(), decimal_point=QLocale().decimalPoint())
        except ValueError:
            self.errors.set("rate", "Enter the rate as a number, e.g. 61234,50.")
            return
        self._ctx.run(self._ctx.services.rates.set_manual_rate(code, rate), lambda _r: self._on_saved(code, rate),
                      name="rate", parent=self, on_user_error=self.errors.show)

    def _on_saved(self, code: str, rate: Decimal) -> None:
        self.rate.clear()
        self.status.setText(f"Saved: 1 BTC = {rate:f} {code}.")
        self._show(code, rate)


class NotificationsPage(QWidget):
    """Desktop notifications (stored in the window's gui.ini at once) and what the tray does."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        q = ctx.qsettings
        self.payments = named(QCheckBox("Show a desktop notification when a payment arrives"), "notifyPayments")
        self.payments.setChecked(str(q.value("notifications/payments", "true")).lower() != "false")
        self.payments.toggled.connect(lambda on: q.setValue("notifications/payments", "true" if on else "false"))
        self.tray = named(QCheckBox("Closing the window keeps RedWaves serving in the tray"), "minimizeToTray")
        self.tray.setChecked(ctx.settings.gui_minimize_to_tray)
        self.tray.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.payments)
        layout.addWidget(muted("Saved at once, for this computer."))
        layout.addWidget(self.tray)
        layout.addWidget(muted("The tray setting is gui_minimize_to_tray in config.toml (read at start). Quit from "
                               "the tray menu or File → Quit stops the server."))
        layout.addStretch(1)


class EmailPage(QWidget):
    """Per-store SMTP settings and receipts (services.email: configure / config / send_test).

    Errors show beside their field. The password is never shown: leave it empty to keep the saved one,
    type a new one to replace it, or tick "Remove the saved password"; the field is cleared after a save.
    """

    FIELDS = ("host", "port", "mode", "username", "password", "from_address", "receipt_on", "merchant_to")

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.email = ctx.services.email
        self.errors = FieldErrors()
        self.store = named(QComboBox(), "emailStore")
        self.store.currentIndexChanged.connect(lambda _i: self._load_config())
        self.host, self.username = named(QLineEdit(), "smtpHost"), named(QLineEdit(), "smtpUser")
        self.from_address, self.merchant_to = named(QLineEdit(), "fromAddress"), named(QLineEdit(), "merchantTo")
        self.password = named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "smtpPassword")
        self.forget_password = named(QCheckBox("Remove the saved password"), "forgetPassword")
        self.forget_password.toggled.connect(lambda on: self.password.setEnabled(not on))
        self.port = named(QSpinBox(), "smtpPort")
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.mode, self.receipt_on = named(QComboBox(), "smtpMode"), named(QComboBox(), "receiptOn")
        self.mode.addItems(["starttls", "tls", "plain"])
        self.receipt_on.addItems(["complete", "paid", "never"])
        self.test_to = named(QLineEdit(), "testTo")
        self.status = named(QLabel(wordWrap=True), "emailStatus")
        self.status.setProperty("role", "ok")
        self._build()

    def _build(self) -> None:
        save, test = named(QPushButton("Save"), "saveEmail"), named(QPushButton("Send test"), "testEmail")
        save.clicked.connect(self._on_save_button_clicked)
        test.clicked.connect(self._on_test_button_clicked)
        password = QWidget()
        column = QVBoxLayout(password)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.password)
        column.addWidget(muted("Never shown. Leave empty to keep the saved password (if any)."))
        column.addWidget(self.forget_password)
        form = QFormLayout(self)
        rows: tuple[tuple[str, str | None, QWidget], ...] = (
            ("Store", None, self.store), ("SMTP server", "host", self.host), ("Port", "port", self.port),
            ("Security", "mode", self.mode), ("User name", "username", self.username),
            ("Password", "password", password), ("From", "from_address", self.from_address),
            ("Receipt to buyer when", "receipt_on", self.receipt_on), ("Copies to", "merchant_to", self.merchant_to))
        for caption, field, widget in rows:
            form.addRow(caption, self.errors.row(field, widget) if field else widget)
        row = QHBoxLayout()
        row.addWidget(QLabel("Test to"))
        row.addWidget(self.errors.row("to", self.test_to), 1)
        row.addWidget(test, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(save, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow("", row)
        form.addRow("", self.errors.general)
        form.addRow("", self.status)

    def reload(self) -> None:
        self._ctx.run(self._ctx.services.stores.list(), self._on_stores, name="email-stores", parent=self)

    def _on_stores(self, stores: list[Store]) -> None:
        refill_stores(self.store, stores)
        self._load_config()

    def _load_config(self) -> None:
        store_id = self.store.currentData()
        if store_id:
            self._ctx.run(self.email.config(store_id), self._show, name="email-config", parent=self)

    def _show(self, config: EmailConfig) -> None:
        smtp = config.smtp
        self.host.setText(smtp.host if smtp else "")
        self.port.setValue(smtp.port if smtp else 587)
        self.mode.setCurrentText(str(smtp.mode) if smtp else "starttls")
        self.username.setText((smtp.username or "") if smtp else "")
        self.from_address.setText(smtp.from_address if smtp else "")
        self.receipt_on.setCurrentText(str(config.receipt_on))
        self.merchant_to.setText(", ".join(config.merchant_to))
        self.password.clear()
        self.forget_password.setChecked(False)

    def values(self) -> dict[str, str | int]:
        return {"host": self.host.text().strip(), "port": self.port.value(), "mode": self.mode.currentText(),
                "username": self.username.text().strip(), "from_address": self.from_address.text().strip(),
                "receipt_on": self.receipt_on.currentText(), "merchant_to": self.merchant_to.text()}

    def _password(self) -> str | None:
        """None keeps the saved password, "" removes it (EmailService.configure)."""
        return "" if self.forget_password.isChecked() else self.password.text() or None

    def _start(self) -> str | None:
        self.errors.clear()
        self.status.clear()
        store_id = self.store.currentData()
        if not store_id:
            self.errors.set(None, "Add a store first: email settings belong to a store.")
        return store_id or None

    def _on_save_button_clicked(self) -> None:
        if (store_id := self._start()) is not None:
            self._ctx.run(self.email.configure(store_id, self.values(), password=self._password()),
                          lambda _r: self._on_saved(), name="email-save", parent=self, on_user_error=self.errors.show)

    def _on_saved(self) -> None:
        self.password.clear()
        self.forget_password.setChecked(False)
        self.status.setText("Saved.")

    def _on_test_button_clicked(self) -> None:
        if (store_id := self._start()) is not None:
            to = self.test_to.text().strip()
            self._ctx.run(self.email.send_test(store_id, to, settings=self.values(), password=self._password()),
                          lambda _r: self.status.setText(f"Test email sent to {to}."), name="email-test", parent=self,
                          on_user_error=self.errors.show)


class SettingsView(QWidget):
    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Settings")
        title.setProperty("role", "h1")
        self.tabs = named(QTabWidget(), "settingsTabs")
        network, email = NetworkPage(ctx), EmailPage(ctx)
        exposure = ctx.services.exposure_control  # Shop network, TLS, Tor: switched live (settings_exposure.py)
        lan, tls, tor = ShopNetworkPage(exposure, ctx.run), TlsPage(exposure, ctx.run), TorPage(exposure, ctx.run)
        keys, hooks = ApiKeysPage(ctx), WebhooksPage(ctx)
        self.pages: dict[str, QWidget] = {
            "Network": network, "Rates": RatesPage(ctx), "Notifications": NotificationsPage(ctx),
            "Shop network": lan, "TLS": tls, "Tor": tor, "Email": email, "API keys": keys, "Webhooks": hooks,
        }
        self._reloads: list[Callable[[], None]] = [network.reload, lan.reload, tls.reload, tor.reload, email.reload,
                                                   keys.reload, hooks.reload]
        pos = PosSettingsPage(ctx.services.pos.pin, ctx.qsettings, ctx.run)  # merchant PIN, kiosk options
        self.pages["Point of sale"] = pos
        self._reloads.append(pos.reload)
        printer = PrinterPage(ctx.services.printer, ctx.run, ctx.settings.network_dir / "receipts")  # settings_printer.py
        self.pages["Printer"] = printer
        self._reloads.append(printer.reload)
        chain = ChainServerPage(ctx.services.chain_route, ctx.run)  # which server learns the addresses
        self.pages["Chain server"] = chain
        self._reloads.append(chain.reload)
        invoices = InvoicesPage(ctx)  # the large-invoice confirmation limit (settings_invoices.py)
        self.pages["Invoices"] = invoices
        self._reloads.append(invoices.reload)
        lightning = LightningPage(ctx.services.lightning, ctx.services.wallets, ctx.settings, ctx.run)  # node, channels
        self.pages["Lightning"] = lightning
        self._reloads.append(lightning.reload)
        services, actor = ctx.services, lambda: ctx.actor  # people, tills and the log (staff_view.py, ...)
        self.staff = StaffPage(services.staff, services.stores, actor, ctx.run)
        self.terminals = TerminalsPage(services.terminals, services.staff, services.stores, actor, ctx.run)
        self.audit = AuditPage(services.audit, services.staff, services.terminals, services.stores, actor, ctx.run)
        self.pages.update({"Staff": self.staff, "Terminals": self.terminals, "Audit log": self.audit})
        self._reloads += [self.staff.reload, self.terminals.reload, self.audit.reload]
        self.staff.changed.connect(self.terminals.reload)
        for name, page in self.pages.items():
            self.tabs.addTab(page, name)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

    def reload(self) -> None:
        for reload in self._reloads:
            reload()

    def show_pages(self, names: list[str]) -> None:
        """Only the pages the unlocked person may use (app/ui/lock_screen.py); the first of them shown."""
        for i, name in enumerate(self.pages):
            self.tabs.setTabVisible(i, name in names)
        if names and list(self.pages)[self.tabs.currentIndex()] not in names:
            self.tabs.setCurrentWidget(self.pages[names[0]])
