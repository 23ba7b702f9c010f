"""The receipt printer: its settings (``app_settings["printer"]``), a test page, printing a receipt.

The merchant picks the printer in Settings → Printer (``configure``; validated by
``app.core.printers.clean_printer_config``, each error naming its field; nothing is saved when a
field is wrong). ESC/POS thermal printers (usb, network, file) are driven here through
``app.printing`` in a worker thread, one job at a time; the ``system`` kind (the operating system's
printer or a PDF) is printed by the window with Qt, so this service only stores that choice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from app.core.errors import Conflict
from app.core.printers import InvalidPrinterSetting, PrinterConfig, clean_printer_config
from app.core.receipts import Receipt, sample_receipt
from app.db.models import AppSettingRow
from app.printing.escpos_device import Opener, PrinterUnavailable, open_printer, print_receipt
from app.services.writer import Writer

logger = logging.getLogger(__name__)

PRINTER_KEY = "printer"


class SettingStorage(Protocol):
    async def load(self) -> dict[str, Any] | None: ...

    async def save(self, value: dict[str, Any]) -> None: ...


class AppSettingStorage:
    """One JSON value in the app_settings table, written in one transaction."""

    def __init__(self, writer: Writer, key: str) -> None:
        self._writer, self._key = writer, key

    async def load(self) -> dict[str, Any] | None:
        async with self._writer.read() as session:
            row = await session.get(AppSettingRow, self._key)
            return dict(row.value) if row is not None and isinstance(row.value, dict) else None

    async def save(self, value: dict[str, Any]) -> None:
        async with self._writer.transaction() as session:
            row = await session.get(AppSettingRow, self._key)
            if row is None:
                session.add(AppSettingRow(key=self._key, value=dict(value)))
            else:
                row.value = dict(value)


class MemorySettingStorage:
    def __init__(self, value: dict[str, Any] | None = None) -> None:
        self.value = dict(value) if value else None

    async def load(self) -> dict[str, Any] | None:
        return dict(self.value) if self.value else None

    async def save(self, value: dict[str, Any]) -> None:
        self.value = dict(value)


class ReceiptSource(Protocol):
    """``PosService``: the receipt of one invoice."""

    async def receipt(self, invoice_id: str) -> Receipt: ...


class NotAThermalPrinter(Conflict):
    code = "not_a_thermal_printer"


class PrinterService:
    def __init__(self, storage: SettingStorage, receipts: ReceiptSource, *, opener: Opener = open_printer,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._storage = storage
        self._receipts = receipts
        self._opener = opener
        self._clock = clock
        self._lock = asyncio.Lock()  # one print job at a time

    async def config(self) -> PrinterConfig:
        """The saved choice; the system printer until the merchant picks another."""
        stored = await self._storage.load()
        if not stored:
            return PrinterConfig()
        try:
            return clean_printer_config(stored)
        except InvalidPrinterSetting as exc:  # only validated values are saved; an older or edited row
            logger.warning("stored printer settings are unreadable (%s); using the system printer", exc.message)
            return PrinterConfig()

    async def configure(self, values: Mapping[str, object]) -> PrinterConfig:
        config = clean_printer_config(values)
        await self._storage.save(config.to_json())
        logger.info("receipt printer set to %s (%d columns, auto-print %s)", config.describe(), config.columns,
                    "on" if config.auto_print else "off")
        return config

    async def print_test_page(self, values: Mapping[str, object] | None = None) -> PrinterConfig:
        """Print a sample receipt on the saved printer, or on unsaved ``values`` to try them first."""
        config = clean_printer_config(values) if values is not None else await self.config()
        await self._print(config, sample_receipt(self._clock()))
        return config

    async def print_receipt(self, invoice_id: str) -> PrinterConfig:
        """Print the receipt of ``invoice_id`` on the saved thermal printer."""
        config = await self.config()
        await self._print(config, await self._receipts.receipt(invoice_id))
        return config

    async def _print(self, config: PrinterConfig, receipt: Receipt) -> None:
        if not config.escpos:
            raise NotAThermalPrinter(f"{config.describe().capitalize()} is printed by the window, not here.",
                                     field="kind")
        async with self._lock:
            await asyncio.to_thread(print_receipt, config, receipt, opener=self._opener)


__all__ = ["PRINTER_KEY", "AppSettingStorage", "MemorySettingStorage", "NotAThermalPrinter", "PrinterService",
           "PrinterUnavailable", "ReceiptSource"]
