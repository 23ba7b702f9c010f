"""Settings → Lightning and the store form's Lightning box, on the REAL LightningService and wallets
(SQLite), with the node faked in memory (tests/fake_lightning.py): what the page says without a hot
wallet, adding one from its seed (errors beside the seed), Turn on, node id and connect string with Copy,
inbound liquidity in words, Turn off refused beside the control while channels are open; the store's
Lightning options disabled with why while Lightning is off, then saved with the store.

Screenshots: tests/artifacts/ui/settings-lightning-*-800x480.png and -1280x800.png (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QTabWidget

from app.core.lightning import store_lightning
from app.ui.settings_lightning import CANNOT_RECEIVE, NEEDS_HOT, LightningPage
from app.ui.store_form import LIGHTNING_OFF
from app.ui.stores_view import StoresView
from tests.conftest import TEST_VPUB
from tests.fake_lightning import NODE_ID, FakeLightningNode, channel
from tests.services.conftest import FakeChain
from tests.ui.conftest import click, run, settings_page, shots, wait_until
from tests.ui.scenario import settle
from tests.ui.shop_services import ui_context

pytestmark = pytest.mark.gui

SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"  # BIP39 -> p2wpkh
WATCHED_SEED = "abandon " * 11 + "about"  # the seed behind TEST_VPUB


@dataclass
class LightningShop:
    ctx: Any
    node: FakeLightningNode
    loop: Any

    @property
    def services(self) -> Any:
        return self.ctx.services

    def run(self, coro: Any) -> Any:
        return run(self.loop, coro)


@pytest.fixture
def ln(qloop, tmp_path: Path) -> Iterator[LightningShop]:
    node = FakeLightningNode(can_receive_sat=None)  # inbound: what the OPEN channels can receive
    with ui_context(qloop, tmp_path, FakeChain(), lightning_node=node) as ctx:
        yield LightningShop(ctx, node, qloop)


def open_page(ln: LightningShop, qtbot: Any, ready: Any = None) -> LightningPage:
    services = ln.services
    page = LightningPage(services.lightning, services.wallets, ln.ctx.settings, ln.ctx.run)
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(page, "Lightning")
    tabs.resize(1280, 800)
    tabs.show()
    page.holder = tabs  # type: ignore[attr-defined]  # the test keeps the window alive (qtbot only closes it)
    page.reload()
    ln.run(wait_until(lambda: page.status is not None and (ready is None or ready(page)), what="status shown"))
    return page


def error_beside(widget: Any, field: str) -> str:
    label = widget.findChild(QLabel, f"{field}Error")
    assert label is not None and label.property("role") == "error"
    return label.text() if not label.isHidden() else ""


def general_error(widget: Any) -> str:
    label = widget.findChild(QLabel, "formError")
    return label.text() if label is not None and not label.isHidden() else ""


def test_without_a_hot_wallet_the_page_says_how_to_add_one_then_turns_on(ln, qtbot) -> None:
    ln.run(ln.services.wallets.add_wallet("Watch-only till", TEST_VPUB))
    page = open_page(ln, qtbot)
    assert page.state.text().startswith("Lightning is off.")
    assert page.needs_hot.text() == NEEDS_HOT and page.needs_hot.isVisibleTo(page)
    assert "hot wallet of the native segwit kind (p2wpkh" in NEEDS_HOT
    assert page.add_hot.isVisibleTo(page) and page.add_hot.isEnabled()
    assert not page.control_row.isVisibleTo(page) and not page.node_row.isVisibleTo(page)  # no dead Turn on
    assert page.receive.text() == "Lightning is not running, so it cannot receive."
    assert page.listen.text().startswith("no: peers cannot connect to the shop")  # config.toml: lightning_listen = ""
    assert page.routing.text().startswith("trampoline")
    assert page.incoming.text().startswith("allowed")
    assert "Restart RedWaves to change them" in page.findChild(QLabel, "lightningSetupNote").text()
    assert page.channels.empty.text() == "Turn Lightning on above to open channels."
    assert not page.channels.open_button.isEnabled()
    shots(page.window(), "settings-lightning-no-hot-wallet", lambda: ln.run(settle()))

    click(page, "addHotWallet")
    dialog = page.hot_dialog
    dialog.seed.setPlainText("abandon " * 12)  # wordlist words, wrong checksum: still refused beside the seed
    dialog.add_button.click()
    ln.run(wait_until(lambda: error_beside(dialog, "seed"), what="seed error"))
    assert error_beside(dialog, "seed") == "This seed phrase's checksum is wrong; check the words."
    assert ln.run(ln.services.wallets.list())[0].name == "Watch-only till" and len(ln.run(ln.services.wallets.list())) == 1
    shots(dialog, "settings-lightning-hot-wallet-error", lambda: ln.run(settle()))
    dialog.seed.setPlainText(WATCHED_SEED)  # the watch-only wallet's own seed: that wallet exists already
    dialog.add_button.click()
    ln.run(wait_until(lambda: error_beside(dialog, "seed"), what="exists error"))
    assert error_beside(dialog, "seed") == "This wallet was already added."
    dialog.name.setText("Till (Lightning)")
    dialog.seed.setPlainText(SEED)
    dialog.add_button.click()
    ln.run(wait_until(lambda: page.wallet.count() == 1, what="the hot wallet in the combo"))
    assert not dialog.isVisible() and dialog.seed.toPlainText() == ""  # the seed does not linger on screen
    hot = next(w for w in ln.run(ln.services.wallets.list()) if w.kind == "seed")
    assert hot.script_type == "p2wpkh" and page.wallet.currentData() == hot.id
    assert page.control_row.isVisibleTo(page) and not page.hot_box.isVisibleTo(page)
    assert page.done.text() == "Added the hot wallet “Till (Lightning)”. Turn on to start the node on it."

    click(page, "lightningOn")
    ln.run(wait_until(lambda: page.node_id.text(), what="node running"))
    assert ln.node.enabled == [hot.id]
    assert page.state.text() == "Lightning runs on the wallet “Till (Lightning)”."
    assert page.done.text() == "Lightning is on."
    assert page.node_id.text() == NODE_ID and page.node_row.isVisibleTo(page)
    assert not page.connect_row.isVisibleTo(page)  # not listening: nothing for peers to connect to
    assert page.receive.text() == CANNOT_RECEIVE
    assert page.receive.text() == ("You cannot receive over Lightning yet: open a channel or ask a peer to open "
                                   "one to you.")
    assert page.turn_off.isVisibleTo(page) and not page.turn_on.isVisibleTo(page) and not page.wallet.isEnabled()
    assert page.channels.open_button.isEnabled()
    click(page, "copyNodeId")
    assert QGuiApplication.clipboard().text() == NODE_ID
    assert ln.run(ln.services.lightning.status()).wallet_id == hot.id  # remembered (wallets.lightning)
    shots(page.window(), "settings-lightning-on", lambda: ln.run(settle()))

    click(page, "lightningOff")
    ln.run(wait_until(lambda: page.state.text().startswith("Lightning is off."), what="off"))
    assert page.done.text() == "Lightning is off: new invoices get no Lightning invoice."
    assert ln.run(ln.services.lightning.status()).wallet_id is None


def test_listening_node_with_channels_shows_inbound_and_refuses_turn_off(ln, qtbot) -> None:
    hot = ln.run(ln.services.wallets.add_hot_wallet("Till", SEED))
    ln.node.listen = "192.168.1.20:9735"
    ln.run(ln.services.lightning.enable(hot.id))
    ln.node.channels = [channel(1, capacity_sat=1_500_000, local_sat=255_432),
                        channel(2, state="OPENING", capacity_sat=300_000, local_sat=300_000, initiator="local")]
    page = open_page(ln, qtbot, lambda p: p.node_id.text())
    assert page.receive.text() == "You can receive up to 1,234,568 sat over Lightning now."
    assert page.send.text() == "You can send up to 245,432 sat; 2 channels, 1 peer connected."
    assert page.connect_uri.text() == f"{NODE_ID}@192.168.1.20:9735" and page.connect_row.isVisibleTo(page)
    assert page.listen.text() == "yes, on 192.168.1.20:9735"
    click(page, "copyConnect")
    assert QGuiApplication.clipboard().text() == f"{NODE_ID}@192.168.1.20:9735"
    assert page.channels.table.rowCount() == 2
    assert not page.onion_row.isVisibleTo(page)  # no onion service up
    onion = "x" * 56 + ".onion"
    ln.services.lightning._onion_url = lambda: f"http://{onion}"
    page.reload()
    ln.run(wait_until(lambda: page.onion_row.isVisibleTo(page), what="onion connect string"))
    assert page.onion_uri.text() == f"{NODE_ID}@{onion}:9735"

    click(page, "lightningOff")
    ln.run(wait_until(lambda: general_error(page), what="refusal beside the control"))
    assert general_error(page) == "Close every channel before turning Lightning off."
    assert page.turn_off.isEnabled() and ln.run(ln.services.lightning.status()).wallet_id == hot.id
    shots(page.window(), "settings-lightning-channels-open", lambda: ln.run(settle()))


def test_store_form_lightning_box_follows_the_node_and_is_saved(ln, qtbot) -> None:
    watch = ln.run(ln.services.wallets.add_wallet("main", TEST_VPUB))
    ln.run(ln.services.stores.create("Café", default_currency="EUR", wallet_ids=[watch.id]))
    view = StoresView(ln.ctx)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.reload()
    form = view.form
    ln.run(wait_until(lambda: form.name.text() == "Café", what="store loaded"))
    ln.run(settle())
    assert not form.lightning.isEnabled() and not form.lightning_below.isEnabled()
    assert form.lightning_note.text() == LIGHTNING_OFF
    assert LIGHTNING_OFF.startswith("Lightning is off: turn it on in Settings → Lightning first.")
    assert not form.lightning.isChecked() and form.lightning_below.value() == 0

    hot = ln.run(ln.services.wallets.add_hot_wallet("Till", SEED))
    ln.run(ln.services.lightning.enable(hot.id))
    ln.node.channels = [channel(1, capacity_sat=1_000_000, local_sat=0)]
    view.reload()
    ln.run(wait_until(lambda: form.lightning.isEnabled(), what="Lightning on"))
    assert form.lightning_note.text() == ("An invoice gets a Lightning invoice when the node can receive its whole "
                                          "amount: now up to 990,000 sat.")
    form.lightning.setChecked(True)
    form.lightning_below.setValue(50_000)
    view.save_button.click()
    ln.run(wait_until(lambda: view.status.text() == "Saved Café.", what="saved"))
    store = ln.run(ln.services.stores.get(view.stores[0].id))
    options = store_lightning(store)
    assert (options.enabled, options.qr_first_below_sat) == (True, 50_000)
    ln.run(settle())
    assert form.lightning.isChecked() and form.lightning_below.value() == 50_000  # loaded back

    def scrolled() -> None:
        ln.run(settle())
        view.form_scroll.ensureWidgetVisible(form.lightning_note)
        ln.run(settle(0.05))

    shots(view, "store-form-lightning", scrolled)


def test_real_window_shows_the_page_on_the_real_runtime(gui, qloop) -> None:
    """The real window on the real runtime (embedded devnet): Settings → Lightning reads the real service."""
    window = gui.window
    page = settings_page(window, "Lightning", LightningPage)
    run(qloop, wait_until(lambda: page.status is not None, what="status"))
    assert page.state.text().startswith("Lightning is off.")
    assert page.needs_hot.isVisibleTo(page) and page.add_hot.isEnabled()  # the devnet shop has no hot wallet yet
    assert page.listen.text().startswith("no: peers cannot connect")
    shots(window, "settings-lightning-window", lambda: run(qloop, settle()))
