"""The channels of Settings → Lightning on the REAL LightningService with the node faked in memory
(tests/fake_lightning.py): the table's cells, Open channel… with errors beside the field they name
(typed text, the service's checks, the node's refusal) and the call it makes, Close… and Force close…
asking first (force close says the funds stay locked ~144 blocks) and calling the service, Refresh.

Screenshots: tests/artifacts/ui/lightning-channels-*-800x480.png and -1280x800.png (gitignored)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QScrollArea

from app.chain.errors import LightningError
from app.ui.lightning_view import COLUMNS
from tests.fake_lightning import PEER_ID, PEER_URI, channel
from tests.ui.conftest import click, shots, wait_until
from tests.ui.scenario import settle
from tests.ui.test_settings_lightning import SEED, LightningShop, error_beside, general_error, ln, open_page

__all__ = ["ln"]  # the fixture
pytestmark = pytest.mark.gui


def running_page(ln: LightningShop, qtbot: Any, channels: list[Any]) -> Any:
    hot = ln.run(ln.services.wallets.add_hot_wallet("Till", SEED))
    ln.run(ln.services.lightning.enable(hot.id))
    ln.node.channels = channels
    return open_page(ln, qtbot, lambda p: p.node_id.text())


def to_channels(ln: LightningShop, page: Any) -> None:
    """Scroll Settings → Lightning down to the channels (at 800x480 they are below the node)."""
    ln.run(settle())
    page.findChild(QScrollArea).ensureWidgetVisible(page.channels.status, 0, 10)
    ln.run(settle(0.05))


def cells(view: Any, row: int) -> list[str]:
    return [view.table.item(row, column).text() for column in range(view.table.columnCount())]


def confirm_box(view: Any) -> QMessageBox:
    box = view.confirm_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    return box


def press(box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text() == text)
    button.click()


def test_table_shows_each_channel(ln, qtbot) -> None:
    page = running_page(ln, qtbot, [channel(1, capacity_sat=1_500_000, local_sat=255_432),
                                    channel(2, state="FORCE_CLOSING", capacity_sat=300_000, local_sat=300_000)])
    view = page.channels
    assert [view.table.horizontalHeaderItem(c).text() for c in range(len(COLUMNS))] == [
        "Peer", "State", "Capacity", "Our balance", "Their balance", "Can send", "Can receive"]
    assert cells(view, 0) == ["03cdcdcd…cdcdcdcd", "open", "1,500,000 sat", "255,432 sat", "1,244,568 sat",
                              "245,432 sat", "1,234,568 sat"]
    assert view.table.item(0, 0).toolTip() == PEER_ID
    assert cells(view, 1)[:3] == ["03cdcdcd…cdcdcdcd", "force closing", "300,000 sat"]
    assert not view.empty.isVisibleTo(page)
    assert not view.close_button.isEnabled() and not view.force_button.isEnabled()  # nothing selected
    view.table.selectRow(1)
    assert not view.close_button.isEnabled() and not view.force_button.isEnabled()  # already force closing
    view.table.selectRow(0)
    assert view.close_button.isEnabled() and view.force_button.isEnabled()

    ln.node.channels = [channel(1, capacity_sat=1_500_000, local_sat=1_000_000)]
    click(view, "refreshChannels")
    ln.run(wait_until(lambda: view.table.rowCount() == 1 and cells(view, 0)[3] == "1,000,000 sat", what="refreshed"))
    assert page.receive.text() == "You can receive up to 490,000 sat over Lightning now."
    assert view.selected() is not None and view.selected().channel_id == f"{1:064x}"  # selection kept
    shots(page.window(), "lightning-channels-table", lambda: to_channels(ln, page))


def test_open_channel_errors_beside_fields_then_opens(ln, qtbot) -> None:
    page = running_page(ln, qtbot, [])
    view = page.channels
    assert view.empty.text().startswith("No channels yet. Open one to a peer")
    click(view, "openChannel")
    dialog = view.dialog
    assert dialog.isVisible()
    assert any("usable after 3 confirmations" in label.text() for label in dialog.findChildren(QLabel))

    dialog.peer.setText(PEER_URI)
    dialog.amount.setText("lots")
    dialog.open_button.click()
    assert error_beside(dialog, "amount_sat") == "Enter the amount in whole satoshis, e.g. 500000."
    assert ln.node.opened == []

    dialog.peer.setText("03cdcd@198.51.100.7:9735")  # node id too short: the service refuses beside the peer
    dialog.amount.setText("500 000")
    dialog.open_button.click()
    ln.run(wait_until(lambda: error_beside(dialog, "connect"), what="peer error"))
    assert error_beside(dialog, "connect") == "Give the peer as nodeid@host:port (a 66-character node id)."
    assert error_beside(dialog, "amount_sat") == "" and dialog.open_button.text() == "Open channel"
    shots(dialog, "lightning-open-channel-error", lambda: ln.run(settle()))

    dialog.peer.setText(PEER_URI)
    dialog.amount.setText("10000")
    dialog.open_button.click()
    ln.run(wait_until(lambda: error_beside(dialog, "amount_sat"), what="amount error"))
    assert error_beside(dialog, "amount_sat") == "Amount sat must be 20,000 to 16,777,215 sat."

    dialog.amount.setText("500,000")
    dialog.push.setText("600000")
    dialog.open_button.click()
    ln.run(wait_until(lambda: error_beside(dialog, "push_sat"), what="push error"))
    assert error_beside(dialog, "push_sat") == "Push sat must be 0 to 499,999 sat."

    ln.node.fail_next = LightningError("The peer did not answer at 198.51.100.7:9735.", code="peer_unreachable")
    dialog.push.setText("50000")
    dialog.open_button.click()
    ln.run(wait_until(lambda: general_error(dialog), what="node refusal"))
    assert general_error(dialog) == "The peer did not answer at 198.51.100.7:9735."
    assert ln.node.opened == []

    dialog.open_button.click()
    ln.run(wait_until(lambda: not dialog.isVisible(), what="opened"))
    assert ln.node.opened == [(ln.node.running, PEER_URI, 500_000, 50_000)]
    ln.run(wait_until(lambda: view.table.rowCount() == 1, what="new row"))
    assert cells(view, 0)[1:5] == ["opening (waiting for confirmations)", "500,000 sat", "450,000 sat", "50,000 sat"]
    assert view.status.text().startswith("Opening a channel of 500,000 sat with 03cdcdcd…cdcdcdcd: funding "
                                         "transaction ")
    assert view.status.text().endswith("It is usable after 3 confirmations.")
    view.table.selectRow(0)
    assert not view.close_button.isEnabled()  # not open yet: a cooperative close needs an open channel
    shots(page.window(), "lightning-channels-opening", lambda: to_channels(ln, page))


def test_close_and_force_close_ask_first(ln, qtbot) -> None:
    page = running_page(ln, qtbot, [channel(1, local_sat=400_000), channel(2, local_sat=123_456)])
    view = page.channels
    view.table.selectRow(0)
    click(view, "closeChannel")
    box = confirm_box(view)
    assert box.text() == ("Close the channel with 03cdcdcd…cdcdcdcd? RedWaves and the peer sign one closing "
                          "transaction together; your 400,000 sat return to the wallet once it confirms.")
    press(box, "Cancel")
    ln.run(settle())
    assert ln.node.closed == []

    click(view, "closeChannel")
    press(confirm_box(view), "Close")
    ln.run(wait_until(lambda: ln.node.closed, what="closed"))
    assert ln.node.closed == [(f"{1:064x}", False)]
    ln.run(wait_until(lambda: cells(view, 0)[1] == "closing", what="closing row"))
    assert view.status.text().startswith("Closing; the funds return once it confirms. Channel with "
                                         "03cdcdcd…cdcdcdcd, closing transaction ")

    view.table.selectRow(1)
    click(view, "forceCloseChannel")
    box = confirm_box(view)
    assert "Do this only when the peer does not answer" in box.text()
    assert "your 123,456 sat stay locked for about 144 blocks (about one day)" in box.text()
    box.resize(600, box.sizeHint().height())
    shots(box, "lightning-force-close-confirm", lambda: ln.run(settle()))
    ln.node.fail_next = LightningError("The channel is already closing.", code="channel_not_found")
    press(box, "Force close")
    ln.run(wait_until(lambda: view.error.isVisibleTo(page), what="refusal under the table"))
    assert view.error.text() == "The channel is already closing."

    click(view, "forceCloseChannel")
    press(confirm_box(view), "Force close")
    ln.run(wait_until(lambda: (f"{2:064x}", True) in ln.node.closed, what="force closed"))
    ln.run(wait_until(lambda: cells(view, 1)[1] == "force closing", what="force closing row"))
    assert not view.error.isVisibleTo(page)
    assert view.status.text().startswith("Force closing; the funds return after about 144 blocks.")
