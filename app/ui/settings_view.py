"""Settings: network and Electrum server (display), rates, notifications, Tor, TLS, email, and the
integrations (API keys, webhooks: settings_integrations.py).

Tor, TLS, email, API keys and webhooks are services built by other parts of RedWaves; each page asks
``ctx.service(name)`` and says "not available" when the service does not exist yet.
"""

from __future__ import annotations

from typing import Any

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
from app.ui.settings_integrations import ApiKeysPage, WebhooksPage
from app.ui.store_form import currency_combo
from app.ui.store_picker import refill_stores
from app.ui.widget_names import named

NOT_AVAILABLE = "Not available in this version yet."


def muted(text: str) -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setProperty("role", "muted")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def unavailable(what: str) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    label = muted(f"{what}: {NOT_AVAILABLE}")
    label.setObjectName("notAvailable")
    layout.addWidget(label)
    layout.addStretch(1)
    return page


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
        urls = self._ctx.urls()
        self.urls.setText("<br>".join(f"{name}: <a href='{url}'>{url}</a>" for name, url in urls.items()) or "—")

    def show_chain(self, state: Any) -> None:
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
        sources = ", ".join(getattr(ctx.services.rates, "source_names", ["manual"]))
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


class TorPage(QWidget):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.tor = ctx.service("tor")
        self.enabled = named(QCheckBox("Use Tor (Electrum over Tor, checkout as an .onion site)"), "torEnabled")
        self.enabled.setChecked(str(ctx.qsettings.value("tor/requested", "false")).lower() == "true")
        self.enabled.toggled.connect(self._on_enabled_toggled)
        self.status = muted("")
        self.status.setObjectName("torStatus")
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def reload(self) -> None:
        if self.tor is None:
            self.status.setText(f"Tor service: {NOT_AVAILABLE} Your choice is saved and applied once it is.")
            return
        st = self.tor.status()
        onion = getattr(st, "onion_url", None)
        self.status.setText(f"Tor {'running' if getattr(st, 'running', False) else 'stopped'}"
                            f"{', bootstrap ' + str(st.bootstrap_pct) + '%' if getattr(st, 'bootstrap_pct', None) is not None else ''}"
                            f"{', onion: ' + onion if onion else ''}{', error: ' + st.error if getattr(st, 'error', None) else ''}")

    def _on_enabled_toggled(self, on: bool) -> None:
        self._ctx.qsettings.setValue("tor/requested", "true" if on else "false")
        if self.tor is not None:
            self._ctx.run(self.tor.set_enabled(on), lambda _r: self.reload(), name="tor", parent=self)


class TlsPage(QWidget):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.tls = ctx.service("tls")
        self.status = muted(f"TLS service: {NOT_AVAILABLE}")
        self.status.setObjectName("tlsStatus")
        self.enabled = named(QCheckBox("Serve the public checkout over HTTPS"), "tlsEnabled")
        self.enabled.setEnabled(self.tls is not None)
        self.enabled.toggled.connect(self._on_enabled_toggled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def reload(self) -> None:
        if self.tls is None:
            return
        st = self.tls.status()
        self.enabled.blockSignals(True)
        self.enabled.setChecked(bool(getattr(st, "enabled", False)))
        self.enabled.blockSignals(False)
        self.status.setText(f"Certificate: {getattr(st, 'cert_path', None) or 'none'}; "
                            f"fingerprint {getattr(st, 'fingerprint', None) or '—'}; "
                            f"expires {getattr(st, 'expires_at', None) or '—'}")

    def _on_enabled_toggled(self, on: bool) -> None:
        if self.tls is not None:
            self._ctx.run(self.tls.set_enabled(on), lambda _r: self.reload(), name="tls", parent=self)


class EmailPage(QWidget):
    """Per-store SMTP settings and receipts (services.email: configure / config / send_test)."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.email = ctx.service("email")
        self.store = named(QComboBox(), "emailStore")
        self.store.currentIndexChanged.connect(lambda _i: self._load_config())
        self.host, self.username, self.sender = QLineEdit(), QLineEdit(), QLineEdit()
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
        self.status = muted("" if self.email else f"Email service: {NOT_AVAILABLE}")
        self.status.setObjectName("emailStatus")
        save, test = QPushButton("Save"), QPushButton("Send test")
        save.clicked.connect(self._on_save_button_clicked)
        test.clicked.connect(self._on_test_button_clicked)
        form = QFormLayout(self)
        for caption, widget in (("Store", self.store), ("SMTP server", self.host), ("Port", self.port),
                                ("Security", self.mode), ("User name", self.username), ("Password", self.password),
                                ("From", self.sender), ("Receipt to buyer when", self.receipt_on),
                                ("Copy to", self.merchant_to)):
            widget.setEnabled(self.email is not None)
            form.addRow(caption, widget)
        row = QHBoxLayout()
        row.addWidget(self.test_to, 1)
        row.addWidget(test)
        row.addWidget(save)
        form.addRow("", row)
        form.addRow("", self.status)
        for w in (save, test, self.test_to):
            w.setEnabled(self.email is not None)

    def reload(self) -> None:
        if self.email is not None:
            self._ctx.run(self._ctx.services.stores.list(), self._on_stores, name="email-stores", parent=self)

    def _on_stores(self, stores: list[Any]) -> None:
        refill_stores(self.store, stores)
        self._load_config()

    def _load_config(self) -> None:
        store_id = self.store.currentData()
        if self.email is not None and store_id:
            self._ctx.run(self.email.config(store_id), self._show, name="email-config", parent=self)

    def _show(self, config: Any) -> None:
        smtp = getattr(config, "smtp", None)
        self.host.setText(smtp.host if smtp else "")
        self.port.setValue(smtp.port if smtp else 587)
        self.mode.setCurrentText(str(smtp.mode) if smtp else "starttls")
        self.username.setText((smtp.username or "") if smtp else "")
        self.sender.setText(smtp.from_address if smtp else "")
        self.receipt_on.setCurrentText(str(getattr(config, "receipt_on", "complete")))
        self.merchant_to.setText(", ".join(getattr(config, "merchant_to", ()) or ()))

    def _values(self) -> dict[str, Any]:
        return {"host": self.host.text().strip(), "port": self.port.value(), "mode": self.mode.currentText(),
                "username": self.username.text().strip(), "from_address": self.sender.text().strip(),
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
        self.pages: dict[str, QWidget] = {
            "Network": NetworkPage(ctx), "Rates": RatesPage(ctx), "Notifications": NotificationsPage(ctx),
            "Tor": TorPage(ctx), "TLS": TlsPage(ctx), "Email": EmailPage(ctx),
            "API keys": ApiKeysPage(ctx) if ctx.service("apikeys") else unavailable("API keys"),
            "Webhooks": WebhooksPage(ctx) if ctx.service("webhooks") else unavailable("Webhooks"),
        }
        for name, page in self.pages.items():
            self.tabs.addTab(page, name)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

    def reload(self) -> None:
        for page in self.pages.values():
            reload = getattr(page, "reload", None)
            if callable(reload):
                reload()
