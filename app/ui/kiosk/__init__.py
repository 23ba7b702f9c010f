"""The point-of-sale kiosk: ``open_kiosk(ctx, store_id) -> KioskWindow`` (see docs/kiosk.md).

``app.ui.pos.open_pos`` imports this package lazily. One kiosk at a time: opening it again brings the
open one to the front.
"""

from __future__ import annotations

from typing import Any

KIOSK_KEY = "kiosk"


def open_kiosk(ctx: Any, store_id: str | None, *, fullscreen: bool = True, options: Any = None) -> Any:
    from app.ui.kiosk.window import KioskWindow

    existing = ctx.extras.get(KIOSK_KEY)
    if existing is not None and not existing.unlocked:
        existing.raise_()
        existing.activateWindow()
        return existing
    window = KioskWindow(ctx, store_id, options)
    ctx.extras[KIOSK_KEY] = window  # the kiosk lives until the PIN lets the merchant out
    window.closed.connect(lambda: ctx.extras.pop(KIOSK_KEY, None) if ctx.extras.get(KIOSK_KEY) is window else None)
    if fullscreen:
        window.showFullScreen()
    else:
        window.show()
    window.start()
    return window


__all__ = ["open_kiosk"]
