"""Stores: every store setting (StoreForm: currency, rate, speed policy, expiry, monitoring window,
tolerance, wallets, checkout look) with Save / New store / Archive (asks first) / Restore.

The list shows the active stores; "Show archived" adds the archived ones (marked), which can be
restored. Save validates the whole form first (errors beside their fields) and writes only then.
"""

from __future__ import annotations

from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import RateUnavailable, UserFacingError
from app.core.records import Store, Wallet
from app.ui.context import WindowContext
from app.ui.dialogs import confirm
from app.ui.store_form import StoreForm
from app.ui.widget_names import named

__all__ = ["StoreForm", "StoresView"]


class StoresView(QWidget):
    storesChanged = Signal(list)  # noqa: N815  # the active stores

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.stores: list[Store] = []
        self.wallets: list[Wallet] = []
        self.list = named(QListWidget(), "storeList")
        self.list.setMaximumWidth(200)
        self.show_archived = named(QCheckBox("Show archived"), "showArchivedStores")
        self.form = StoreForm()
        self.status = named(QLabel(), "storeStatus")
        self.status.setProperty("role", "muted")
        self.save_button = named(QPushButton("Save changes"), "saveStore")
        self.archive_button = named(QPushButton("Archive store…"), "archiveStore")
        new_button = named(QPushButton("New store"), "newStore")
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.show_archived.toggled.connect(lambda _on: self.reload())
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.archive_button.clicked.connect(self._on_archive_button_clicked)
        new_button.clicked.connect(self._on_new_button_clicked)
        title = QLabel("Stores")
        title.setProperty("role", "h1")
        left = QVBoxLayout()
        left.addWidget(self.list)
        left.addWidget(self.show_archived)
        left.addWidget(new_button)
        scroll = self.form_scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.form)
        self.form.errorShown.connect(lambda label: scroll.ensureWidgetVisible(label, 0, 40))
        right = QVBoxLayout()
        right.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.archive_button)
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
        every, wallets = loaded
        shown = self.current_store()
        stores = every if self.show_archived.isChecked() else [s for s in every if not s.archived]
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
        self.storesChanged.emit([s for s in every if not s.archived])

    def current_store(self) -> Store | None:
        row = self.list.currentRow()
        return self.stores[row] if 0 <= row < len(self.stores) else None

    def _on_list_current_row_changed(self, _row: int) -> None:
        store = self.current_store()
        self.form.setEnabled(store is not None and not store.archived)
        self.save_button.setEnabled(store is not None and not store.archived)
        self.archive_button.setEnabled(store is not None)
        self.archive_button.setText("Restore" if store is not None and store.archived else "Archive store…")
        if store is not None:
            self._ctx.run(self._ctx.services.lightning.status(), self.form.set_lightning, name="store-lightning")
            self._ctx.run(self._form_data(store),
                          lambda data: self.form.load(store, self.wallets, self._sources(), data[0],
                                                      has_catalogue=data[1]), name="store-rate")

    def _sources(self) -> list[str]:
        return list(self._ctx.services.rates.source_names)

    async def _form_data(self, store: Store) -> tuple[Decimal | None, bool]:
        """The manual rate and whether the store has a catalogue (its shop page takes orders by default)."""
        return await self._manual_rate(store.default_currency), bool(await self._ctx.services.products.list(store.id))

    async def _manual_rate(self, currency: str) -> Decimal | None:
        if currency in ("BTC", "SAT"):
            return None
        try:
            return (await self._ctx.services.rates.quote(currency, source="manual")).rate
        except RateUnavailable:
            return None

    def _on_save_button_clicked(self) -> None:
        store = self.current_store()
        services = self._ctx.services
        checked = self.form.check(services.stores.check) if store is not None else None
        if store is None or checked is None:
            self.status.setText("")
            return
        changes, rate = checked
        self.save_button.setEnabled(False)

        async def save() -> Store:
            if rate is not None:
                await services.rates.set_manual_rate(changes["default_currency"], rate)
            return await services.stores.update(store.id, changes, actor=self._ctx.actor)

        self._ctx.run(save(), self._on_saved, name="store-save", on_user_error=self._on_save_failed)

    def _on_saved(self, store: Store) -> None:
        self.save_button.setEnabled(True)
        self.status.setText(f"Saved {store.name}.")
        self.reload(store.id)

    def _on_save_failed(self, error: UserFacingError) -> None:
        self.save_button.setEnabled(True)
        self.status.setText("")
        self.form.show_error(error)

    def _on_archive_button_clicked(self) -> None:
        store = self.current_store()
        if store is None:
            return
        if store.archived:
            self._run_archive(self._ctx.services.stores.restore(store.id, actor=self._ctx.actor),
                              f"Restored {store.name}.")
            return
        self.confirm_box = confirm(
            self, "Archive store",
            f"Archive “{store.name}”? It disappears from the store lists and its public store page; its invoices "
            "are kept. You can restore it with “Show archived”.",
            lambda: self._run_archive(self._ctx.services.stores.archive(store.id, actor=self._ctx.actor),
                                      f"Archived {store.name}."),
            yes_text="Archive")

    def _run_archive(self, coro: Coroutine[Any, Any, Store], message: str) -> None:
        def done(store: Store) -> None:
            self.status.setText(message)
            self.reload(store.id)

        self._ctx.run(coro, done, name="store-archive", parent=self)

    def _on_new_button_clicked(self) -> None:
        wallet_ids = [self.wallets[0].id] if self.wallets else []
        self._ctx.run(self._ctx.services.stores.create("New store", wallet_ids=wallet_ids, actor=self._ctx.actor),
                      lambda s: self.reload(s.id), name="store-new", parent=self)
