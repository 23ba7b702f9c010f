"""PaidScreen: what the shopper sees once the full amount is seen, per the store's speed policy.

- ``paid`` / ``confirmed`` (the store wants more confirmations than the payment has): "Payment seen —
  waiting for N confirmation(s)". No receipt yet, no automatic return: the sale is not settled.
  **New sale** stays available (the invoice settles in the background, as any invoice does).
- ``complete`` (the speed policy is met; at once for a 0-confirmation store): "Paid — thank you!", a
  beep, **Email receipt** / **Print receipt**, and back to the start after ``auto_return_s`` seconds
  without a touch.
- anything else while waiting (the payment was replaced or double-spent, the monitoring window ran
  out): "This payment did not go through" and **New sale**.
The window keeps following the invoice and calls ``show_status`` with every new snapshot.

Sound: QtMultimedia is not part of PySide6-Essentials, so the confirmation uses QApplication.beep()
(the platform's bell; silent where there is none) when ``sound`` is on.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

from app.core.lightning import paid_over_lightning
from app.core.records import Invoice
from app.core.statuses import LIVE_PAYMENT_STATES, InvoiceStatus
from app.ui import formatting
from app.ui.kiosk.options import AUTO_RETURN_S
from app.ui.kiosk.style import set_role
from app.ui.kiosk.widgets import button, label

SEEN = frozenset({InvoiceStatus.PAID, InvoiceStatus.CONFIRMED})  # the full amount, not settled yet


def confirmations_needed(invoice: Invoice) -> int:
    """How many more confirmations the store's speed policy wants (at least 1 while not complete)."""
    live = [p.confirmations for p in invoice.payments if p.accounted and p.state in LIVE_PAYMENT_STATES]
    have = min(live, default=0)
    return max(1, invoice.speed_policy - have)


def waiting_text(invoice: Invoice) -> str:
    n = confirmations_needed(invoice)
    return f"Payment seen — waiting for {n} confirmation{'' if n == 1 else 's'}"


class PaidScreen(QWidget):
    emailRequested = Signal()  # noqa: N815
    printRequested = Signal()  # noqa: N815
    done = Signal()

    def __init__(self, parent: QWidget | None = None, *, auto_return_s: int = AUTO_RETURN_S,
                 sound: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("paidScreen")
        self.auto_return_s = auto_return_s
        self.sound = sound
        self.beeps = 0
        self.invoice: Invoice | None = None
        self.email_ready = self.can_print = False
        self._left = 0
        self.tick = label("✓", name="paidTick", role="huge", center=True)
        self.headline = label("Paid — thank you!", name="paidHeadline", role="huge", center=True, wrap=True)
        self.amount = label(name="paidAmount", role="title", center=True)
        self.btc = label(name="paidBtc", role="muted", center=True)
        self.note = label(name="paidNote", role="muted", center=True, wrap=True)
        self.message = label(name="receiptMessage", center=True, wrap=True)
        self.countdown = label(name="autoReturn", role="muted", center=True)
        self.email_button = button("Email receipt", name="emailReceipt", on_click=self._on_email_button_clicked)
        self.print_button = button("Print receipt", name="printReceipt", on_click=self._on_print_button_clicked)
        self.done_button = button("New sale", name="paidDone", role="primary", on_click=self.finish)
        actions = QHBoxLayout()
        for b in (self.email_button, self.print_button, self.done_button):
            actions.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (self.tick, self.headline, self.amount, self.btc, self.note, self.message):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addLayout(actions)
        layout.addWidget(self.countdown)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- what the window calls -------------------------------------------------------------------

    def show_paid(self, invoice: Invoice, *, email_ready: bool, can_print: bool = True) -> None:
        """A new sale reached the full amount; ``show_status`` follows it from here."""
        self.invoice = None
        self.email_ready, self.can_print = email_ready, can_print
        self.amount.setText(formatting.fiat(invoice.price, invoice.currency))
        self.show_message("")
        self.show_status(invoice)

    def show_status(self, invoice: Invoice) -> None:
        was_complete = self.complete
        self.invoice = invoice
        self.btc.setText(f"{formatting.btc(invoice.amount_paid_sat)} received")
        if invoice.status == InvoiceStatus.COMPLETE:
            if not was_complete:
                self._show_complete()
        elif invoice.status in SEEN:
            self._show_waiting(invoice)
        else:
            self._show_failed(invoice)

    @property
    def complete(self) -> bool:
        return self.invoice is not None and self.invoice.status == InvoiceStatus.COMPLETE

    @property
    def waiting(self) -> bool:
        """Still following: the payment is seen but the speed policy is not met."""
        return self.invoice is not None and self.invoice.status in SEEN

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "error" if error else "ok")

    def touch(self) -> None:
        """Any interaction restarts the auto-return countdown."""
        self._left = self.auto_return_s
        self._show_countdown()

    def pause(self) -> None:
        self._timer.stop()

    def resume(self) -> None:
        if self.complete:
            self.touch()
            self._timer.start()

    def finish(self) -> None:
        self._timer.stop()
        self.done.emit()

    # -- states ----------------------------------------------------------------------------------

    def _show_complete(self) -> None:
        self.tick.show()
        self.tick.setText("✓")
        set_role(self.tick, "huge")
        self.headline.setText("Paid — thank you!")
        set_role(self.headline, "huge")
        self.note.setText("Paid over Lightning" if self.invoice and paid_over_lightning(self.invoice) else "")
        self.email_button.setVisible(self.email_ready)
        self.print_button.setVisible(self.can_print)
        self.countdown.show()
        self.touch()
        self._timer.start()
        if self.sound:
            QApplication.beep()
            self.beeps += 1

    def _show_waiting(self, invoice: Invoice) -> None:
        self.tick.hide()
        self.headline.setText(waiting_text(invoice))
        set_role(self.headline, "big")
        n = invoice.speed_policy
        self.note.setText(f"This shop settles a sale after {n} confirmation{'' if n == 1 else 's'} on the "
                          "bitcoin network (a new block comes about every 10 minutes). This screen changes "
                          "by itself.")
        self._hide_receipts()

    def _show_failed(self, invoice: Invoice) -> None:
        self.tick.show()
        self.tick.setText("✕")
        set_role(self.tick, "big")
        self.headline.setText("This payment did not go through")
        set_role(self.headline, "bigError")
        self.note.setText(f"The invoice is now {invoice.status}. Start a new sale to ask for a new payment.")
        self._hide_receipts()

    def _hide_receipts(self) -> None:
        self._timer.stop()
        self.email_button.hide()
        self.print_button.hide()
        self.countdown.hide()

    # -- internals -------------------------------------------------------------------------------

    def _show_countdown(self) -> None:
        self.countdown.setText(f"Back to the start in {self._left} s")

    def _on_timer_timeout(self) -> None:
        self._left -= 1
        self._show_countdown()
        if self._left <= 0:
            self.finish()

    def _on_email_button_clicked(self) -> None:
        self.pause()
        self.emailRequested.emit()

    def _on_print_button_clicked(self) -> None:
        self.touch()
        self.printRequested.emit()
