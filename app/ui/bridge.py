"""Core events -> Qt signals (the idea of Electrum's QtEventListener).

The event bus calls ``_on_event`` on the app's loop after each commit; under qasync that loop is the
GUI thread. Invoice ids are coalesced and flushed every ``FLUSH_MS`` so a burst of 100 payments
becomes a few ``invoicesChanged`` emissions and views refresh only the rows they hold.

Chain state: the bridge subscribes to the chain's events (``ConnectionChanged``, ``TipChanged``,
delivered on the app's loop) and re-reads ``chain.state()`` when one arrives; ``chainStateChanged``
is emitted only when the state differs. No polling. (app.ui may not import app.chain, so events are
not told apart by class here: any chain event is a reason to look, and the comparison filters.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.ui.ports import ChainStatus, EventSource

if TYPE_CHECKING:
    from app.chain.models import ChainEvent, ChainState
    from app.services.events import OutboxEvent

logger = logging.getLogger(__name__)

FLUSH_MS = 100


class EventBridge(QObject):
    outboxEvent = Signal(object)  # every OutboxEvent, in order (not `event`: that is QObject.event)  # noqa: N815
    invoicesChanged = Signal(list)  # invoice ids touched since the last flush (coalesced)  # noqa: N815
    invoiceCreated = Signal(str)  # noqa: N815
    paymentReceived = Signal(object)  # OutboxEvent of type payment.received  # noqa: N815
    statusChanged = Signal(object)  # OutboxEvent of type invoice.status_changed  # noqa: N815
    chainStateChanged = Signal(object)  # ChainState, or None without a chain  # noqa: N815

    def __init__(self, events: EventSource, chain: ChainStatus | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events = events
        self._chain = chain
        self._unsubscribe: list[Callable[[], None]] = []
        self._pending: dict[str, None] = {}
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self.last_chain_state: ChainState | None = None
        self.received = 0

    def start(self) -> None:
        if self._unsubscribe:
            return
        self._unsubscribe.append(self._events.subscribe(self._on_event))
        if self._chain is not None:
            self._unsubscribe.append(self._chain.subscribe(self._on_chain_event))
            self.refresh_chain()

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._flush_timer.stop()

    def _on_event(self, event: OutboxEvent) -> None:
        self.received += 1
        self.outboxEvent.emit(event)
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

    def _on_chain_event(self, _event: ChainEvent) -> None:
        self.refresh_chain()

    def refresh_chain(self) -> None:
        """Read the chain's state now; emit ``chainStateChanged`` if it changed."""
        if self._chain is None:
            return
        try:
            state = self._chain.state()
        except Exception:  # a broken adapter must not take the window down
            logger.exception("chain state unavailable")
            return
        if state != self.last_chain_state:
            self.last_chain_state = state
            self.chainStateChanged.emit(state)
