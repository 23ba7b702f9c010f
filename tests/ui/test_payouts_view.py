"""The Payouts view on GUI fakes (real payout transitions and address rules, tests/ui/fakes_refunds.py):
the list and its filter, New payout with the address checked beside the field, Approve several,
Cancel, Pay now with a fee choice (one transaction for a batch), Bump fee, PSBT export (file bytes,
base64 copied) and import (paste or file; a mismatch shown beside the text), events refreshing states."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from app.core.errors import ValidationError
from app.core.payouts import FeeChoice, PayoutStatus
from app.services.events import OutboxEvent
from app.ui.payouts_new import NewPayoutDialog
from app.ui.payouts_pay import FeeDialog
from app.ui.payouts_view import COLUMNS, PayoutsView
from app.ui.psbt_dialog import PsbtExportDialog, PsbtImportDialog
from tests.ui.conftest import run, shots, wait_until
from tests.ui.fakes import FakeServices, fake_context, make_store
from tests.ui.fakes_refunds import (
    FAKE_PSBT,
    FakeBalances,
    FakePayouts,
    FakePayoutServices,
    FakeStoreList,
    FakeWallets,
    make_wallet,
)

pytestmark = pytest.mark.gui
A1 = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
A2 = "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk"
MAINNET = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


@pytest.fixture
def env(qloop, qtbot, tmp_path):
    payouts = FakePayouts()
    store = replace(make_store(currency="USD"), wallet_ids=("wal_hot", "wal_cold"))
    services = FakePayoutServices(payouts, FakeWallets(make_wallet("wal_hot", "Till", "seed"),
                                                       make_wallet("wal_cold", "Ledger", "xpub")),
                                  FakeStoreList(store), FakeBalances({"wal_hot": (500000, 20000)}))
    base = FakeServices()
    ctx = fake_context(tmp_path, base)
    ctx = replace(ctx, services=services)
    view = PayoutsView(ctx)
    qtbot.addWidget(view)
    view.show()
    base.events.subscribers.clear()
    ctx.bridge.start()
    view.events = base.events  # type: ignore[attr-defined]
    return view, payouts, ctx


def _load(qloop, view: PayoutsView) -> None:
    view.reload()
    run(qloop, wait_until(lambda: not view._ctx.tasks, what="payouts loaded"))


def _idle(qloop, view) -> None:
    run(qloop, wait_until(lambda: not view._ctx.tasks, what="idle"))


def test_list_filter_and_approve_several(qloop, env):
    view, payouts, _ctx = env
    a = payouts.add("wal_hot", A1, 15000, PayoutStatus.AWAITING_APPROVAL, label="supplier")
    b = payouts.add("wal_hot", A2, 25000, PayoutStatus.AWAITING_APPROVAL)
    payouts.add("wal_cold", A1, 9000, PayoutStatus.CONFIRMED)
    _load(qloop, view)
    assert view.table.rowCount() == 3 and view.count.text() == "3 payouts"
    view.state.setCurrentIndex(view.state.findData("awaiting_approval"))
    _idle(qloop, view)
    assert view.table.rowCount() == 2
    assert {view.table.item(r, 4).text() for r in range(2)} == {"Awaiting approval"}
    view.select_ids([a.id, b.id])
    assert view.buttons["approve"].isEnabled() and not view.buttons["pay"].isEnabled()
    view.buttons["approve"].click()
    _idle(qloop, view)
    assert ("approve", (b.id, a.id)) in payouts.calls or ("approve", (a.id, b.id)) in payouts.calls
    assert view.message.text() == "Approved 2 payouts."
    view.state.setCurrentIndex(0)
    _idle(qloop, view)
    shots(view, "payouts-list")


def test_new_payout_checks_the_address_beside_the_field(qloop, qtbot, env):
    view, payouts, ctx = env
    _load(qloop, view)
    view.buttons["new"].click()
    dialog = view.dialog
    assert isinstance(dialog, NewPayoutDialog)
    assert [dialog.wallet.itemText(i) for i in range(dialog.wallet.count())] == [
        "Till (hot wallet)", "Ledger (watch-only: sign a PSBT)"]
    dialog.destination.setText(MAINNET)
    dialog._on_destination_text_edited(MAINNET)
    assert dialog.errors.message("destination") == "This is not a regtest Bitcoin address (it is for another network)."
    dialog.amount.setText("0,0015")
    dialog.submit()
    assert not [c for c in payouts.calls if c[0] == "create"]  # refused before the service
    shots(dialog, "payout-new-error")
    dialog.destination.setText(A1)
    dialog.label.setText("coffee beans")
    dialog.submit()
    _idle(qloop, view)
    assert ("create", ("sto_a", "wal_hot", A1, 150000, "coffee beans", "window")) in payouts.calls
    _idle(qloop, view)
    assert view.table.rowCount() == 1 and "created: awaiting approval" in view.message.text()


def test_pay_now_batches_approved_payouts_with_the_fee_chosen(qloop, env):
    view, payouts, _ctx = env
    ids = [payouts.add("wal_hot", A1 if i % 2 else A2, 10000 + i, PayoutStatus.APPROVED).id for i in range(3)]
    _load(qloop, view)
    view.select_ids(ids)
    assert view.buttons["pay"].isEnabled() and not view.buttons["export"].isEnabled()
    view.buttons["pay"].click()
    dialog = view.dialog
    assert isinstance(dialog, FeeDialog)
    _idle(qloop, view)
    assert dialog.radios["next_block"].text() == "Next block: 20 sat/vB"
    assert dialog.radios["day"].text() == "Within a day: 2 sat/vB"
    # coin control before signing: the planned transaction at "within an hour" (8 sat/vB)
    order = tuple(p.id for p in dialog.chosen)  # as listed: newest first
    assert set(order) == set(ids)
    assert payouts.calls[-1] == ("plan", (order, FeeChoice("hour")))
    assert dialog.plan is not None and dialog.action.isEnabled()
    coin = payouts.coins[0]
    assert dialog.inputs.rowCount() == 1
    assert dialog.inputs.item(0, 0).text() == f"{coin.txid[:8]}…{coin.txid[-8:]}:0"
    assert dialog.inputs.item(0, 1).text() == "0.00150000 BTC"
    assert dialog.inputs.item(0, 0).toolTip() == f"{coin.txid}:0 at bcrt1qcoin0"
    fee_sat = 8 * (11 + 68 + 31 * 4)
    change = 150_000 - 30_003 - fee_sat
    assert [dialog.outputs.item(r, 0).text() for r in range(4)] == [A2, A1, A2, "change: bcrt1qchange"]
    assert dialog.outputs.item(3, 1).text() == f"0.00{change:06d} BTC"
    assert dialog.change.text() == f"0.00{change:06d} BTC to bcrt1qchange"
    assert dialog.fee_line.text() == f"0.0000{fee_sat} BTC (8.00 sat/vB, {fee_sat // 8} vB)"
    assert dialog.plan_state.text() == "Spends 1 coin, 0.00150000 BTC; nothing is signed until you confirm."
    assert dialog.funds.text() == ("Till holds 0.00500000 BTC confirmed and 0.00020000 BTC unconfirmed; this sends "
                                   "0.00030003 BTC plus the fee.")
    shots(dialog, "payout-pay-fee")
    # a fee needing more coins: planned again when the choice changes, two inputs shown
    payouts.coins[0] = replace(coin, amount_sat=30_000)
    dialog.choose("next_block")
    assert not dialog.action.isEnabled()  # the shown plan is stale until the new one arrives
    _idle(qloop, view)
    assert payouts.calls[-1] == ("plan", (order, FeeChoice("next_block")))
    assert dialog.inputs.rowCount() == 2 and "Spends 2 coins, 0.00180000 BTC" in dialog.plan_state.text()
    shots(dialog, "payout-pay-plan")
    dialog.choose("custom", "abc")
    assert "sat/vB" in dialog.plan_state.text() and not dialog.action.isEnabled()
    dialog.submit()
    assert "sat/vB" in dialog.errors.message("fee") and not [c for c in payouts.calls if c[0] == "pay_hot"]
    dialog.choose("custom", "3,5")
    _idle(qloop, view)
    assert payouts.calls[-1] == ("plan", (order, FeeChoice("custom", Decimal("3.5"))))
    planned = dialog.plan
    assert planned is not None
    dialog.submit()
    _idle(qloop, view)
    call = next(c for c in payouts.calls if c[0] == "pay_hot")  # pays exactly what was shown
    assert call[1] == (order, FeeChoice("custom", Decimal("3.5")), planned.outpoints)
    assert "3 payouts in one transaction" in view.message.text()
    assert {view.table.item(r, 4).text() for r in range(3)} == {"Broadcast"}
    # a stuck broadcast payout: Bump fee
    view.select_ids([ids[0]])
    assert view.buttons["bump"].isEnabled()
    view.buttons["bump"].click()
    bump = view.dialog
    assert isinstance(bump, FeeDialog)
    _idle(qloop, view)
    bump.choose("next_block")
    bump.submit()
    _idle(qloop, view)
    assert ("bump_fee", ("ptx000", FeeChoice("next_block"))) in payouts.calls
    assert "Replaced by" in view.message.text()


def test_service_refusal_is_shown_in_the_fee_dialog(qloop, env):
    view, payouts, _ctx = env
    pid = payouts.add("wal_hot", A1, 10000, PayoutStatus.APPROVED).id
    _load(qloop, view)
    view.select_ids([pid])
    view.buttons["pay"].click()
    dialog = view.dialog
    _idle(qloop, view)
    payouts.fail_next = ValidationError("The wallet has 0.0001 BTC confirmed: not enough for 0.0001 BTC and the fee.",
                                        code="insufficient_funds")
    dialog.submit()
    _idle(qloop, view)
    assert "not enough" in dialog.errors.message(None) and dialog.action.isEnabled()


def test_psbt_export_and_import(qloop, env, tmp_path):
    view, payouts, _ctx = env
    ids = [payouts.add("wal_cold", A1, 30000, PayoutStatus.APPROVED).id,
           payouts.add("wal_cold", A2, 20000, PayoutStatus.APPROVED).id]
    _load(qloop, view)
    view.select_ids(ids)
    assert view.buttons["export"].isEnabled() and not view.buttons["pay"].isEnabled()
    view.buttons["export"].click()
    fee = view.dialog
    assert isinstance(fee, FeeDialog)
    _idle(qloop, view)
    fee.submit()  # within an hour
    run(qloop, wait_until(lambda: isinstance(view.dialog, PsbtExportDialog), what="export shown"))
    export = view.dialog
    assert isinstance(export, PsbtExportDialog)
    assert export.text.toPlainText() == FAKE_PSBT and export.qr.text_value == FAKE_PSBT
    saved = export.save_to(tmp_path / "out.psbt")
    assert saved.read_bytes() == base64.b64decode(FAKE_PSBT)
    export.findChild(QPushButton, "psbtCopy").click()
    assert QGuiApplication.clipboard().text() == FAKE_PSBT
    shots(export, "psbt-export")
    export.accept()
    _idle(qloop, view)
    assert {view.table.item(r, 4).text() for r in range(2)} == {"Transaction built"}
    view.select_ids([ids[0]])
    assert view.buttons["import"].isEnabled()
    view.buttons["import"].click()
    imp = view.dialog
    assert isinstance(imp, PsbtImportDialog)
    assert imp.findChild(QPushButton, "psbtBroadcast") is not None
    imp.text.setPlainText("not base64 !!")
    imp.submit()
    assert "base64" in imp.errors.message("psbt")
    payouts.fail_next = ValidationError("The signed PSBT pays 0.0003 BTC to another address than approved.",
                                        code="psbt_mismatch", field="psbt")
    imp.text.setPlainText(FAKE_PSBT)
    imp.submit()
    _idle(qloop, view)
    assert "another address" in imp.errors.message("psbt")
    shots(imp, "psbt-import-mismatch")
    (tmp_path / "signed.psbt").write_bytes(b"psbt\xff\x01\x02")
    imp.load_file(tmp_path / "signed.psbt")
    assert "binary PSBT" in imp.source.text()
    imp.submit()
    _idle(qloop, view)
    assert payouts.calls[-1] == ("import_psbt", ("ptx000", b"psbt\xff\x01\x02"))
    _idle(qloop, view)
    assert "Signed PSBT accepted" in view.message.text()


def test_events_refresh_the_states(qloop, env):
    view, payouts, ctx = env
    pid = payouts.add("wal_hot", A1, 10000, PayoutStatus.APPROVED).id
    _load(qloop, view)
    assert view.table.item(0, 4).text() == "Approved"
    payouts._set(pid, PayoutStatus.CANCELLED)
    view.events.publish(OutboxEvent(1, "payout.cancelled", None, "sto_a", {"payout_id": pid}, datetime.now(UTC)))
    run(qloop, wait_until(lambda: view.table.item(0, 4).text() == "Cancelled", what="state followed the event"))


def test_a_settling_payout_shows_its_confirmations_and_follows_new_blocks(qloop, env):
    from app.chain.models import ChainState

    view, payouts, ctx = env
    view.resize(1280, 800)
    settling = payouts.add("wal_hot", A1, 10000, PayoutStatus.BROADCAST, tx_id="ptx9")
    payouts.items[settling.id] = replace(settling, confirmations=2)
    final = payouts.add("wal_hot", A2, 20000, PayoutStatus.CONFIRMED, tx_id="ptx8")
    payouts.items[final.id] = replace(final, confirmations=7)
    _load(qloop, view)
    column = COLUMNS.index("Confirmations")
    shown = {view.table.item(r, 1).text(): (view.table.item(r, 4).text(), view.table.item(r, column).text())
             for r in range(2)}
    assert shown == {A1: ("Broadcast", "2 of 6"), A2: ("Confirmed", "7")}
    assert view.table.horizontalHeaderItem(column).text() == "Confirmations"
    shots(view, "payouts-settling")
    # a new block: the list is read again (no payout event is written below the settled depth)
    payouts.items[settling.id] = replace(payouts.items[settling.id], confirmations=3)
    state = ChainState(connected=True, server="devnet", tip_height=103, synced=True, pending_requests=0, error=None)
    ctx.bridge.chainStateChanged.emit(state)
    run(qloop, wait_until(lambda: any(view.table.item(r, column).text() == "3 of 6" for r in range(2)),
                          what="confirmations followed the tip"))
