"""Products on real services (SQLite + image files): the picture is checked before anything is written,
product and picture are saved together, Save cannot duplicate, archive asks first, archived products
can be shown and restored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton

from app.ui.products_view import ProductDialog, ProductsView
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, shots, wait_until
from tests.ui.scenario import settle

pytestmark = pytest.mark.gui


@pytest.fixture
def store(shop):
    async def make():
        wallet = await shop.services.wallets.add_wallet("main", TEST_VPUB)
        return await shop.services.stores.create("Café", default_currency="EUR", wallet_ids=[wallet.id])

    return shop.run(make())


def png_bytes(color: str = "#c62f3a") -> bytes:
    image = QImage(64, 64, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def error_text(dialog, field: str) -> str:
    label = dialog.findChild(QLabel, f"{field}Error")
    assert label is not None and label.property("role") == "error"
    return label.text() if not label.isHidden() else ""


def new_dialog(shop, store, qtbot, product=None) -> ProductDialog:
    dialog = ProductDialog(shop.ctx, store, product)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_a_file_that_is_not_an_image_is_refused_before_anything_is_written(shop, store, qtbot, tmp_path, artifacts):
    dialog = new_dialog(shop, store, qtbot)
    dialog.name.setText("Cake")
    dialog.price.setText("3,50")
    notes = tmp_path / "menu.png"  # the name says png; the bytes are text
    notes.write_text("not a picture at all")
    dialog.set_image_file(notes)
    run(shop.loop, wait_until(lambda: error_text(dialog, "image"), what="image refused"))
    assert error_text(dialog, "image") == ("This file is not a PNG, JPEG, WebP or GIF image. Choose another file, "
                                           "or Clear choice.")
    dialog.save_button.click()
    run(shop.loop, settle())
    assert dialog.isVisible() and error_text(dialog, "image")  # Save waits for a real picture
    assert shop.products() == 0 and shop.images() == []
    for w, h in ((800, 480), (1280, 800)):
        dialog.resize(min(w, 560), min(h, dialog.sizeHint().height()))
        run(shop.loop, settle())
        dialog.grab().save(str(artifacts / f"product-dialog-bad-image-{w}x{h}.png"))

    damaged = png_bytes()[:40]  # PNG magic bytes, but cut off: only decoding tells
    assert not dialog.set_image_data(damaged)
    assert error_text(dialog, "image").startswith("This image file is damaged or incomplete.")
    assert shop.products() == 0 and shop.images() == []


def test_product_and_picture_are_saved_together_once(shop, store, qtbot, tmp_path, artifacts):
    dialog = new_dialog(shop, store, qtbot)
    dialog.name.setText("Cake")
    dialog.price.setText("12,50")
    picture = png_bytes()
    (tmp_path / "cake.png").write_bytes(picture)
    dialog.set_image_file(tmp_path / "cake.png")
    run(shop.loop, wait_until(lambda: dialog.image_data is not None, what="picture taken"))
    assert error_text(dialog, "image") == "" and dialog.image.pixmap() is not None
    for w, h in ((800, 480), (1280, 800)):
        dialog.resize(min(w, 560), min(h, dialog.sizeHint().height()))
        run(shop.loop, settle())
        dialog.grab().save(str(artifacts / f"product-dialog-{w}x{h}.png"))
    dialog.save_button.click()
    dialog.save_button.click()  # a second click while saving does nothing
    assert not dialog.save_button.isEnabled()
    run(shop.loop, wait_until(lambda: not dialog.isVisible(), what="dialog closed"))
    assert shop.products() == 1
    (product,) = shop.run(shop.services.products.list(store.id))
    assert product.price == Decimal("12.50") and product.name == "Cake"
    (file,) = shop.images()
    assert file.name == product.image and file.read_bytes() == picture


def test_a_price_that_is_not_a_number_is_shown_beside_the_price(shop, store, qtbot):
    dialog = new_dialog(shop, store, qtbot)
    dialog.name.setText("Cake")
    dialog.price.setText("twelve")
    dialog.save_button.click()
    assert error_text(dialog, "price") == "Enter a price like 12.50 (or 12,50)."
    dialog.price.setText("1.005")  # more places than EUR has: the service says so, beside the field
    dialog.save_button.click()
    run(shop.loop, wait_until(lambda: dialog.save_button.isEnabled(), what="save failed"))
    assert error_text(dialog, "price") == "EUR prices have at most 2 decimal places"
    assert shop.products() == 0


def click_confirm(text: str) -> None:
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
               and w.objectName() == "confirmDialog")
    button = next(b for b in box.findChildren(QPushButton) if b.text() == text)
    button.click()


def test_archive_asks_first_and_archived_products_can_be_shown_and_restored(shop, store, qtbot):
    for name, price in (("Tea", "2.50"), ("Cake", "3.00")):
        shop.run(shop.services.products.create(store.id, name=name, price=price))
    view = ProductsView(shop.ctx)
    qtbot.addWidget(view)
    view.show()
    view.reload()
    run(shop.loop, wait_until(lambda: len(view.products) == 2, what="products listed"))
    view.table.selectRow([p.name for p in view.products].index("Tea"))
    archive = view.buttons["archiveProduct"]
    archive.click()
    click_confirm("Cancel")
    run(shop.loop, settle())
    assert [p.archived for p in shop.run(shop.services.products.list(store.id, include_archived=True))] == [False] * 2
    archive.click()
    click_confirm("Archive")
    run(shop.loop, wait_until(lambda: [p.name for p in view.products] == ["Cake"], what="tea archived"))
    assert view.status.text() == "Archived Tea."
    view.show_archived.setChecked(True)
    run(shop.loop, wait_until(lambda: len(view.products) == 2, what="archived shown"))
    row = [p.name for p in view.products].index("Tea")
    assert view.table.item(row, 1).text() == "Tea (archived)"
    view.table.selectRow(row)
    assert archive.text() == "Restore" and not view.buttons["editProduct"].isEnabled()
    shots(view, "products-archived", lambda: run(shop.loop, settle()))
    archive.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Restored Tea.", what="restored"))
    assert not shop.run(shop.services.products.get(view.products[row].id)).archived
    view.show_archived.setChecked(False)
    run(shop.loop, wait_until(lambda: len(view.products) == 2, what="both active"))
