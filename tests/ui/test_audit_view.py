"""Settings → Audit log on the real AuditLog (SQLite): rows of real actions, the person / terminal / store /
date filters, Export CSV through AuditLog.export_csv, and nothing on the page edits a row."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QAbstractItemView, QFileDialog

from app.ui.audit_view import AuditPage
from tests.ui.conftest import shots
from tests.ui.staff_shop import StaffShop, cells, error_beside, in_tabs, staff_shop_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui


def open_page(shop: StaffShop, qtbot: Any) -> AuditPage:
    s = shop.services
    page = AuditPage(s.audit, s.staff, s.terminals, s.stores, lambda: shop.ctx.actor, shop.ctx.run)
    in_tabs(qtbot, page, "Audit log")
    page.reload()
    shop.wait(lambda: page.store.count() > 1, "filters loaded")
    return page


def pick(combo: Any, text: str) -> None:
    combo.setCurrentIndex(combo.findText(text))


def test_rows_filters_and_csv_export(staff_shop: StaffShop, qtbot: Any, tmp_path: Path) -> None:
    shop = staff_shop
    s = shop.services
    ada = shop.add("Ada", "owner")
    ada_actor = s.staff.actor_of(ada)
    ben = shop.run(s.staff.add("Ben", "cashier", "1234", store_ids=[shop.store.id], actor=ada_actor))
    terminal, code = shop.run(s.terminals.add("Counter", shop.store.id, [ben.id], actor=ada_actor))
    shop.run(s.staff.check_pin(ben.id, "0000"))  # a wrong PIN: login.failed
    page = open_page(shop, qtbot)
    shop.wait(lambda: page.table.rowCount() >= 4, "rows shown")
    rows = cells(page.table)
    actions = [r[3] for r in rows]
    assert actions[:3] == ["failed to log in", "added a terminal", "added a person"]
    assert rows[1][1] == "Ada" and rows[1][4] == "terminal Counter" and rows[2][4] == "person Ben"
    assert "Ben" in rows[2][5] and "cashier" in rows[2][5]
    assert page.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert page.count.text().endswith("entries")
    shots(page.window(), "settings-audit-log", shop.settle)

    pick(page.person, "Ada")
    shop.wait(lambda: all(r[1] == "Ada" for r in cells(page.table)), "person filter")
    assert {r[3] for r in cells(page.table)} == {"added a person", "added a terminal"}
    pick(page.person, "All")
    pick(page.store, "Harbour Kiosk")
    shop.wait(lambda: page.count.text() == "No entries match these filters.", "store filter")
    pick(page.store, "All")
    yesterday = date.today() - timedelta(days=1)
    page.until.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    shop.wait(lambda: page.table.rowCount() == 0, "dates before today")
    page.since.setDate(QDate.currentDate())  # after the last day: said beside the field
    assert error_beside(page, "until") == "The last day is before the first one."
    page.until.setDate(QDate.currentDate())
    shop.wait(lambda: page.table.rowCount() >= 4, "today again")

    pick(page.person, "Ada")
    page.export_button.click()
    assert isinstance(page.export_dialog, QFileDialog) and page.export_dialog.isVisible()
    page.export_dialog.reject()
    out = tmp_path / "audit.csv"
    page.export_to(out)
    shop.wait(lambda: page.status.text().startswith("Saved"), "exported")
    with out.open(newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert page.status.text() == f"Saved {len(exported)} entries to {out}."
    assert {r["action"] for r in exported} == {"staff.add", "terminal.add"}
    assert {r["person_name"] for r in exported} == {"Ada"}
