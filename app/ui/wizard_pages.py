"""The first-run wizard's pages: network, wallet, store, privacy, chain server, owner, summary.

Each page checks its own fields before Next (``validatePage``) with the message beside the field
(FieldErrors); a page whose required field is empty keeps Next disabled and says why beside it.
Nothing is written by a page: the wizard writes everything at Finish (app/ui/wizard.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from app.core.chain_route import ChainRoute, check_choice
from app.core.errors import UserFacingError
from app.core.records import Wallet
from app.core.staff import FirstOwner
from app.ui.chain_route_form import CHOICES, QUESTION, ChainRouteForm
from app.ui.context import WindowContext
from app.ui.field_errors import FieldErrors
from app.ui.settings_chain import DEVNET_NOTE
from app.ui.store_form import (
    SPEED_POLICIES,
    currency_combo,
    decimal_text,
    field_of,
    minutes_spin,
    read_rate,
    speed_combo,
)
from app.ui.wallet_form import WalletKeyForm
from app.ui.widget_names import named

EMPTY_STORE_NAME = "Give the store a name to continue."
WALLET_FIELDS = ("keys", "wallet_name", "threshold")
NETWORK_NOTES = {
    "mainnet": "Real bitcoin. Payments are final.",
    "testnet": "Test bitcoin with no value, for trying RedWaves out.",
    "signet": "Test bitcoin with no value (signet), for trying RedWaves out.",
    "regtest": "A private local test chain (developers; with --devnet RedWaves runs its own).",
}
LAN_NOTE = ("Shoppers' phones on the shop's network (Wi-Fi) open the checkout page from the invoice QR code. "
            "Off: only this computer can open it.")
TOR_NOTE = ("Gives the checkout an .onion address that Tor Browser can open from anywhere, without port "
            "forwarding. RedWaves starts its own tor; it needs the tor program installed.")


def label(text: str, role: str = "", name: str = "") -> QLabel:
    widget = QLabel(text, wordWrap=True)
    if role:
        widget.setProperty("role", role)
    if name:
        widget.setObjectName(name)
    return widget


class NetworkPage(QWizardPage):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        settings = ctx.settings
        self.setTitle("Welcome to RedWaves")
        self.setSubTitle("Accept bitcoin in your shop, straight to your own wallet.")
        net = settings.network
        layout = QVBoxLayout(self)
        layout.addWidget(label(f"Network: <b>{net}</b>" + (" (embedded devnet)" if settings.devnet else ""), "h2"))
        layout.addWidget(label(NETWORK_NOTES.get(net, "")))
        layout.addWidget(label(
            "The network is chosen when RedWaves starts, and each network keeps its own data "
            f"(in <code>{settings.data_dir}/&lt;network&gt;</code>). To switch, quit and start again with "
            "<code>redwaves --network testnet</code>, or set <code>network = \"testnet\"</code> in config.toml "
            "(or REDWAVES_NETWORK).", "muted"))
        layout.addWidget(label(
            "RedWaves only ever sees your <b>public</b> key: it can watch payments arrive but can never spend them."))
        layout.addStretch(1)
        self.restore_button = named(QPushButton("Restore from a backup…"), "wizardRestore")
        row = QHBoxLayout()
        row.addWidget(label("Moving to a new computer? Restore your shop from a RedWaves backup file.", "muted"), 1)
        row.addWidget(self.restore_button)
        layout.addLayout(row)


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
        return self.reuse() or self.form.complete()

    def validatePage(self) -> bool:  # noqa: N802
        return self.reuse() or (self.form.validate_now() and self.form.complete())

    def setup(self) -> dict[str, Any]:
        if self.reuse():
            return {"wallet_id": self.existing[0].id}
        return {"wallet_name": self.form.name.text(), "wallet_keys": self.form.key_text()}

    def describe(self) -> str:
        if self.reuse():
            return f"{self.existing[0].name} (already added, fingerprint {self.existing[0].fingerprint})"
        d = self.form.descriptor
        return f"{self.form.name.text().strip()} (new, fingerprint {d.fingerprint if d else '?'})"


class StorePage(QWizardPage):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.setTitle("Your store")
        self.setSubTitle("How your prices are shown and how long shoppers have to pay. You can change all of it later.")
        self.errors = FieldErrors()
        self.name = named(QLineEdit("My shop"), "storeName")
        self.currency = currency_combo("USD")
        self.rate = named(QLineEdit(), "manualRate")
        self.rate.setToolTip("How many units of the store's currency one bitcoin is worth, e.g. 65000 or 65000,50.")
        self.rate_note = label("", "muted", "rateNote")
        self.speed = speed_combo(1)
        self.expiry = minutes_spin(900, minimum=1, maximum=7 * 24 * 60, name="expiry")
        layout = QFormLayout(self)
        layout.addRow("Store name", self.errors.row("name", self.name))
        layout.addRow("Currency", self.errors.row("currency", self.currency))
        layout.addRow("Exchange rate", self.errors.row("rate", self.rate))
        layout.addRow("", self.rate_note)
        layout.addRow("Payment speed", self.errors.row("speed", self.speed))
        layout.addRow("Invoice expires after", self.errors.row("expiry", self.expiry))
        layout.addRow(self.errors.general)
        self.currency.currentTextChanged.connect(self._on_currency_current_text_changed)
        self.name.textChanged.connect(self._on_name_text_changed)
        self.rate.textEdited.connect(lambda _t: self.errors.hide("rate"))
        self._on_currency_current_text_changed(self.currency.currentText())

    def _on_currency_current_text_changed(self, code: str) -> None:
        fiat = code not in ("BTC", "SAT")
        self.rate.setEnabled(fiat)
        self.errors.hide("rate")
        self.rate_note.setText(f"{code} per 1 BTC, used for new invoices until a live rate source is set "
                               "(Stores → Rate source). Optional." if fiat else
                               "Prices in bitcoin need no exchange rate.")

    def _on_name_text_changed(self, text: str) -> None:
        if text.strip():
            self.errors.hide("name")
        else:
            self.errors.set("name", EMPTY_STORE_NAME)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return bool(self.name.text().strip())

    def validatePage(self) -> bool:  # noqa: N802
        return self.check()

    def setup(self) -> dict[str, Any]:
        """The store's part of ``FirstStore``; ValidationError (``rate``) when the rate is not a number."""
        currency = self.currency.currentText()
        return {"store_name": self.name.text(), "currency": currency,
                "rate": read_rate(self.rate.text(), currency) if self.rate.isEnabled() else None,
                "speed_policy": self.speed.currentData(), "expiry_s": self.expiry.value() * 60}

    def check(self) -> bool:
        self.errors.clear()
        try:
            values = self.setup()
            self._ctx.services.stores.check({"name": values["store_name"], "default_currency": values["currency"],
                                             "speed_policy": values["speed_policy"], "expiry_s": values["expiry_s"]})
        except UserFacingError as exc:
            self.show_error(exc)
            return False
        return True

    def show_error(self, error: UserFacingError) -> None:
        self.errors.set(field_of(error), error.message)  # a field not on this page: the page's general label

    def describe(self) -> list[tuple[str, str]]:
        currency = self.currency.currentText()
        try:
            rate: Decimal | None = read_rate(self.rate.text(), currency) if self.rate.isEnabled() else None
        except UserFacingError:
            rate = None
        speed = dict(SPEED_POLICIES).get(self.speed.currentData(), f"{self.speed.currentData()} confirmations")
        return [("Store", self.name.text().strip()), ("Currency", currency),
                ("Exchange rate", f"{decimal_text(rate)} {currency} per BTC" if rate else "not set"),
                ("Payment speed", speed), ("Invoices expire after", f"{self.expiry.value()} min")]


