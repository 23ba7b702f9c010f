"""ESC/POS thermal printers through python-escpos 3.1: open one from a ``PrinterConfig`` and print.

- ``open_printer(config)``: ``escpos.printer.Usb`` (vendor/product id; needs pyusb and libusb),
  ``Network`` (host:port, raw TCP, usually 9100) or ``File`` (a device path such as /dev/usb/lp0 or
  a serial port already set up with stty; or a plain file).
- ``write_receipt(printer, receipt, columns)``: the rows of ``app.core.receipts.layout`` as text
  (bold total, double-height shop name), a native QR code of the invoice link (``GS ( k``), a feed and
  a full cut (``GS V``).
All calls block: the service runs them in a worker thread. Failures become ``PrinterUnavailable``.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import UserFacingError
from app.core.printers import PrinterConfig, PrinterKind
from app.core.receipts import Align, Receipt, Row, layout

if TYPE_CHECKING:
    from escpos.escpos import Escpos

logger = logging.getLogger(__name__)

QR_SIZE = {32: 5, 42: 6, 48: 6}  # module size in dots: ~41 modules x 6 = 246 dots, under 384
Opener = Callable[[PrinterConfig], "Escpos"]


class PrinterUnavailable(UserFacingError):
    code = "printer_unavailable"
    http_status = 503


_FIELD = {PrinterKind.USB: "usb_vendor", PrinterKind.NETWORK: "host", PrinterKind.FILE: "device"}


def _capabilities_dir() -> Path | None:
    """python-escpos caches its printer profiles as a pickle in ESCPOS_CAPABILITIES_PICKLE_DIR (a new
    temporary directory per process otherwise): one private directory per user, reused."""
    path = Path(tempfile.gettempdir()) / f"redwaves-escpos-{getpass.getuser()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.stat()
    except OSError:
        return None
    return path if info.st_uid == os.getuid() and not info.st_mode & 0o077 else None


@dataclass(frozen=True)
class _Library:
    network: Any
    file: Any
    usb: Any
    errors: tuple[type[BaseException], ...]


@cache
def _library() -> _Library:
    """Import python-escpos on first use (about 0.2 s, and it reads its profile data): start-up never pays."""
    folder = _capabilities_dir()
    if folder is not None:
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(folder))
    from escpos import exceptions, printer

    class Network(printer.Network):  # type: ignore[misc]  # python-escpos has no type hints
        """python-escpos 3.1's ``Network.open`` leaves the socket open when the connection fails."""

        def open(self, raise_not_found: bool = True) -> None:
            if self._device:
                self.close()
            try:
                connection = socket.create_connection((self.host, self.port), timeout=self.timeout)
            except OSError as exc:
                self.device = None
                raise exceptions.DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc
            self.device = connection

    # pyusb: USBError is an OSError, NoBackendError a ValueError
    return _Library(network=Network, file=printer.File, usb=printer.Usb, errors=(exceptions.Error, OSError, ValueError))


def open_printer(config: PrinterConfig, *, timeout_s: float = 10.0) -> Escpos:
    """The python-escpos printer for ``config`` (not yet connected: the first write opens it)."""
    lib = _library()
    if config.kind == PrinterKind.NETWORK:
        return lib.network(host=config.host, port=config.port, timeout=timeout_s)
    if config.kind == PrinterKind.FILE:
        return lib.file(devfile=config.device)
    if config.kind == PrinterKind.USB:
        if not lib.usb.is_usable():
            raise PrinterUnavailable("USB printers need pyusb (pip install pyusb) and libusb.", field="usb_vendor")
        return lib.usb(idVendor=config.usb_vendor, idProduct=config.usb_product, timeout=int(timeout_s * 1000))
    raise PrinterUnavailable(f"{config.describe().capitalize()} is not an ESC/POS printer.", field="kind")


def _style(printer: Escpos, row: Row) -> None:
    printer.set(align=row.align.value, bold=row.bold, normal_textsize=not row.title, double_height=row.title)


def write_receipt(printer: Escpos, receipt: Receipt, columns: int) -> None:
    last: tuple[Align, bool, bool] | None = None
    for row in layout(receipt, columns):
        if (row.align, row.bold, row.title) != last:
            _style(printer, row)
            last = (row.align, row.bold, row.title)
        printer.textln(row.text.strip() if row.align == Align.CENTER else row.text)
    if receipt.link:
        printer.set(align="center", bold=False, normal_textsize=True)
        printer.ln()
        printer.qr(receipt.link, native=True, size=QR_SIZE.get(columns, 5))
        printer.set(align="left")
    printer.cut()


@contextmanager
def _connected(config: PrinterConfig, opener: Opener) -> Iterator[Escpos]:
    printer = opener(config)
    try:
        yield printer
    except _library().errors as exc:
        logger.warning("printing on %s failed: %s", config.describe(), exc)
        detail = _detail(exc)
        raise PrinterUnavailable(f"Could not print on {config.describe()}: {detail}",
                                 field=_FIELD.get(config.kind)) from exc
    finally:
        try:
            printer.close()
        except _library().errors as exc:
            logger.debug("closing %s: %s", config.describe(), exc)


def _detail(exc: BaseException) -> str:
    """The operating system's words ("Connection refused", "Permission denied") when there are some."""
    root = exc.__cause__ or exc.__context__ or exc
    if isinstance(root, OSError) and root.strerror:
        return root.strerror
    text = str(root).strip()
    return text.splitlines()[-1] if text else type(root).__name__


def print_receipt(config: PrinterConfig, receipt: Receipt, *, opener: Opener = open_printer) -> None:
    """Open the printer, print ``receipt`` in ``config.columns`` and cut; blocking."""
    with _connected(config, opener) as printer:
        write_receipt(printer, receipt, config.columns)
    logger.info("receipt %s printed on %s", receipt.invoice_id, config.describe())


__all__ = ["Opener", "PrinterUnavailable", "open_printer", "print_receipt", "write_receipt"]
