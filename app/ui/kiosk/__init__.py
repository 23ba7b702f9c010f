"""The point-of-sale kiosk: ``open_kiosk(ctx, store_id) -> KioskWindow`` (see docs/kiosk.md).

``app.ui.pos.open_pos`` imports this package lazily. One kiosk at a time: opening it again brings the
open one to the front.
"""

from __future__ import annotations

from typing import Any

KIOSK_KEY = "kiosk"


def open_kiosk(ctx: Any, store_id: str | None, *, parent: Any = None, fullscreen: bool = True,
               options: Any = None) -> Any:
    """The kiosk for ``store_id``, full screen; None (with a message) when these services cannot run it.
    ``parent`` is only where that message goes; the admin window the kiosk hides is ``ctx.parent``."""
    from app.ui.dialogs import inform
    from app.ui.kiosk.window import KioskWindow, pos_service

    existing = ctx.extras.get(KIOSK_KEY)
    if existing is not None and not existing.unlocked:
        existing.raise_()
        existing.activateWindow()
        return existing
    if pos_service(ctx) is None:
        inform(parent or ctx.parent, "Point of sale", "The point-of-sale kiosk is not available with these services.")
        return None
    window = KioskWindow(ctx, store_id, options)
    ctx.extras[KIOSK_KEY] = window  # the kiosk lives until the PIN lets the merchant out
    window.closed.connect(lambda: ctx.extras.pop(KIOSK_KEY, None) if ctx.extras.get(KIOSK_KEY) is window else None)
    ctx.tray.set_locked(True)  # no "Quit" from the tray without the PIN
    window.closed.connect(lambda: ctx.tray.set_locked(False))
    if fullscreen:
        window.showFullScreen()
    else:
        window.show()
    window.start()
    return window


__all__ = ["open_kiosk"]
