"""Hook for the point-of-sale kiosk (built separately in app/ui/kiosk/).

The kiosk package offers ``open_kiosk(ctx, store_id, parent=...) -> QWidget | None`` (docs/kiosk.md);
when it is missing, or cannot run with the services at hand, the button says so instead of failing.
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtWidgets import QWidget

from app.ui.context import UiContext
from app.ui.dialogs import inform

logger = logging.getLogger(__name__)

KIOSK_MODULE = "app.ui.kiosk"


def open_pos(ctx: UiContext, store_id: str | None, parent: QWidget | None = None) -> QWidget | None:
    try:
        kiosk = importlib.import_module(KIOSK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and KIOSK_MODULE.startswith(exc.name):
            inform(parent, "Point of sale", "The point-of-sale kiosk is not available in this version yet.")
            return None
        raise
    opener = getattr(kiosk, "open_kiosk", None)
    if opener is None:
        inform(parent, "Point of sale", "The point-of-sale kiosk is not available in this version yet.")
        return None
    logger.info("opening point of sale for store %s", store_id)
    return opener(ctx, store_id, parent=parent)
