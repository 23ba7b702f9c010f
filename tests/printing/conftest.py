"""Printer tests: a 5-item kiosk sale as a Receipt, and a TCP server on 127.0.0.1 that keeps what a
network printer would receive (a thermal printer listens on raw TCP, port 9100)."""

from __future__ import annotations

import asyncio
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.core.receipts import Receipt, ReceiptItem

GS_CUT = b"\x1dV"  # GS V: cut (python-escpos sends GS V 0 for a full cut)
GS_QR = b"\x1d(k"  # GS ( k: 2D code (QR) commands
BOLD_ON = b"\x1bE\x01"


def sale_receipt(**changes: object) -> Receipt:
    items = (ReceiptItem("Espresso", 2, Decimal("5.00")), ReceiptItem("Cappuccino", 1, Decimal("3.80")),
             ReceiptItem("Croissant with almond cream and powdered sugar on top", 3, Decimal("6.60")),
             ReceiptItem("Orange juice", 1, Decimal("3.50")), ReceiptItem("Bagel", 10, Decimal("1310.00")))
    base: dict[str, object] = dict(
        store_name="Corner Cafe", invoice_id="inv_7Yc2kq9XW3", when=datetime(2026, 3, 1, 12, 5, tzinfo=UTC),
        currency="USD", items=items, subtotal=Decimal("1328.90"), discount=Decimal("66.45"),
        tip=Decimal("126.25"), total=Decimal("1388.70"), amount_sat=2_314_500, paid_sat=2_314_500,
        rate=Decimal("60000.00"), status="Paid", address="bcrt1q9x8w7v6u5t4s3r2q1p0o9n8m7l6k5j4h3g2f1e",
        txids=("ab" * 32,), link="http://127.0.0.1:8470/i/inv_7Yc2kq9XW3")
    return Receipt(**{**base, **changes})  # type: ignore[arg-type]


AMOUNTS = ("5.00 USD", "3.80 USD", "6.60 USD", "3.50 USD", "1,310.00 USD", "1,328.90 USD", "-66.45 USD",
           "126.25 USD", "1,388.70 USD", "0.02314500 BTC", "60,000.00 USD/BTC")


class _Job(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        chunks = []
        while chunk := self.request.recv(65536):  # until the client closes
            chunks.append(chunk)
        server: CapturingPrinter = self.server  # type: ignore[assignment]
        with server.lock:
            server.jobs.append(b"".join(chunks))


class CapturingPrinter(socketserver.ThreadingTCPServer):
    """A raw-TCP 'printer' on 127.0.0.1 (in a thread, so it serves any event loop): each job's bytes."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Job)
        self.port: int = self.server_address[1]
        self.jobs: list[bytes] = []
        self.lock = threading.Lock()

    async def wait(self, count: int = 1, timeout_s: float = 10.0) -> bytes:
        async with asyncio.timeout(timeout_s):
            while len(self.jobs) < count:  # noqa: ASYNC110 - the jobs arrive on the server's thread
                await asyncio.sleep(0.02)
        return self.jobs[count - 1]


@pytest.fixture
def tcp_printer() -> Iterator[CapturingPrinter]:
    printer = CapturingPrinter()
    thread = threading.Thread(target=printer.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield printer
    finally:
        printer.shutdown()
        printer.server_close()
        thread.join(5)
