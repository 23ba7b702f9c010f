"""KioskOptions: how the kiosk behaves, chosen by the owner in Settings → Point of sale.

Stored in the window's QSettings (``gui.ini`` under the network's data dir) under ``kiosk/``;
``load_options`` falls back to the defaults for a missing or unreadable value. No Qt widgets here, so
the settings page and ``app.ui.pos`` can read it without building a kiosk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

AUTO_RETURN_S = 30
MIN_AUTO_RETURN_S, MAX_AUTO_RETURN_S = 5, 600


@dataclass
class KioskOptions:
    pdf_dir: Path | None = None  # receipts go here as PDF when there is no printer
    use_system_printer: bool = True
    auto_return_s: int = AUTO_RETURN_S  # the "Paid" screen goes back to a new sale after this long
    sound: bool = True  # beep when a sale is paid
    poll_ms: int = 3000


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def load_options(qsettings: QSettings) -> KioskOptions:
    seconds = _int(qsettings.value("kiosk/auto_return_s", AUTO_RETURN_S), AUTO_RETURN_S)
    return KioskOptions(auto_return_s=min(MAX_AUTO_RETURN_S, max(MIN_AUTO_RETURN_S, seconds)),
                        sound=str(qsettings.value("kiosk/sound", "true")).lower() != "false")


def save_options(qsettings: QSettings, *, auto_return_s: int, sound: bool) -> None:
    qsettings.setValue("kiosk/auto_return_s", int(auto_return_s))
    qsettings.setValue("kiosk/sound", "true" if sound else "false")
    qsettings.sync()


__all__ = ["AUTO_RETURN_S", "MAX_AUTO_RETURN_S", "MIN_AUTO_RETURN_S", "KioskOptions", "load_options",
           "save_options"]
