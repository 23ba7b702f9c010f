"""The point-of-sale kiosk: ``open_kiosk(ctx, store_id) -> KioskWindow`` (see docs/kiosk.md).

One kiosk at a time (``ctx.kiosk``): opening it again brings the open one to the front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.ui.context import UiContext
    from app.ui.kiosk.options import KioskOptions
    from app.ui.kiosk.window import KioskWindow
    from app.ui.ports import KioskServices


def open_kiosk(ctx: UiContext[KioskServices], store_id: str | None, *, fullscreen: bool = True,
               options: KioskOptions | None = None) -> KioskWindow:
    """The kiosk for ``store_id``, full screen; it hides the admin window (``ctx.parent``) while open."""
    from app.ui.kiosk.window import KioskWindow

    existing = ctx.kiosk
    if existing is not None and not existing.unlocked:
        existing.raise_()
        existing.activateWindow()
        return existing
    window = KioskWindow(ctx, store_id, options)
    ctx.kiosk = window  # the kiosk lives until the PIN lets the merchant out

    def closed() -> None:
        if ctx.kiosk is window:
            ctx.kiosk = None
        ctx.tray.set_locked(False)
        # Deleted now, on the GUI thread. Left to Python's garbage collector, the closed window could
        # be freed from whichever thread collects (Electrum's, a to_thread worker): Qt objects must
        # not die there (a timer of a widget deleted off-thread crashed the loop later).
        window.deleteLater()

    window.closed.connect(closed)
    ctx.tray.set_locked(True)  # no "Quit" from the tray without the PIN
    if fullscreen:
        window.showFullScreen()
    else:
        window.show()
    window.start()
    return window


__all__ = ["open_kiosk"]
