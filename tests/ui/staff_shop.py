"""A shop with people for the staff, terminals, audit and lock tests: real services on SQLite
(tests/ui/shop_services.py ``ui_context``), a store or two, and helpers to drive the pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QTabWidget, QWidget

from tests.conftest import TEST_VPUB
from tests.services.conftest import FakeChain
from tests.ui.conftest import run, wait_until
from tests.ui.scenario import settle
from tests.ui.shop_services import ui_context

OWNER_PASSWORD = "correct horse battery"


@dataclass
class StaffShop:
    ctx: Any
    loop: Any
    store: Any
    other: Any
    chain: Any = None

    @property
    def services(self) -> Any:
        return self.ctx.services

    def run(self, coro: Any) -> Any:
        return run(self.loop, coro)

    def wait(self, predicate: Any, what: str) -> None:
        self.run(wait_until(predicate, what=what))

    def settle(self, seconds: float = 0.15) -> None:
        self.run(settle(seconds))

    def add(self, name: str, role: str, pin: str = "1234", *, stores: Any = None, password: str | None = None) -> Any:
        store_ids = [self.store.id] if stores is None and role != "owner" else (stores or [])
        return self.run(self.services.staff.add(name, role, pin, store_ids=store_ids, password=password))


@pytest.fixture(name="staff_shop")
def staff_shop_fixture(qloop: Any, tmp_path: Path) -> Iterator[StaffShop]:
    """``staff_shop``: import ``staff_shop_fixture`` into a test module to use it."""
    yield from open_staff_shop(qloop, tmp_path, FakeChain())


def open_staff_shop(qloop: Any, tmp_path: Path, chain: Any) -> Iterator[StaffShop]:
    """The shop with two stores (``chain`` None: no chain at all, as the whole window can run)."""
    with ui_context(qloop, tmp_path, chain) as ctx:
        services = ctx.services
        wallet = run(qloop, services.wallets.add_wallet("main", TEST_VPUB))
        store = run(qloop, services.stores.create("Corner Café", default_currency="EUR", wallet_ids=[wallet.id]))
        other = run(qloop, services.stores.create("Harbour Kiosk", default_currency="EUR", wallet_ids=[wallet.id]))
        yield StaffShop(ctx, qloop, store, other, chain)


def in_tabs(qtbot: Any, page: QWidget, title: str) -> QTabWidget:
    """``page`` as a Settings tab at 1280x800 (kept alive on the page)."""
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(page, title)
    tabs.resize(1280, 800)
    tabs.show()
    page.holder = tabs  # type: ignore[attr-defined]
    return tabs


def error_beside(widget: QWidget, field: str) -> str:
    label = widget.findChild(QLabel, f"{field}Error")
    assert label is not None and label.property("role") == "error", field
    return label.text() if not label.isHidden() else ""


def general_error(widget: QWidget) -> str:
    label = widget.findChild(QLabel, "formError")
    return label.text() if label is not None and not label.isHidden() else ""


def cells(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def accept(box: QMessageBox | None) -> str:
    """Press the confirmation's yes button; returns the question it asked."""
    assert box is not None and box.isVisible()
    text = box.text()
    yes = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
    yes.click()
    return text
