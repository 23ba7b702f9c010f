"""The window's CSV export has buyer e-mails only when the merchant ticks "Include buyer e-mails"
(off by default, beside Export CSV…): real services on SQLite, the real invoice list offscreen, the
file dialog answered, the bytes on disk read back."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QCheckBox, QFileDialog, QMessageBox, QPushButton, QScrollArea

from app.ui.csv_export import HEADER
from app.ui.invoices_view import InvoiceListView
from tests.conftest import TEST_VPUB
from tests.ui.conftest import (  # noqa: F401 - the UI fixtures, reused here (as tests/kiosk/conftest.py does)
    _collect_after_test,
    _gui_thread_gc,
    _theme,
    qloop,
    shop,
    shots,
    wait_until,
)

pytestmark = pytest.mark.gui

BUYER = "alice.buyer@example.com"


def _invoices(shop) -> list:  # noqa: F811 - the fixture's name
    async def go():
        services = shop.services
        wallet = await services.wallets.add_wallet("main", TEST_VPUB)
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        store = await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])
        return [await services.invoices.create(store.id, price="12.50", buyer_email=BUYER, order_id="A-1"),
                await services.invoices.create(store.id, price="3.00", description="=HYPERLINK(\"http://x\")")]

    return shop.run(go())


def _export(shop, view: InvoiceListView, path) -> list[dict[str, str]]:  # noqa: F811
    """Click Export CSV…, answer the file dialog with ``path``, wait for "Export finished"."""
    view.findChild(QPushButton, "exportCsv").click()
    dialogs = [d for d in view.findChildren(QFileDialog, "exportDialog") if d.isVisible()]
    assert len(dialogs) == 1, dialogs
    dialog = dialogs[0]
    dialog.selectFile(str(path))
    dialog.accept()
    shop.run(wait_until(lambda: any(isinstance(w, QMessageBox) and w.isVisible() and "invoices written" in w.text()
                                    for w in view.findChildren(QMessageBox)), what="export finished"))
    for box in view.findChildren(QMessageBox):
        box.close()
    dialog.close()
    dialog.deleteLater()
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_the_export_has_buyer_emails_only_when_ticked(shop, qtbot, tmp_path):  # noqa: F811 - fixture
    paid_for, other = _invoices(shop)
    view = InvoiceListView(shop.ctx)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.apply_filters()
    shop.run(wait_until(lambda: view.model.rowCount() == 2, what="two invoices listed"))
    box = view.findChild(QCheckBox, "exportBuyerEmails")
    assert box is not None and box.text() == "Include buyer e-mails" and box.isVisible()
    assert not box.isChecked()  # off by default
    page = QScrollArea()  # as the main window shows a view: in a resizable scroll area
    page.setWidgetResizable(True)
    page.setWidget(view)
    qtbot.addWidget(page)
    page.show()
    for path in shots(page, "invoices-export", settle=lambda: shop.run(asyncio.sleep(0.2))):
        assert path.stat().st_size > 0
    assert box.isVisible() and box.width() >= box.minimumSizeHint().width()  # not clipped at 1280x800
    page.resize(800, 480)
    shop.run(asyncio.sleep(0.2))
    assert not page.horizontalScrollBar().isVisible()  # the small screen: stacked, no sideways scrolling
    assert box.width() >= box.minimumSizeHint().width()

    rows = _export(shop, view, tmp_path / "without.csv")
    assert "buyer_email" not in rows[0]  # the column is absent, not empty
    assert BUYER.encode() not in (tmp_path / "without.csv").read_bytes()
    assert {r["id"] for r in rows} == {paid_for.id, other.id}
    assert list(rows[0]) == [c for c in HEADER if c != "buyer_email"]

    box.setChecked(True)
    rows = _export(shop, view, tmp_path / "with.csv")
    assert list(rows[0]) == list(HEADER)
    by_id = {r["id"]: r for r in rows}
    assert by_id[paid_for.id]["buyer_email"] == BUYER and by_id[other.id]["buyer_email"] == ""
    assert by_id[other.id]["description"] == "'=HYPERLINK(\"http://x\")"  # a spreadsheet shows it, never runs it


def test_the_export_says_who_sold_and_the_tip(shop, qtbot, tmp_path):  # noqa: F811 - fixture
    async def go():
        services = shop.services
        wallet = await services.wallets.add_wallet("main", TEST_VPUB)
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        store = await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])
        cashier = await services.staff.add("Ana", "cashier", "4711", store_ids=[store.id])
        await services.invoices.create(store.id, price="11.00", tip=Decimal("1.00"),
                                       actor=services.staff.actor_of(cashier))
        await services.invoices.create(store.id, price="3.00")

    shop.run(go())
    view = InvoiceListView(shop.ctx)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.apply_filters()
    shop.run(wait_until(lambda: view.model.rowCount() == 2, what="two invoices listed"))
    rows = sorted(_export(shop, view, tmp_path / "sales.csv"), key=lambda r: Decimal(r["price"]))
    assert [(r["created_by"], r["terminal"], r["tip"]) for r in rows] == [("", "", ""), ("Ana", "", "1.00")]
