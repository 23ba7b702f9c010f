"""Settings → Terminals on the real TerminalService (SQLite): add -> the pairing QR (decoded here with
zxing-cpp: it is the pairing URL), the code, the countdown; New code; pairing seen in the table (last seen
+ address); Revoke with its confirmation, after which the device token is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from PySide6.QtGui import QImage

from app.core.errors import UserFacingError
from app.services.ports import StaticUrls
from app.ui.terminals_view import NO_URL, AddTerminalDialog, PairingDialog, TerminalsPage
from tests.ui.conftest import shots
from tests.ui.staff_shop import (  # noqa: F401 - the fixture
    StaffShop,
    accept,
    cells,
    error_beside,
    in_tabs,
    staff_shop_fixture,
)

pytestmark = pytest.mark.gui
BASE = "http://192.168.1.20:8480"


def decode(widget: Any) -> str:
    """The text of the QR code on screen in ``widget`` (grabbed as it is drawn)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = bytes(image.constBits())
    pixels = b"".join(raw[y * stride:y * stride + w] for y in range(h))
    found = zxingcpp.read_barcode(memoryview(pixels).cast("B", (h, w)))
    assert found is not None, "no QR code in the image"
    return str(found.text)


def open_page(shop: StaffShop, qtbot: Any) -> TerminalsPage:
    services = shop.services
    page = TerminalsPage(services.terminals, services.staff, services.stores, lambda: shop.ctx.actor, shop.ctx.run)
    in_tabs(qtbot, page, "Terminals")
    page.reload()
    shop.wait(lambda: page.store_list, "loaded")
    return page


def test_add_pair_new_code_and_revoke(staff_shop: StaffShop, qtbot: Any) -> None:
    shop = staff_shop
    services = shop.services
    services.terminals._urls = StaticUrls({"private": "http://127.0.0.1:8470", "public": BASE})
    shop.add("Ada", "owner")
    ben = shop.add("Ben", "cashier")
    shop.add("Cleo", "cashier", stores=[shop.other.id])  # another store's cashier: not offered
    page = open_page(shop, qtbot)
    assert page.empty.isVisibleTo(page) and not page.revoke_button.isEnabled()

    page.add_button.click()
    dialog = page.dialog
    assert isinstance(dialog, AddTerminalDialog)
    assert dialog.store.currentText() == "Corner Café"
    offered = [dialog.people.item(i).text() for i in range(dialog.people.count())]
    assert offered == ["Ada", "Ben"]
    assert dialog.chosen_people() == [ben.id]  # cashiers ticked by default
    shots(dialog, "terminal-add", shop.settle)
    dialog.add_button.click()  # no name
    shop.wait(lambda: error_beside(dialog, "name"), "name refused")
    assert error_beside(dialog, "name") == "A name is 1 to 60 characters."
    dialog.name.setText("Counter tablet")
    dialog.add_button.click()
    shop.wait(lambda: isinstance(page.dialog, PairingDialog), "pairing dialog")
    pairing = page.dialog
    assert isinstance(pairing, PairingDialog)
    code = pairing.panel.code
    assert code is not None and len(code.code) == 8
    assert code.url == f"{BASE}/t/pair?code={code.code}"
    shop.settle()
    assert decode(pairing.panel.qr) == code.url
    assert pairing.panel.code_label.text() == code.code
    assert pairing.panel.url.text() == code.url and pairing.panel.no_url.isHidden()
    assert pairing.panel.expiry.text() in ("Expires in 10:00", "Expires in 9:59", "Expires in 9:58")
    shots(pairing, "terminal-pairing", shop.settle)
    pairing.resize(640, 360)
    shop.settle()
    assert decode(pairing.panel.qr) == code.url

    pairing.new_code.click()
    shop.wait(lambda: pairing.panel.code is not code, "new code")
    second = pairing.panel.code
    assert second is not None and second.code != code.code
    shop.settle()
    assert decode(pairing.panel.qr) == second.url
    with pytest.raises(UserFacingError):  # the first code stopped
        shop.run(services.terminals.pair(code.code, address="192.168.1.33"))
    terminal, token = shop.run(services.terminals.pair(second.code, address="192.168.1.33"))
    pairing.reject()
    shop.wait(lambda: page.table.rowCount() == 1 and cells(page.table)[0][3] == "paired", "paired in the table")
    row = cells(page.table)[0]
    assert row[:3] == ["Counter tablet", "Corner Café", "Ben"]
    assert row[4].endswith("from 192.168.1.33")
    shots(page.window(), "settings-terminals", shop.settle)

    page.select(terminal.id)
    page.revoke_button.click()
    question = accept(page.confirm_box)
    assert "The device stops at once" in question
    shop.wait(lambda: cells(page.table)[0][3] == "revoked", "revoked")
    assert page.status.text() == "Counter tablet is revoked: it can no longer sell."
    assert not page.revoke_button.isEnabled() and not page.code_button.isEnabled()
    with pytest.raises(UserFacingError) as refused:
        shop.run(services.terminals.device(token, address="192.168.1.33"))
    assert refused.value.code == "terminal_revoked"


def test_pairing_code_expiry_and_no_public_address(staff_shop: StaffShop, qtbot: Any) -> None:
    shop = staff_shop
    shop.add("Ben", "cashier")
    page = open_page(shop, qtbot)  # nothing public serving: the code without a URL
    page.add_button.click()
    dialog = page.dialog
    assert isinstance(dialog, AddTerminalDialog)
    dialog.name.setText("Waiter phone")
    dialog.add_button.click()
    shop.wait(lambda: isinstance(page.dialog, PairingDialog), "pairing dialog")
    pairing = page.dialog
    assert isinstance(pairing, PairingDialog)
    code = pairing.panel.code
    assert code is not None and code.url is None
    assert pairing.panel.no_url.text() == NO_URL and pairing.panel.url.isHidden()
    shots(pairing, "terminal-pairing-no-url", shop.settle)
    pairing.panel.show_code(replace(code, expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert pairing.panel.expiry.text() == "This code has expired. Press New code for another."
    assert pairing.panel.qr.isHidden()
