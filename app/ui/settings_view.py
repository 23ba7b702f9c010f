"""Settings: network and Electrum server (display), rates, notifications, Tor and TLS
(settings_exposure.py), email, and the integrations (API keys, webhooks: settings_integrations.py).

Each page gets the services it uses from the typed ``UiServices`` (app/ui/ports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
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

from app.ui.context import WindowContext
from app.ui.settings_exposure import TlsPage, TorPage
from app.ui.settings_integrations import ApiKeysPage, WebhooksPage
from app.ui.store_form import currency_combo
from app.ui.store_picker import refill_stores
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.chain.models import ChainState
    from app.core.records import Store
    from app.services.delivery.email import EmailConfig

def muted(text: str) -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setProperty("role", "muted")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


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
        server = "the embedded devnet" if s.devnet else s.electrum_server or "automatic (Electrum chooses)"
        form.addRow("Electrum server", QLabel(server))
        form.addRow("Only this server", QLabel("yes" if s.electrum_oneserver else "no"))
        form.addRow("Proxy", QLabel(s.electrum_proxy or "none"))
        form.addRow("Chain", self.chain)
        form.addRow("Listening on", self.urls)
        form.addRow("Data directory", QLabel(str(s.network_dir)))
        form.addRow("", muted("These are set when RedWaves starts (command line, REDWAVES_* environment or "
                              "config.toml in the data directory). Restart to change them."))
        ctx.bridge.chainStateChanged.connect(self.show_chain)
        self.show_chain(ctx.bridge.last_chain_state)

    def reload(self) -> None:
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
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.currency = currency_combo("USD")
        self.rate = named(QLineEdit(placeholderText="fiat per 1 BTC"), "rate")
        self.status = muted("")
        save = named(QPushButton("Set manual rate"), "setRate")
        save.clicked.connect(self._on_save_button_clicked)
        form = QFormLayout(self)
        form.addRow("Currency", self.currency)
        form.addRow("Rate", self.rate)
        form.addRow("", save)
        form.addRow("", self.status)
        sources = ", ".join(ctx.services.rates.source_names)
        form.addRow("Sources", muted(f"Available rate sources: {sources}. Choose one per store (Stores view)."))

    def _on_save_button_clicked(self) -> None:
        code, rate = self.currency.currentText(), self.rate.text().strip()
        self._ctx.run(self._ctx.services.rates.set_manual_rate(code, rate),
                      lambda _r: self.status.setText(f"Manual {code} rate set to {rate}."), name="rate", parent=self)


class NotificationsPage(QWidget):
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
        layout.addWidget(self.tray)
        layout.addWidget(muted("The tray setting is gui_minimize_to_tray in config.toml. Quit from the tray menu "
                               "or File → Quit stops the server."))
        layout.addStretch(1)


class EmailPage(QWidget):
    """Per-store SMTP settings and receipts (services.email: configure / config / send_test)."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.email = ctx.services.email
        self.store = named(QComboBox(), "emailStore")
        self.store.currentIndexChanged.connect(lambda _i: self._load_config())
        self.host, self.username, self.from_address = QLineEdit(), QLineEdit(), QLineEdit()
        self.merchant_to = QLineEdit(placeholderText="you@shop.example (copies of receipts)")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password, placeholderText="unchanged")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.mode = QComboBox()
        self.mode.addItems(["starttls", "tls", "plain"])
        self.receipt_on = QComboBox()
        self.receipt_on.addItems(["complete", "paid", "never"])
        self.test_to = QLineEdit(placeholderText="send a test email to…")
        self.status = muted("")
        self.status.setObjectName("emailStatus")
        save, test = QPushButton("Save"), QPushButton("Send test")
        save.clicked.connect(self._on_save_button_clicked)
        test.clicked.connect(self._on_test_button_clicked)
        form = QFormLayout(self)
        for caption, widget in (("Store", self.store), ("SMTP server", self.host), ("Port", self.port),
                                ("Security", self.mode), ("User name", self.username), ("Password", self.password),
                                ("From", self.from_address), ("Receipt to buyer when", self.receipt_on),
                                ("Copy to", self.merchant_to)):
            form.addRow(caption, widget)
        row = QHBoxLayout()
        row.addWidget(self.test_to, 1)
        row.addWidget(test)
        row.addWidget(save)
        form.addRow("", row)
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

    def _values(self) -> dict[str, str | int]:
        return {"host": self.host.text().strip(), "port": self.port.value(), "mode": self.mode.currentText(),
                "username": self.username.text().strip(), "from_address": self.from_address.text().strip(),
                "receipt_on": self.receipt_on.currentText(), "merchant_to": self.merchant_to.text()}

    def _on_save_button_clicked(self) -> None:
        store_id = self.store.currentData()
        if store_id:
            self._ctx.run(self.email.configure(store_id, self._values(), password=self.password.text() or None),
                          lambda _r: self.status.setText("Saved."), name="email-save", parent=self)

    def _on_test_button_clicked(self) -> None:
        store_id, to = self.store.currentData(), self.test_to.text().strip()
        if store_id:
            self._ctx.run(self.email.send_test(store_id, to, settings=self._values(),
                                               password=self.password.text() or None),
                          lambda _r: self.status.setText(f"Test email sent to {to}."), name="email-test", parent=self)


class SettingsView(QWidget):
    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Settings")
        title.setProperty("role", "h1")
        self.tabs = named(QTabWidget(), "settingsTabs")
        network, tor, tls, email = NetworkPage(ctx), TorPage(ctx.services.tor), TlsPage(ctx.services.public), EmailPage(ctx)
        keys, hooks = ApiKeysPage(ctx), WebhooksPage(ctx)
        self.pages: dict[str, QWidget] = {
            "Network": network, "Rates": RatesPage(ctx), "Notifications": NotificationsPage(ctx),
            "Tor": tor, "TLS": tls, "Email": email, "API keys": keys, "Webhooks": hooks,
        }
        self._reloads: list[Callable[[], None]] = [network.reload, tor.reload, tls.reload, email.reload,
                                                   keys.reload, hooks.reload]
        for name, page in self.pages.items():
            self.tabs.addTab(page, name)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

    def reload(self) -> None:
        for reload in self._reloads:
            reload()
