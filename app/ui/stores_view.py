"""Stores: every store setting (currency, rate, speed policy, expiry, monitoring window, tolerance,
wallets, checkout look) with Save / New store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
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
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import RateUnavailable
from app.core.records import Store, Wallet
from app.ui.context import WindowContext
from app.ui.store_form import currency_combo, decimal_text, minutes_spin, speed_combo
from app.ui.widget_names import named


def _pct_spin(name: str) -> QDoubleSpinBox:
    spin = named(QDoubleSpinBox(), name)
    spin.setRange(0, 100)
    spin.setDecimals(2)
    spin.setSuffix(" %")
    return spin


class StoreForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = named(QLineEdit(), "storeName")
        self.currency = currency_combo()
        self.rate = named(QLineEdit(placeholderText="fiat per 1 BTC"), "manualRate")
        self.rate_source = named(QComboBox(), "rateSource")
        self.spread = _pct_spin("spread")
        self.speed = speed_combo()
        self.expiry = minutes_spin(900, minimum=1, maximum=7 * 24 * 60, name="expiry")
        self.monitoring = named(QSpinBox(suffix=" h"), "monitoring")
        self.monitoring.setRange(0, 30 * 24)
        self.tolerance = _pct_spin("tolerance")
        self.wallets = named(QListWidget(), "storeWallets")
        self.wallets.setMaximumHeight(90)
        self.look_title = named(QLineEdit(placeholderText="Shown on the checkout page"), "checkoutTitle")
        self.look_color = named(QLineEdit(placeholderText="#C62F3A"), "checkoutColor")
        self.look_logo = named(QLineEdit(placeholderText="https://… (optional)"), "checkoutLogo")
        self.look_dark = named(QCheckBox("Dark checkout page"), "checkoutDark")
        self.archived = named(QCheckBox("Archived (hidden, no new invoices)"), "archived")
        self._layout()

    def _layout(self) -> None:
        basics, pay, look = QGroupBox("Store"), QGroupBox("Payments"), QGroupBox("Checkout look")
        f1 = QFormLayout(basics)
        f1.addRow("Name", self.name)
        f1.addRow("Currency", self.currency)
        f1.addRow("Wallets", self.wallets)
        f1.addRow("", self.archived)
        f2 = QFormLayout(pay)
        f2.addRow("Rate source", self.rate_source)
        f2.addRow("Manual rate", self.rate)
        f2.addRow("Rate spread", self.spread)
        f2.addRow("Payment speed", self.speed)
        f2.addRow("Invoice expires after", self.expiry)
        f2.addRow("Watch for late payments", self.monitoring)
        f2.addRow("Accept underpayment up to", self.tolerance)
        f3 = QFormLayout(look)
        f3.addRow("Title", self.look_title)
        f3.addRow("Accent colour", self.look_color)
        f3.addRow("Logo URL", self.look_logo)
        f3.addRow("", self.look_dark)
        layout = QVBoxLayout(self)
        for box in (basics, pay, look):
            layout.addWidget(box)
        layout.addStretch(1)

    def load(self, store: Store, wallets: list[Wallet], sources: list[str], rate: Decimal | None) -> None:
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
        self.look_title.setText(str(look.get("title", "")))
        self.look_color.setText(str(look.get("accent_color", "")))
        self.look_logo.setText(str(look.get("logo_url", "")))
        self.look_dark.setChecked(bool(look.get("dark", False)))
        self.archived.setChecked(store.archived)

    def changes(self) -> dict[str, Any]:
        wallet_ids = [self.wallets.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.wallets.count())
                      if self.wallets.item(i).checkState() == Qt.CheckState.Checked]
        return {
            "name": self.name.text(), "default_currency": self.currency.currentText(),
            "rate_source": self.rate_source.currentText() or "manual",
            "rate_spread_pct": f"{self.spread.value():.2f}", "speed_policy": self.speed.currentData(),
            "expiry_s": self.expiry.value() * 60, "monitoring_s": self.monitoring.value() * 3600,
            "underpaid_tolerance_pct": f"{self.tolerance.value():.2f}", "wallet_ids": wallet_ids,
            "checkout": {"title": self.look_title.text().strip(), "accent_color": self.look_color.text().strip(),
                         "logo_url": self.look_logo.text().strip(), "dark": self.look_dark.isChecked()},
            "archived": self.archived.isChecked(),
        }


class StoresView(QWidget):
    storesChanged = Signal(list)  # noqa: N815

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.stores: list[Store] = []
        self.wallets: list[Wallet] = []
        self.list = named(QListWidget(), "storeList")
        self.list.setMaximumWidth(240)
        self.form = StoreForm()
        self.status = named(QLabel(), "storeStatus")
        self.status.setProperty("role", "muted")
        self.save_button = named(QPushButton("Save changes"), "saveStore")
        new_button = named(QPushButton("New store"), "newStore")
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        new_button.clicked.connect(self._on_new_button_clicked)
        title = QLabel("Stores")
        title.setProperty("role", "h1")
        left = QVBoxLayout()
        left.addWidget(self.list)
        left.addWidget(new_button)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.form)
        right = QVBoxLayout()
        right.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        right.addLayout(buttons)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(body, 1)

    def reload(self, select_id: str | None = None) -> None:
        services = self._ctx.services

        async def load() -> tuple[list[Store], list[Wallet]]:
            return await services.stores.list(include_archived=True), await services.wallets.list()

        self._ctx.run(load(), lambda r: self._on_loaded(r, select_id), name="stores")

    def _on_loaded(self, loaded: tuple[list[Store], list[Wallet]], select_id: str | None) -> None:
        stores, wallets = loaded
        shown = self.current_store()
        self.stores, self.wallets = stores, wallets
        current = select_id or (shown.id if shown else None)
        self.list.blockSignals(True)
        self.list.clear()
        for s in stores:
            self.list.addItem(s.name + (" (archived)" if s.archived else ""))
        self.list.blockSignals(False)
        ids = [s.id for s in stores]
        row = ids.index(current) if current in ids else (0 if stores else -1)
        self.list.setCurrentRow(row)
        self._on_list_current_row_changed(row)
        self.storesChanged.emit([s for s in stores if not s.archived])

    def current_store(self) -> Store | None:
        row = self.list.currentRow()
        return self.stores[row] if 0 <= row < len(self.stores) else None

    def _on_list_current_row_changed(self, row: int) -> None:
        store = self.current_store()
        self.form.setEnabled(store is not None)
        self.save_button.setEnabled(store is not None)
        if store is not None:
            self._ctx.run(self._manual_rate(store.default_currency),
                          lambda rate: self.form.load(store, self.wallets, self._sources(), rate), name="store-rate")

    def _sources(self) -> list[str]:
        return list(self._ctx.services.rates.source_names)

    async def _manual_rate(self, currency: str) -> Decimal | None:
        if currency in ("BTC", "SAT"):
            return None
        try:
            return (await self._ctx.services.rates.quote(currency, source="manual")).rate
        except RateUnavailable:
            return None

    def _on_save_button_clicked(self) -> None:
        store = self.current_store()
        if store is None:
            return
        changes = self.form.changes()
        rate = self.form.rate.text().strip()
        services = self._ctx.services

        async def save() -> Store:
            if rate and changes["default_currency"] not in ("BTC", "SAT"):
                await services.rates.set_manual_rate(changes["default_currency"], rate)
            return await services.stores.update(store.id, changes)

        self._ctx.run(save(), self._on_saved, name="store-save", parent=self)

    def _on_saved(self, store: Store) -> None:
        self.status.setText(f"Saved {store.name}.")
        self.reload(store.id)

    def _on_new_button_clicked(self) -> None:
        wallet_ids = [self.wallets[0].id] if self.wallets else []
        self._ctx.run(self._ctx.services.stores.create("New store", wallet_ids=wallet_ids),
                      lambda s: self.reload(s.id), name="store-new", parent=self)
