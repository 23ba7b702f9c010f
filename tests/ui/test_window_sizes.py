"""The owner's window on real screen sizes: it fits the screen it opens on, and every main view is laid
out inside it at 800x480 and 1280x800 (real runtime, real widgets; screenshots in tests/artifacts/ui).

The offscreen platform's screen is set with a config file (QT_QPA_PLATFORM=offscreen:configfile=...);
one QApplication has one screen for its life, so the 800x480 screen test runs in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from tests.conftest import TEST_VPUB
from tests.ui.conftest import ARTIFACTS, run, wait_until
from tests.ui.scenario import settle

pytestmark = [pytest.mark.gui]

ROOT = Path(__file__).resolve().parents[2]
SIZES = ((800, 480), (1280, 800))
QT_INTERNAL = {"ScrollLeftButton", "ScrollRightButton"}  # QTabBar's own arrows when the tabs overflow

FIT_SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QByteArray, QSettings
    from PySide6.QtWidgets import QApplication
    from app.ui.main_window import MainWindow

    app = QApplication([])
    ini = sys.argv[1]
    big = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    big.setGeometry(400, 300, 1600, 1000)   # saved on a big monitor
    big.save_geometry()
    window = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    window.show()
    app.processEvents()
    area = window.screen().availableGeometry()
    frame = window.frameGeometry()
    print(area.width(), area.height(), frame.x(), frame.y(), frame.width(), frame.height())
""")


def test_window_opens_inside_an_800x480_screen_whatever_geometry_was_saved(tmp_path):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "shop", "x": 0, "y": 0, "width": 800, "height": 480,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", FIT_SCRIPT, str(tmp_path / "gui.ini")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    area_w, area_h, x, y, w, h = map(int, done.stdout.split()[-6:])
    assert (area_w, area_h) == (800, 480)
    assert x >= 0 and y >= 0 and x + w <= 800 and y + h <= 480, done.stdout


def _clipped_children(view: QWidget) -> list[str]:
    """Visible direct-layout widgets whose minimum size does not fit where the layout put them."""
    clipped = []
    for child in view.findChildren(QWidget):
        if not child.isVisible() or isinstance(child.parentWidget(), QAbstractScrollArea):
            continue
        hint = child.minimumSizeHint()
        if (hint.isValid() and child.width() + 1 < hint.width() and child.objectName()
                and child.objectName() not in QT_INTERNAL):
            clipped.append(f"{child.objectName()} {child.width()}<{hint.width()}")
    return clipped


async def _seed(services) -> None:
    wallet = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id])
    for n, (name, price) in enumerate((("Espresso", "2.50"), ("Cappuccino", "3.20"), ("Croissant", "1.90"))):
        await services.products.create(store.id, name=name, price=price, description=f"item {n}")
    for price in ("12.50", "3.00", "250.00"):
        await services.invoices.create(store.id, price=price, description="Counter sale")


def test_every_main_view_fits_800x480_and_1280x800(gui, qloop):
    services = gui.runtime.services
    wizard = run(qloop, wait_until(lambda: gui.wizard, what="first-run wizard"))
    wizard.reject()
    run(qloop, _seed(services))
    gui.refresh_all()
    window = gui.window
    window.showNormal()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for width, height in SIZES:
        window.resize(width, height)
        for name in list(window.views):
            window.show_view(name)
            run(qloop, settle(0.25))
            assert window.current_view_name() == name
            view = window.views[name]
            assert view.isVisible()
            page = window.pages[name]
            assert not page.horizontalScrollBar().isVisible(), (
                f"{name} scrolls sideways at {width}x{height}: needs {view.minimumSizeHint().width()} px, "
                f"has {page.viewport().width()} px")
            assert page.geometry().right() < window.width(), name
            window.grab().save(str(ARTIFACTS / f"window-{name.lower()}-{width}x{height}.png"))
            clipped = _clipped_children(view)
            if clipped:
                problems[f"{name} {width}x{height}"] = clipped
    hint = window.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 480, hint
    assert not problems, problems
