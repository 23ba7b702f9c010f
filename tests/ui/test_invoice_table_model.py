"""InvoiceTableModel without widgets: lazy paging, row-level refresh, new rows, roles."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QModelIndex, Qt

from app.core.statuses import InvoiceStatus
from app.ui.invoice_table_model import COL_ID, COL_STATUS, COLUMNS, InvoiceRole, InvoiceTableModel
from app.ui.queries import InvoiceQuery
from app.ui.tasks import TaskOwner
from app.ui.theme import status_color
from tests.ui.conftest import run, wait_until
from tests.ui.fakes import FakeInvoices, make_invoice


def _model(invoices: FakeInvoices, page_size: int = 200) -> InvoiceTableModel:
    return InvoiceTableModel(lambda q, o, n: invoices.list(q, offset=o, limit=n), invoices.get, TaskOwner("t"),
                             page_size=page_size)


def _load(qloop, model: InvoiceTableModel, query: InvoiceQuery | None = None) -> None:
    model.set_query(query or InvoiceQuery())
    run(qloop, wait_until(lambda: not model.loading, what="first page"))


def test_first_page_only_then_fetch_more(qloop):
    invoices = FakeInvoices(1000)
    model = _model(invoices)
    _load(qloop, model)
    assert model.rowCount() == 200 and model.total == 1000
    assert model.columnCount() == len(COLUMNS)
    assert invoices.list_calls == [(0, 200)]
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert not model.canFetchMore(QModelIndex())  # one page at a time
    run(qloop, wait_until(lambda: model.rowCount() == 400, what="second page"))
    assert invoices.list_calls[-1] == (200, 200)
    assert model.invoice_at(0).id == "inv000000" and model.invoice_at(399).id == "inv000399"


def test_refresh_ids_replaces_only_affected_rows(qloop):
    invoices = FakeInvoices(50)
    model = _model(invoices)
    _load(qloop, model)
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda top, bottom, _roles=(): changed.append((top.row(), bottom.row())))
    invoices.set_status("inv000007", InvoiceStatus.PAID)
    model.refresh_ids(["inv000007", "not-loaded"])
    run(qloop, wait_until(lambda: changed, what="dataChanged"))
    assert changed == [(7, 7)]
    assert invoices.get_calls == ["inv000007"]  # ids the model does not hold are not fetched
    assert model.index(7, COL_STATUS).data() == "Paid (unconfirmed)"
    assert model.index(7, COL_STATUS).data(Qt.ItemDataRole.ForegroundRole) == status_color(InvoiceStatus.PAID)


def test_new_invoice_goes_on_top_only_if_it_matches(qloop):
    invoices = FakeInvoices(3)
    model = _model(invoices)
    _load(qloop, model, InvoiceQuery(store_id="sto_a"))
    other = make_invoice(99, store_id="sto_b")
    mine = make_invoice(98, created_at=make_invoice(0).created_at.replace(year=2027))
    invoices.items[other.id] = other
    invoices.items[mine.id] = mine
    model.add_created(other.id)
    model.add_created(mine.id)
    run(qloop, wait_until(lambda: model.rowCount() == 4, what="insert"))
    run(qloop, asyncio.sleep(0.05))
    assert model.rowCount() == 4 and model.invoice_at(0).id == mine.id and model.total == 4


def test_stale_page_after_filter_change_is_dropped(qloop):
    invoices = FakeInvoices(10)
    model = _model(invoices)
    model.set_query(InvoiceQuery())
    model.set_query(InvoiceQuery(text="order-3"))
    run(qloop, wait_until(lambda: not model.loading and model.pages_loaded >= 1, what="load"))
    run(qloop, asyncio.sleep(0.05))
    assert [model.invoice_at(r).id for r in range(model.rowCount())] == ["inv000003"]


def test_roles(qloop):
    invoices = FakeInvoices(1)
    model = _model(invoices)
    _load(qloop, model)
    index = model.index(0, COL_ID)
    assert index.data() == "inv000000"
    assert index.data(InvoiceRole).id == "inv000000"
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "bcrt1qaddress0"
    assert model.index(0, COL_STATUS).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.headerData(COL_STATUS, Qt.Orientation.Horizontal) == "Status"