class PrivacyPage(QWizardPage):
    """How shoppers reach the checkout: LAN on/off, Tor on/off, applied at Finish after the store exists."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self.setTitle("How shoppers reach you")
        self.setSubTitle("You can change both at any time in Settings → Exposure.")
        state = ctx.services.exposure_control.current()
        self.lan_now, self.tor_now = state.lan_enabled, state.tor_enabled
        self.lan = named(QCheckBox("LAN checkout: phones on this network can pay"), "wizardLan")
        self.tor = named(QCheckBox("Tor: an .onion address for the checkout"), "wizardTor")
        self.lan.setChecked(state.lan_enabled)
        self.tor.setChecked(state.tor_enabled)
        layout = QVBoxLayout(self)
        for box, note, key in ((self.lan, LAN_NOTE, "public_enabled"), (self.tor, TOR_NOTE, "tor_enabled")):
            layout.addWidget(box)
            locked = state.locked.get(key)
            if not state.available or locked:
                box.setEnabled(False)
                note = (f"Set by {locked}; change it there." if locked else
                        "This RedWaves runs without the checkout server, so there is nothing to switch.")
            layout.addWidget(label(note, "muted"))
        if state.tor is not None and state.tor.onion_url:
            layout.addWidget(label(f"Onion address: {state.tor.onion_url}", "", "wizardOnion"))
        layout.addStretch(1)

    def changes(self) -> list[tuple[str, bool]]:
        """("lan" | "tor", wanted) for each choice that differs from how RedWaves runs now."""
        out: list[tuple[str, bool]] = []
        if self.lan.isEnabled() and self.lan.isChecked() != self.lan_now:
            out.append(("lan", self.lan.isChecked()))
        if self.tor.isEnabled() and self.tor.isChecked() != self.tor_now:
            out.append(("tor", self.tor.isChecked()))
        return out


class ChainPage(QWizardPage):
    """Which Electrum server learns the shop's addresses (app/ui/chain_route_form.py); applied at Finish."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self.setTitle(QUESTION)
        self.setSubTitle("You can change it at any time in Settings → Chain server.")
        self.state = ctx.services.chain_route.current()
        self.form = ChainRouteForm(ctx.services.chain_route, ctx.run)
        self.form.fill(self.state)
        self.form.changed.connect(self.completeChanged.emit)
        layout = QVBoxLayout(self)
        if self.state.devnet:
            layout.addWidget(label(DEVNET_NOTE, "muted", "wizardChainDevnet"))
            self.form.setEnabled(False)
        layout.addWidget(self.form)
        layout.addStretch(1)

    def isComplete(self) -> bool:  # noqa: N802
        return self.state.devnet or self.form.complete()

    def validatePage(self) -> bool:  # noqa: N802
        if self.state.devnet:
            return True
        self.form.errors.clear()
        try:
            check_choice(*self.form.choice())
        except UserFacingError as exc:
            self.form.show_error(exc)
            return False
        return True

    def change(self) -> tuple[str, str] | None:
        """(route, server) to apply at Finish; None when it is what runs and is saved already."""
        if self.state.devnet or not self.form.isEnabled():
            return None
        route, server = self.form.choice()
        saved = (str(self.state.route) if self.state.route else "", self.state.server or "")
        if (route, server if route == "own" else "") == (saved[0], saved[1] if saved[0] == "own" else ""):
            return None
        return route, server

    def describe(self) -> str:
        route, server = self.form.choice()
        if self.state.devnet:
            return "the embedded devnet"
        caption = CHOICES[ChainRoute(route)][0] if route else "not chosen"
        return f"{caption} ({server})" if server else caption


