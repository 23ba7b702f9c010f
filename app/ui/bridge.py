"""Core events -> Qt signals (the idea of Electrum's QtEventListener).

The event bus calls ``_on_event`` on the app's loop after each commit; under qasync that loop is the
GUI thread. Invoice ids are coalesced and flushed every ``FLUSH_MS`` so a burst of 100 payments
becomes a few ``invoicesChanged`` emissions and views refresh only the rows they hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

logger = logging.getLogger(__name__)

FLUSH_MS = 100
CHAIN_POLL_MS = 1000


class EventBridge(QObject):
    event = Signal(object)  # every OutboxEvent, in order
    invoicesChanged = Signal(list)  # invoice ids touched since the last flush (coalesced)  # noqa: N815
    invoiceCreated = Signal(str)  # noqa: N815
    paymentReceived = Signal(object)  # OutboxEvent of type payment.received  # noqa: N815
    statusChanged = Signal(object)  # OutboxEvent of type invoice.status_changed  # noqa: N815
    chainStateChanged = Signal(object)  # ChainState-like object  # noqa: N815

    def __init__(self, events: Any, chain_state: Callable[[], Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events = events
        self._chain_state = chain_state
        self._unsubscribe: Callable[[], None] | None = None
        self._pending: dict[str, None] = {}
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._chain_timer = QTimer(self, interval=CHAIN_POLL_MS)
        self._chain_timer.timeout.connect(self.poll_chain)
        self.last_chain_state: Any = None
        self.received = 0

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._events.subscribe(self._on_event)
        if self._chain_state is not None:
            self._chain_timer.start()
            self.poll_chain()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._chain_timer.stop()
        self._flush_timer.stop()

    def _on_event(self, event: Any) -> None:
        self.received += 1
        self.event.emit(event)
        if event.type == "invoice.created" and event.invoice_id:
            self.invoiceCreated.emit(event.invoice_id)
        elif event.type == "payment.received":
            self.paymentReceived.emit(event)
        elif event.type == "invoice.status_changed":
            self.statusChanged.emit(event)
        if event.invoice_id and event.type != "invoice.created":
            self._pending[event.invoice_id] = None
            if not self._flush_timer.isActive():
                self._flush_timer.start()

    def _flush(self) -> None:
        ids, self._pending = list(self._pending), {}
        if ids:
            self.invoicesChanged.emit(ids)

    def poll_chain(self) -> None:
        if self._chain_state is None:
            return
        try:
            state = self._chain_state()
        except Exception:  # a broken adapter must not take the window down
            logger.exception("chain state unavailable")
            return
        if state != self.last_chain_state:
            self.last_chain_state = state
            self.chainStateChanged.emit(state)
