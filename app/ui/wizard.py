"""First-run wizard: network (informational) -> wallet (xpub) -> first store -> privacy (Tor, informational) -> done.

Shown when there is no wallet or no store. Nothing is saved until Finish: then the wallet is added,
the manual rate stored, the store created, and the window shows the dashboard.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.core.errors import UserFacingError
from app.core.records import Store, Wallet
from app.ui.context import WindowContext
from app.ui.ports import TorControl, UiSettings
from app.ui.settings_exposure import TOR_OFF_HOWTO, TOR_ON_NOTE
from app.ui.store_form import currency_combo, minutes_spin, speed_combo
from app.ui.wallet_form import WalletKeyForm
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

NETWORK_NOTES = {
    "mainnet": "Real bitcoin. Payments are final.",
    "testnet": "Test bitcoin with no value, for trying RedWaves out.",
    "signet": "Test bitcoin with no value (signet), for trying RedWaves out.",
    "regtest": "A private local test chain (developers; with --devnet RedWaves runs its own).",
}


def _label(text: str, role: str = "") -> QLabel:
    label = QLabel(text, wordWrap=True)
    if role:
        label.setProperty("role", role)
    return label


class NetworkPage(QWizardPage):
    def __init__(self, settings: UiSettings) -> None:
        super().__init__()
        self.setTitle("Welcome to RedWaves")
        self.setSubTitle("Accept bitcoin in your shop, straight to your own wallet.")
        net = settings.network
        layout = QVBoxLayout(self)
        layout.addWidget(_label(f"Network: <b>{net}</b>" + (" (embedded devnet)" if settings.devnet else ""), "h2"))
        layout.addWidget(_label(NETWORK_NOTES.get(net, "")))
        layout.addWidget(_label(
            "The network is chosen when RedWaves starts, and each network keeps its own data "
            f"(in <code>{settings.data_dir}/&lt;network&gt;</code>). To switch, quit and start again with "
            "<code>redwaves --network testnet</code>, or set <code>network = \"testnet\"</code> in config.toml "
            "(or REDWAVES_NETWORK).", "muted"))
        layout.addWidget(_label(
            "RedWaves only ever sees your <b>public</b> key: it can watch payments arrive but can never spend them.",
        ))
        layout.addStretch(1)


class WalletPage(QWizardPage):
    def __init__(self, ctx: WindowContext, existing: list[Wallet]) -> None:
        super().__init__()
        self.setTitle("Your wallet")
        self.setSubTitle("Paste the extended public key (xpub) of the wallet that should receive payments.")
        self.existing = existing
        self.form = WalletKeyForm(ctx.services.wallets)
        self.use_existing = named(QCheckBox(), "useExisting")
        layout = QVBoxLayout(self)
        if existing:
            self.use_existing.setText(f"Use the wallet already added: {existing[0].name} ({existing[0].fingerprint})")
            self.use_existing.setChecked(True)
            layout.addWidget(self.use_existing)
            self.use_existing.toggled.connect(self._on_use_existing_toggled)
            self.form.setEnabled(False)
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.form.validityChanged.connect(lambda _valid: self.completeChanged.emit())

    def _on_use_existing_toggled(self, on: bool) -> None:
        self.form.setEnabled(not on)
        self.completeChanged.emit()

    def reuse(self) -> bool:
        return bool(self.existing) and self.use_existing.isChecked()

    def isComplete(self) -> bool:  # noqa: N802
        return self.reuse() or self.form.valid

    def validatePage(self) -> bool:  # noqa: N802
        return self.reuse() or self.form.validate_now()


class StorePage(QWizardPage):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self.setTitle("Your store")
        self.setSubTitle("How your prices are shown and how long shoppers have to pay. You can change all of it later.")
        self.name = named(QLineEdit("My shop"), "storeName")
        self.currency = currency_combo("USD")
        self.rate = named(QLineEdit(placeholderText="e.g. 65000"), "manualRate")
        self.rate_note = _label("", "muted")
        self.speed = speed_combo(1)
        self.expiry = minutes_spin(900, minimum=1, maximum=7 * 24 * 60, name="expiry")
        layout = QFormLayout(self)
        layout.addRow("Store name", self.name)
        layout.addRow("Currency", self.currency)
        layout.addRow("Exchange rate", self.rate)
        layout.addRow("", self.rate_note)
        layout.addRow("Payment speed", self.speed)
        layout.addRow("Invoice expires after", self.expiry)
        self.currency.currentTextChanged.connect(self._on_currency_current_text_changed)
        self.name.textChanged.connect(lambda _t: self.completeChanged.emit())
        self._on_currency_current_text_changed(self.currency.currentText())

    def _on_currency_current_text_changed(self, code: str) -> None:
        fiat = code not in ("BTC", "SAT")
        self.rate.setEnabled(fiat)
        self.rate_note.setText(f"{code} per 1 BTC, used for new invoices until a live rate source is set "
                               "(Settings → Rates)." if fiat else "Prices in bitcoin need no exchange rate.")

    def isComplete(self) -> bool:  # noqa: N802
        return bool(self.name.text().strip())


class TorPage(QWizardPage):
    """Says whether Tor is on and which setting changes it (switching it from the window is issue 16)."""

    def __init__(self, tor: TorControl | None) -> None:
        super().__init__()
        self.setTitle("Privacy (optional)")
        if tor is None:
            self.state = _label("Tor is off.", "h2")
            note = TOR_OFF_HOWTO
        else:
            onion = tor.status.onion_url
            self.state = _label(f"Tor is on{': ' + onion if onion else ''}.", "h2")
            note = TOR_ON_NOTE
        self.state.setObjectName("wizardTorState")
        self.page_layout = QVBoxLayout(self)
        self.page_layout.addWidget(self.state)
        self.page_layout.addWidget(_label(note + " Settings → Tor shows its state at any time.", "muted"))
        self.page_layout.addStretch(1)


class FirstRunWizard(QWizard):
    finishedSetup = Signal(object)  # the Store created  # noqa: N815

    def __init__(self, ctx: WindowContext, existing_wallets: list[Wallet], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle("Set up RedWaves")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self._ctx = ctx
        self.network_page = NetworkPage(ctx.settings)
        self.wallet_page = WalletPage(ctx, existing_wallets)
        self.store_page = StorePage(ctx)
        self.tor_page = TorPage(ctx.services.tor)
        for page in (self.network_page, self.wallet_page, self.store_page, self.tor_page):
            self.addPage(page)
        self.error = _label("", "error")
        self.error.setObjectName("wizardError")
        self.tor_page.page_layout.addWidget(self.error)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create store")
        self.store: Store | None = None
        self.resize(720, 540)

    def accept(self) -> None:
        """Finish: save everything (async); the wizard closes only when it worked."""
        self.error.setText("")
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self._ctx.run(self._save(), self._on_saved, name="wizard-save", on_user_error=self._on_save_failed)

    async def _save(self) -> Store:
        services = self._ctx.services
        page = self.wallet_page
        if page.reuse():
            wallet = page.existing[0]
        else:
            wallet = await services.wallets.add_wallet(page.form.name.text(), page.form.key_text())
        s = self.store_page
        currency = s.currency.currentText()
        if s.rate.isEnabled() and s.rate.text().strip():
            await services.rates.set_manual_rate(currency, s.rate.text().strip())
        store = await services.stores.create(
            s.name.text(), default_currency=currency, wallet_ids=[wallet.id],
            speed_policy=s.speed.currentData(), expiry_s=s.expiry.value() * 60)
        return store

    def _on_saved(self, store: Store) -> None:
        self.store = store
        logger.info("first-run setup done: store %s", store.id)
        self.finishedSetup.emit(store)
        super().accept()

    def _on_save_failed(self, error: UserFacingError) -> None:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.error.setText(error.message)
        if error.field == "keys" and not self.wallet_page.reuse():
            while self.currentPage() is not self.wallet_page and self.currentId() > 0:
                self.back()
            self.wallet_page.form.feedback.setText(f"✗ {error.message}")


__all__ = ["FirstRunWizard"]
