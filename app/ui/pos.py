"""Opening the point-of-sale kiosk (app/ui/kiosk/) from the window, the tray or ``--store``, with the
owner's kiosk options (Settings → Point of sale)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.ui.context import UiContext
from app.ui.kiosk import open_kiosk
from app.ui.kiosk.options import load_options
from app.ui.ports import KioskServices

if TYPE_CHECKING:
    from app.ui.kiosk.window import KioskWindow

logger = logging.getLogger(__name__)


def open_pos(ctx: UiContext[KioskServices], store_id: str | None) -> KioskWindow:
    logger.info("opening point of sale for store %s", store_id)
    return open_kiosk(ctx, store_id, options=load_options(ctx.qsettings))
