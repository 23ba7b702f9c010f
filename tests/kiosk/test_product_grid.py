"""The product grid reflows to the screen (fakes, offscreen), with 20 products: columns from the width,
whole rows from the height, every tile of the first screenful fully visible, no horizontal scroll, a
visible vertical scroll bar, tiles far above the 48 px touch minimum, names elided to fit.

Screenshots: tests/artifacts/ui/kiosk-products20-<w>x<h>.png and kiosk-products20-scrolled-<w>x<h>.png."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QPushButton

from tests.kiosk.conftest import make_products, open_test_kiosk, run, settle, wait_until
from tests.kiosk.geometry import MIN_TOUCH, SCREEN_SIZES, fits, ui_shot

pytestmark = pytest.mark.gui
LONG = "Extra large oat milk caramel macchiato with cinnamon"


def twenty_products():
    base = make_products()
    more = [replace(base[i % len(base)], id=f"prd_x{i}", name=f"{base[i % len(base)].name} {i}",
                    price=Decimal("4.25") + i) for i in range(11)]
    return [*base, replace(base[0], id="prd_long", name=LONG, price=Decimal("1234.50")), *more]


def _in_viewport(tile, viewport) -> QRect:
    return QRect(tile.mapTo(viewport, QPoint(0, 0)), tile.size())


def _measure(window) -> dict:
    grid = window.sale.products
    area, viewport = grid.scroller, grid.scroller.viewport()
    view = viewport.rect()
    rects = [_in_viewport(t, viewport) for t in grid.tiles]
    first = [r for r in rects if r.intersects(view)]
    long_tile = next(t for t in grid.tiles if t.product.name == LONG)
    metrics = QFontMetrics(long_tile.name.font())
    return {
        "columns": grid.columns, "rows": grid.rows_visible,
        "first_count": len(first), "first_cut": [r.getRect() for r in first if not view.contains(r)],
        "h_scroll": (area.horizontalScrollBar().maximum(), area.horizontalScrollBar().isVisible(),
                     grid.grid_box.width() <= viewport.width()),
        "v_bar": area.verticalScrollBar().isVisible() and area.verticalScrollBar().maximum() > 0,
        "smallest": min(min(r.width(), r.height()) for r in rects),
        "long_name": long_tile.name_text,
        "long_fits": all(metrics.horizontalAdvance(line) <= long_tile.name.width()
                         for line in long_tile.name_text.split("\n")),
        "price_shown": long_tile.price.text(),
        "problems": fits(window, (window.width(), window.height())),
    }


async def _scrolled_to_end(window) -> bool:
    grid = window.sale.products
    bar = grid.scroller.verticalScrollBar()
    bar.setValue(bar.maximum())
    await settle()
    viewport = grid.scroller.viewport()
    return viewport.rect().contains(_in_viewport(grid.tiles[-1], viewport))


def test_grid_reflows_at_every_screen_size(kiosk_env, qloop):
    kiosk_env.services.products.products = twenty_products()

    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", SCREEN_SIZES[0])
        await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
        seen = {}
        for size in SCREEN_SIZES:
            window.resize(*size)
            window.sale.products.scroller.verticalScrollBar().setValue(0)
            await settle(0.2)
            ui_shot(window, "kiosk-products20")
            seen[size] = _measure(window)
            seen[size]["end_visible"] = await _scrolled_to_end(window)
            ui_shot(window, "kiosk-products20-scrolled")
        return seen

    seen = run(qloop, flow(), 60)
    columns = [seen[s]["columns"] for s in SCREEN_SIZES]
    assert columns == sorted(columns) and columns[-1] > columns[0], columns  # more room, more columns
    for size, m in seen.items():
        assert m["problems"] == [], (size, m["problems"])
        assert m["first_cut"] == [], (size, m["first_cut"])  # the first screenful is whole
        assert m["first_count"] == m["columns"] * m["rows"] < 20, (size, m)
        assert m["h_scroll"] == (0, False, True), size  # never sideways
        assert m["v_bar"] and m["end_visible"], size  # more below: a visible bar, and the last tile reachable
        assert m["smallest"] >= max(MIN_TOUCH, 110), (size, m["smallest"])
        assert m["long_name"] != LONG and m["long_name"].endswith("…") and m["long_fits"], (size, m["long_name"])
        assert m["price_shown"] == "$1,234.50", size
    assert seen[(800, 480)]["columns"] >= 3 and seen[(1920, 1080)]["columns"] >= 5


def test_few_products_no_scroll_bar(kiosk_env, qloop):
    kiosk_env.services.products.products = make_products()[:3]

    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", (1280, 800))
        await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
        await settle(0.2)
        grid = window.sale.products
        bar = grid.scroller.verticalScrollBar()
        tiles = grid.tiles
        seen = bar.isVisible(), [t.y() for t in tiles], [t.x() < tiles[i + 1].x() for i, t in enumerate(tiles[:-1])]
        grid.findChild(QPushButton, "category_Coffee").click()  # new tiles, styled once shown
        await settle(0.2)
        return (*seen, {(t.width(), t.height()) for t in grid.tiles}, len(grid.tiles))

    bar_visible, ys, left_to_right, sizes, count = run(qloop, flow())
    assert not bar_visible and len(set(ys)) == 1 and all(left_to_right)  # one row, from the left
    assert count == 3 and len(sizes) == 1 and min(next(iter(sizes))) >= 110, sizes  # a category keeps the size
