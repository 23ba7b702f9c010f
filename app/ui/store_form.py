"""Store settings widgets shared by the first-run wizard and the Stores view, and the Stores view's form.

``StoreForm.check`` validates before anything is written: the manual rate is read with
``parse_amount`` (12,50 or 12.50) and the other fields go through the services' own rules
(``StoreService.check``: accent colour #rgb/#rrggbb, logo URL http(s) or a data:image URL), so the
window refuses exactly what the API refuses, with the message beside the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.currencies import CURRENCIES, is_fiat
from app.core.errors import UserFacingError, ValidationError
from app.core.fee_policy import MIN_FEE_RATE_SETTING
from app.core.lightning import LIGHTNING, MAX_CHANNEL_SAT, QR_FIRST_BELOW, store_lightning
from app.core.public_invoices import BUDGET_SETTING, DEFAULT_BUDGET, MAX_BUDGET, SETTING, allows_public
from app.core.records import Store, Wallet
from app.core.refunds import DEFAULT_LINK_DAYS, MAX_LINK_DAYS, clean_refund_options
from app.ui.field_errors import FieldErrors
from app.ui.formatting import parse_amount
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.services.lightning.service import LightningStatus

LIGHTNING_OFF = ("Lightning is off: turn it on in Settings → Lightning first. Until then this store's invoices "
                 "are paid on-chain only.")
SPEED_POLICIES = (
    (0, "Instant (0 confirmations) — small amounts, in person"),
    (1, "1 confirmation (~10 min) — recommended"),
    (2, "2 confirmations"),
    (3, "3 confirmations"),
    (6, "6 confirmations (~1 h) — large amounts"),
)
FIELD_ALIASES = {"default_currency": "currency", "rate_source": "rate", "rate_spread_pct": "spread",
                 "underpaid_tolerance_pct": "tolerance", "expiry_s": "expiry", "monitoring_s": "monitoring",
                 "speed_policy": "speed", "checkout": "accent_color"}


def currency_combo(current: str = "USD", parent: QWidget | None = None) -> QComboBox:
    combo = named(QComboBox(parent), "currency")
    for code in CURRENCIES:
        combo.addItem(code)
    combo.setCurrentText(current)
    return combo


def speed_combo(current: int = 1, parent: QWidget | None = None) -> QComboBox:
    combo = named(QComboBox(parent), "speedPolicy")
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(16)
    for value, text in SPEED_POLICIES:
        combo.addItem(text, value)
    index = combo.findData(current)
    if index < 0:
        combo.addItem(f"{current} confirmations", current)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
    return combo


def minutes_spin(seconds: int, *, minimum: int, maximum: int, name: str, suffix: str = " min") -> QSpinBox:
    spin = named(QSpinBox(), name)
    spin.setRange(minimum, maximum)
    spin.setSuffix(suffix)
    spin.setValue(max(minimum, min(maximum, seconds // 60)))
    return spin


def decimal_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def read_rate(text: str, currency: str) -> Decimal | None:
    """The manual rate typed for ``currency`` (None: empty, or a bitcoin unit); ValidationError (``rate``)."""
    if not is_fiat(currency) or not text.strip():
        return None
    try:
        value = parse_amount(text, decimal_point=QLocale().decimalPoint())
    except ValueError:
        value = Decimal(0)
    if value <= 0:
        raise ValidationError(f"Enter how many {currency} one bitcoin is worth, like 65000 or 65000,50.",
                              code="invalid_rate", field="rate")
    return value


def field_of(error: UserFacingError) -> str | None:
    """The form field a service error is about (the services name some fields differently)."""
    return FIELD_ALIASES.get(error.field or "", error.field)


def _pct_spin(name: str) -> QDoubleSpinBox:
    spin = named(QDoubleSpinBox(), name)
    spin.setRange(0, 100)
    spin.setDecimals(2)
    spin.setSuffix(" %")
    return spin


class StoreForm(QWidget):
    """Every setting of one store, with errors beside their fields (``<field>Error`` labels)."""

    errorShown = Signal(object)  # noqa: N815  # the error label now showing (the view scrolls to it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors = FieldErrors()
        self._look: dict[str, Any] = {}  # the store's checkout options, kept for the keys not edited here
        self.name = named(QLineEdit(), "storeName")
        self.currency = currency_combo()
        self.rate = named(QLineEdit(), "manualRate")
        self.rate.setToolTip("How many units of the store's currency one bitcoin is worth.")
        self.rate_source = named(QComboBox(), "rateSource")
        self.spread = _pct_spin("spread")
        self.speed = speed_combo()
        self.expiry = minutes_spin(900, minimum=1, maximum=7 * 24 * 60, name="expiry")
        self.monitoring = named(QSpinBox(suffix=" h"), "monitoring")
        self.monitoring.setRange(0, 30 * 24)
        self.tolerance = _pct_spin("tolerance")
        self.min_fee_rate = named(QLineEdit(), "minFeeRate")
        self.min_fee_rate.setToolTip("Used when Payment speed is 0 confirmations: an unconfirmed payment paying "
                                     "less than this many sat/vB stays Paid until it confirms. Empty: only "
                                     "payments below half the network's fee estimate, or with unconfirmed "
                                     "parents, wait.")
        self.wallets = named(QListWidget(), "storeWallets")
        self.wallets.setMaximumHeight(90)
        self.look_title = named(QLineEdit(), "checkoutTitle")
        self.look_color = named(QLineEdit(), "checkoutColor")
        self.look_color.setToolTip("#rgb or #rrggbb, e.g. #c62f3a; empty for the default colour.")
        self.swatch = named(QLabel(), "colorSwatch")
        self.swatch.setFixedSize(24, 24)
        self.pick_color = named(QPushButton("Pick…"), "pickColor")
        self.look_logo = named(QLineEdit(), "checkoutLogo")
        self.look_logo.setToolTip("https://… or data:image/png;base64,…; empty for no logo.")
        self.look_dark = named(QCheckBox("Dark checkout page"), "checkoutDark")
        self.public_orders = named(QCheckBox("Shoppers can create invoices"), "publicInvoices")
        self.public_orders.setToolTip("The store page (/s/…) takes orders, and apps without an API key may create "
                                      "invoices. Off: the page shows the catalogue only.")
        self.public_budget = named(QSpinBox(), "publicBudget")
        self.public_budget.setRange(1, MAX_BUDGET)
        self.public_budget.setValue(DEFAULT_BUDGET)
        self._public_default = False  # what the store does without the setting (on with a catalogue)
        self.auto_approve = named(QLineEdit(), "autoApproveSat")  # checkout.payouts_auto_approve_sat
        self.auto_approve.setToolTip("Payouts (claimed refunds too) up to this many satoshis are approved "
                                     "without you; 0 or empty: every payout waits for Approve.")
        self.link_days = named(QSpinBox(suffix=" days"), "refundLinkDays")  # checkout.refund_link_days
        self.link_days.setRange(1, MAX_LINK_DAYS)
        self.link_days.setValue(DEFAULT_LINK_DAYS)
        self.lightning = named(QCheckBox("Offer Lightning on this store's invoices"), "storeLightning")
        self.lightning.setToolTip("Each new invoice also gets a Lightning invoice (BOLT11) for the full amount, "
                                  "expiring with it, when the node can receive that much.")
        self.lightning_below = named(QSpinBox(suffix=" sat"), "lightningQrBelow")  # checkout.lightning_qr_below_sat
        self.lightning_below.setRange(0, MAX_CHANNEL_SAT)
        self.lightning_below.setGroupSeparatorShown(True)
        self.lightning_below.setToolTip("Amounts below this show the Lightning QR first in the kiosk; 0: never "
                                        "(the on-chain QR, which carries the Lightning invoice too, comes first).")
        self.lightning_note = named(QLabel(LIGHTNING_OFF, wordWrap=True), "lightningNote")
        self.lightning_note.setProperty("role", "muted")
        self.set_lightning(None)
        self.auto_approve.textEdited.connect(lambda _t: self.errors.hide("payouts_auto_approve_sat"))
        self.pick_color.clicked.connect(self._on_pick_color_clicked)
        self.look_color.textChanged.connect(self._on_look_color_text_changed)
        for field, line in (("name", self.name), ("rate", self.rate), ("accent_color", self.look_color),
                            ("logo_url", self.look_logo), (MIN_FEE_RATE_SETTING, self.min_fee_rate)):
            line.textEdited.connect(lambda _t, f=field: self.errors.hide(f))
        self._layout()

    def _layout(self) -> None:
        basics, pay, look = QGroupBox("Store"), QGroupBox("Payments"), QGroupBox("Checkout look")
        f1 = QFormLayout(basics)
        f1.addRow("Name", self.errors.row("name", self.name))
        f1.addRow("Currency", self.errors.row("currency", self.currency))
        f1.addRow("Wallets", self.errors.row("wallet_ids", self.wallets))
        f2 = QFormLayout(pay)
        f2.addRow("Rate source", self.rate_source)
        f2.addRow("Manual rate", self.errors.row("rate", self.rate))
        f2.addRow("Rate spread", self.errors.row("spread", self.spread))
        f2.addRow("Payment speed", self.speed)
        f2.addRow("Invoice expires after", self.errors.row("expiry", self.expiry))
        f2.addRow("Watch for late payments", self.errors.row("monitoring", self.monitoring))
        f2.addRow("Accept underpayment up to", self.errors.row("tolerance", self.tolerance))
        f2.addRow("Minimum fee rate for 0-conf (sat/vB)", self.errors.row(MIN_FEE_RATE_SETTING, self.min_fee_rate))
        f3 = QFormLayout(look)
        f3.addRow("Title", self.look_title)
        color_row = QHBoxLayout()
        color_row.setContentsMargins(0, 0, 0, 0)
        color_row.addWidget(self.look_color, 1)
        color_row.addWidget(self.swatch)
        color_row.addWidget(self.pick_color)
        color_box = QWidget()
        color_box.setLayout(color_row)
        f3.addRow("Accent colour", self.errors.row("accent_color", color_box))
        f3.addRow("Logo URL", self.errors.row("logo_url", self.look_logo))
        f3.addRow("", self.look_dark)
        layout = QVBoxLayout(self)
        layout.addWidget(self.errors.general)
        for box in (basics, pay, look, self._public_box(), self._refunds_box(), self._lightning_box()):
            layout.addWidget(box)
        layout.addStretch(1)

    def _public_box(self) -> QGroupBox:
        box = QGroupBox("Shop page")
        form = QFormLayout(box)
        form.addRow("", self.public_orders)
        form.addRow("Open public invoices at most", self.errors.row(BUDGET_SETTING, self.public_budget))
        note = named(QLabel("Every invoice takes a new address, never reused. When this many invoices from the "
                            "shop page are open and unpaid, it asks shoppers to come back later and you are "
                            "notified once; the limit frees up as they expire or are paid."), "publicBudgetNote")
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        form.addRow(note)
        return box

    def _refunds_box(self) -> QGroupBox:
        box = QGroupBox("Refunds")
        form = QFormLayout(box)
        form.addRow("Approve payouts by themselves up to (sat)", self.errors.row("payouts_auto_approve_sat",
                                                                                   self.auto_approve))
        form.addRow("Refund links last", self.errors.row("refund_link_days", self.link_days))
        return box

    def _lightning_box(self) -> QGroupBox:
        box = QGroupBox("Lightning")
        form = QFormLayout(box)
        form.addRow(self.lightning)
        caption = QLabel("Show the Lightning QR first in the kiosk below", wordWrap=True)
        caption.setBuddy(self.lightning_below)
        form.addRow(caption, self.errors.row(QR_FIRST_BELOW, self.lightning_below))
        form.addRow(self.lightning_note)
        return box

    def set_lightning(self, status: LightningStatus | None) -> None:
        """Whether the shop's node is on (Settings → Lightning): the box is disabled with why while it is off."""
        on = status is not None and status.wallet_id is not None
        self.lightning.setEnabled(on)
        self.lightning_below.setEnabled(on)
        if status is None or not on:
            text = LIGHTNING_OFF
        elif status.info is None:
            text = (f"The Lightning node is not running ({status.problem}). Until it runs, invoices are paid "
                    "on-chain only.")
        elif status.can_receive_sat > 0:
            text = (f"An invoice gets a Lightning invoice when the node can receive its whole amount: now up to "
                    f"{status.can_receive_sat:,} sat.")
        else:
            text = ("The node cannot receive yet (no inbound capacity): open a channel or ask a peer to open one "
                    "to you (Settings → Lightning). Until then invoices are paid on-chain only.")
        self.lightning_note.setText(text)

    def load(self, store: Store, wallets: list[Wallet], sources: list[str], rate: Decimal | None, *,
             has_catalogue: bool = False) -> None:
        self.errors.clear()
        self.name.setText(store.name)
        self.currency.setCurrentText(store.default_currency)
        self.rate.setText(decimal_text(rate) if rate else "")
        self.rate_source.clear()
        self.rate_source.addItems(sources)
        self.rate_source.setCurrentText(store.rate_source)
        self.spread.setValue(float(store.rate_spread_pct))
        index = self.speed.findData(store.speed_policy)
        self.speed.setCurrentIndex(max(index, 0))
        self.expiry.setValue(store.expiry_s // 60)
        self.monitoring.setValue(store.monitoring_s // 3600)
        self.tolerance.setValue(float(store.underpaid_tolerance_pct))
        self.wallets.clear()
        for w in wallets:
            item = QListWidgetItem(f"{w.name} ({w.fingerprint})")
            item.setData(Qt.ItemDataRole.UserRole, w.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if w.id in store.wallet_ids else Qt.CheckState.Unchecked)
            self.wallets.addItem(item)
        look = store.checkout
        self._look = dict(look)
        self.look_title.setText(str(look.get("title", "")))
        self.look_color.setText(str(look.get("accent_color", "")))
        self.look_logo.setText(str(look.get("logo_url", "")))
        self.look_dark.setChecked(bool(look.get("dark", False)))
        minimum = look.get(MIN_FEE_RATE_SETTING)
        self.min_fee_rate.setText(str(minimum) if isinstance(minimum, int | str) and not isinstance(minimum, bool)
                                  else "")
        self._public_default = has_catalogue
        self.public_orders.setChecked(allows_public(look, has_catalogue=has_catalogue))
        budget = look.get(BUDGET_SETTING)
        self.public_budget.setValue(budget if isinstance(budget, int) and not isinstance(budget, bool)
                                    else DEFAULT_BUDGET)
        limit, days = look.get("payouts_auto_approve_sat", 0), look.get("refund_link_days", DEFAULT_LINK_DAYS)
        self.auto_approve.setText(str(limit) if isinstance(limit, int) and limit > 0 else "")
        self.link_days.setValue(days if isinstance(days, int) and not isinstance(days, bool) else DEFAULT_LINK_DAYS)
        options = store_lightning(store)
        self.lightning.setChecked(options.enabled)
        self.lightning_below.setValue(min(options.qr_first_below_sat, MAX_CHANNEL_SAT))

    def changes(self) -> dict[str, Any]:
        wallet_ids = [self.wallets.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.wallets.count())
                      if self.wallets.item(i).checkState() == Qt.CheckState.Checked]
        look = {**self._look, "title": self.look_title.text().strip(),
                "accent_color": self.look_color.text().strip(), "logo_url": self.look_logo.text().strip(),
                "dark": self.look_dark.isChecked()}
        # Written only when set before or changed here: without it the store follows its catalogue.
        if SETTING in self._look or self.public_orders.isChecked() != self._public_default:
            look[SETTING] = self.public_orders.isChecked()
        if BUDGET_SETTING in self._look or self.public_budget.value() != DEFAULT_BUDGET:
            look[BUDGET_SETTING] = self.public_budget.value()
        self._refund_changes(look)
        if LIGHTNING in self._look or self.lightning.isChecked():  # written once set, like the refund options
            look[LIGHTNING] = self.lightning.isChecked()
        if QR_FIRST_BELOW in self._look or self.lightning_below.value():
            look[QR_FIRST_BELOW] = self.lightning_below.value()
        look.pop(MIN_FEE_RATE_SETTING, None)
        if self.min_fee_rate.text().strip():
            look[MIN_FEE_RATE_SETTING] = self._min_fee_rate_text()
        return {
            "name": self.name.text(), "default_currency": self.currency.currentText(),
            "rate_source": self.rate_source.currentText() or "manual",
            "rate_spread_pct": f"{self.spread.value():.2f}", "speed_policy": self.speed.currentData(),
            "expiry_s": self.expiry.value() * 60, "monitoring_s": self.monitoring.value() * 3600,
            "underpaid_tolerance_pct": f"{self.tolerance.value():.2f}", "wallet_ids": wallet_ids,
            "checkout": look,
        }

    def _refund_changes(self, look: dict[str, Any]) -> None:
        """The refund settings into ``look`` (written once set, or when not the default); typed text that is
        not a whole number stays text, for ``clean_refund_options`` to refuse beside the field."""
        text = self.auto_approve.text().strip().replace(" ", "")
        if "payouts_auto_approve_sat" in self._look or text not in ("", "0"):
            look["payouts_auto_approve_sat"] = int(text) if text.isdigit() else (text or 0)
        if "refund_link_days" in self._look or self.link_days.value() != DEFAULT_LINK_DAYS:
            look["refund_link_days"] = self.link_days.value()

    def _min_fee_rate_text(self) -> str:
        """'2.5' for 2,5 or 2.5; anything else as typed, for the store's rule to refuse beside the field."""
        text = self.min_fee_rate.text().strip()
        try:
            return format(parse_amount(text, decimal_point=QLocale().decimalPoint()), "f")
        except ValueError:
            return text

    def check(self, rules: Callable[[Mapping[str, Any]], None]) -> tuple[dict[str, Any], Decimal | None] | None:
        """(changes, manual rate) when every field is valid by ``rules`` (StoreService.check), else None
        with the first error shown beside its field."""
        self.errors.clear()
        changes = self.changes()
        try:
            rate = read_rate(self.rate.text(), changes["default_currency"])
            clean_refund_options(changes["checkout"])
            rules(changes)
        except UserFacingError as exc:
            self.show_error(exc)
            return None
        return changes, rate

    def show_error(self, error: UserFacingError) -> None:
        field = field_of(error)
        self.errors.set(field, error.message)  # a field not in the form: the form's general label
        label = self.findChild(QLabel, f"{field}Error") if self.errors.message(field) else None
        self.errorShown.emit(label if label is not None else self.errors.general)

    def _on_pick_color_clicked(self) -> None:
        current = QColor(self.look_color.text().strip())
        dialog = QColorDialog(current if current.isValid() else QColor("#c62f3a"), self)
        dialog.setObjectName("colorDialog")
        dialog.colorSelected.connect(lambda color: self.look_color.setText(color.name()))
        dialog.open()
        self.color_dialog = dialog

    def _on_look_color_text_changed(self, text: str) -> None:
        color = QColor(text.strip())
        shown = color.name() if text.strip() and color.isValid() and text.strip().startswith("#") else "transparent"
        self.swatch.setStyleSheet(f"background: {shown}; border: 1px solid palette(mid); border-radius: 4px;")