OWNER_NOTE = ("Your name and a PIN of 4 to 8 digits: the PIN opens and closes the point of sale and logs you in "
              "on the shop's terminals. With a window password (8 characters or more) RedWaves also starts "
              "locked until you type it. Leave this page empty to add people later in Settings → Staff.")
OWNER_FIELDS = ("owner_name", "pin", "pin_again", "password", "password_again")


class OwnerPage(QWizardPage):
    """The shop's owner (optional): name, PIN twice, window password twice; written at Finish with the store."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self.setTitle("You, the owner")
        self.setSubTitle("Who runs this shop. Managers and cashiers are added later, in Settings → Staff.")
        self._onboarding = ctx.services.onboarding
        self.errors = FieldErrors()
        self.exists = False
        self.name = named(QLineEdit(), "ownerName")
        self.pin, self.pin_again = self._secret("ownerPin"), self._secret("ownerPinAgain")
        self.password, self.password_again = self._secret("ownerPassword"), self._secret("ownerPasswordAgain")
        self.form = QFormLayout()
        for caption, field, widget in (("Your name", "owner_name", self.name), ("PIN", "pin", self.pin),
                                       ("PIN again", "pin_again", self.pin_again),
                                       ("Window password", "password", self.password),
                                       ("Password again", "password_again", self.password_again)):
            self.form.addRow(caption, self.errors.row(field, widget))
        self.note = label(OWNER_NOTE, "muted", "ownerNote")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        ctx.run(ctx.services.staff.has_owner(), self._on_has_owner, name="wizard-has-owner")

    @staticmethod
    def _secret(name: str) -> QLineEdit:
        return named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), name)

    def _on_has_owner(self, exists: bool) -> None:
        self.exists = exists
        if exists:  # a set-up finished again after its store was removed: the owner stays as they are
            for i in range(self.form.rowCount()):
                self.form.setRowVisible(i, False)
            self.note.setText("The owner is set up already (Settings → Staff).")

    def owner(self) -> FirstOwner | None:
        name, pin, password = self.name.text().strip(), self.pin.text(), self.password.text()
        if self.exists or not (name or pin or password):
            return None
        return FirstOwner(name=name, pin=pin, password=password or None)

    def validatePage(self) -> bool:  # noqa: N802
        self.errors.clear()
        owner = self.owner()
        if owner is None:
            return True
        if self.pin.text() != self.pin_again.text():
            self.errors.set("pin_again", "The two PINs differ; type the same PIN twice.")
            return False
        if self.password.text() != self.password_again.text():
            self.errors.set("password_again", "The two passwords differ; type the same password twice.")
            return False
        try:
            self._onboarding.check_owner(owner)
        except UserFacingError as error:
            self.show_error(error)
            return False
        return True

    def show_error(self, error: UserFacingError) -> None:
        field = "owner_name" if error.field == "name" else error.field
        self.errors.set(field, error.message)

    def describe(self) -> str:
        owner = self.owner()
        if self.exists:
            return "set up already"
        if owner is None:
            return "none yet (add people in Settings → Staff)"
        return f"{owner.name}, with a PIN" + (" and a window password" if owner.password else "")


class SummaryPage(QWizardPage):
    """What Finish will create; errors that name no field of another page are shown here."""

    def __init__(self, wallet: WalletPage, store: StorePage, privacy: PrivacyPage, chain: ChainPage,
                 owner: OwnerPage | None = None) -> None:
        super().__init__()
        self.setTitle("Ready to create your store")
        self.setSubTitle("Check the details. Nothing has been saved yet: Finish saves all of it at once.")
        self._pages = (wallet, store, privacy)
        self._chain = chain
        self._owner = owner
        self.rows: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.error = label("", "error", "wizardError")
        self.error.hide()
        self.note = label("", "muted", "wizardNote")
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802
        wallet, store, privacy = self._pages
        on = {True: "on", False: "off"}
        rows = [("Wallet", wallet.describe()), *store.describe(),
                ("LAN checkout", on[privacy.lan.isChecked()]), ("Tor", on[privacy.tor.isChecked()]),
                ("Chain server", self._chain.describe())]
        if self._owner is not None:
            rows.append(("Owner", self._owner.describe()))
        while self.form.rowCount():
            self.form.removeRow(0)
        self.rows = {}
        for caption, text in rows:
            value = self.rows[caption] = label(text, "", f"summary{caption.replace(' ', '')}")
            self.form.addRow(caption, value)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def show_note(self, message: str) -> None:
        self.note.setText(message)
        self.note.setVisible(bool(message))
