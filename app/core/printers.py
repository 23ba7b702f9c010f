"""Receipt printer settings: which printer, which paper, whether the kiosk prints by itself.

Kinds: ``none`` (no printed receipts), ``system`` (the operating system's default printer through Qt,
a PDF under receipts/ when there is none; the default), and the ESC/POS thermal printers driven by
python-escpos (app/printing): ``usb`` (vendor and product id), ``network`` (host and port, 9100 by
default) and ``file`` (a device or file path: /dev/usb/lp0, a serial port set up with stty, a file).
``clean_printer_config`` validates what the Settings page sends; each error names its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from app.core.errors import ValidationError
from app.core.hosts import is_host, tcp_port

# Characters a line, by roll: 58 mm prints 32; 80 mm prints 48 (576 dots) or 42 (older 512-dot heads).
PAPER_COLUMNS: dict[int, tuple[int, int]] = {32: (58, 32), 48: (80, 48), 42: (80, 42)}
DEFAULT_PORT = 9100
_USB_ID_RE = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")


class PrinterKind(StrEnum):
    NONE = "none"
    SYSTEM = "system"
    USB = "usb"
    NETWORK = "network"
    FILE = "file"


ESCPOS_KINDS = frozenset({PrinterKind.USB, PrinterKind.NETWORK, PrinterKind.FILE})


class InvalidPrinterSetting(ValidationError):
    code = "invalid_printer_setting"


@dataclass(frozen=True)
class PrinterConfig:
    kind: PrinterKind = PrinterKind.SYSTEM
    usb_vendor: int | None = None
    usb_product: int | None = None
    host: str = ""
    port: int = DEFAULT_PORT
    device: str = ""
    columns: int = 48
    auto_print: bool = False

    @property
    def paper_mm(self) -> int:
        return PAPER_COLUMNS.get(self.columns, (80, 48))[0]

    @property
    def escpos(self) -> bool:
        """A thermal printer that python-escpos drives (not the system printer)."""
        return self.kind in ESCPOS_KINDS

    @property
    def can_print(self) -> bool:
        return self.kind != PrinterKind.NONE

    def describe(self) -> str:
        if self.kind == PrinterKind.USB:
            return f"USB printer {self.usb_vendor or 0:04x}:{self.usb_product or 0:04x}"
        if self.kind == PrinterKind.NETWORK:
            return f"network printer {self.host}:{self.port}"
        if self.kind == PrinterKind.FILE:
            return f"printer at {self.device}"
        return "the system printer" if self.kind == PrinterKind.SYSTEM else "no printer"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind.value}


def _kind(value: object) -> PrinterKind:
    try:
        return PrinterKind(str(value or PrinterKind.SYSTEM).strip().lower())
    except ValueError:
        options = ", ".join(k.value for k in PrinterKind)
        raise InvalidPrinterSetting(f"The printer kind must be one of {options}.", field="kind") from None


def _usb_id(value: object, field: str, what: str) -> int:
    text = str(value if value is not None else "").strip()
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 0xFFFF:
        return value
    if not _USB_ID_RE.match(text) or int(text, 16) == 0:
        raise InvalidPrinterSetting(f"The USB {what} id is 4 hexadecimal digits, like 04b8 (see lsusb).", field=field)
    return int(text, 16)


def _host(value: object) -> str:
    text = str(value or "").strip()
    if not is_host(text):
        raise InvalidPrinterSetting("Enter the printer's IP address or host name.", field="host")
    return text


def _port(value: object) -> int:
    if value is None or value == "":
        return DEFAULT_PORT
    port = tcp_port(value)
    if port is None:
        raise InvalidPrinterSetting("The port is a number from 1 to 65535 (thermal printers use 9100).",
                                    field="port")
    return port


def _device(value: object) -> str:
    text = str(value or "").strip()
    if not text or "\x00" in text or len(text) > 1024:
        raise InvalidPrinterSetting("Enter the printer's device path, like /dev/usb/lp0.", field="device")
    return text


def _columns(value: object) -> int:
    text = str(value if value is not None else 48).strip()
    if not text.isdigit() or int(text) not in PAPER_COLUMNS:
        raise InvalidPrinterSetting("Choose 58 mm (32 characters) or 80 mm (42 or 48 characters) paper.",
                                    field="columns")
    return int(text)


def clean_printer_config(values: Mapping[str, object]) -> PrinterConfig:
    """A validated config from form or stored values; only the fields of the chosen kind are kept."""
    kind = _kind(values.get("kind"))
    config = PrinterConfig(kind=kind, columns=_columns(values.get("columns")),
                           auto_print=bool(values.get("auto_print")) and kind != PrinterKind.NONE)
    if kind == PrinterKind.USB:
        return PrinterConfig(**{**asdict(config), "usb_vendor": _usb_id(values.get("usb_vendor"), "usb_vendor", "vendor"),
                                "usb_product": _usb_id(values.get("usb_product"), "usb_product", "product")})
    if kind == PrinterKind.NETWORK:
        return PrinterConfig(**{**asdict(config), "host": _host(values.get("host")), "port": _port(values.get("port"))})
    if kind == PrinterKind.FILE:
        return PrinterConfig(**{**asdict(config), "device": _device(values.get("device"))})
    return config


__all__ = ["DEFAULT_PORT", "ESCPOS_KINDS", "PAPER_COLUMNS", "InvalidPrinterSetting", "PrinterConfig", "PrinterKind",
           "clean_printer_config"]
