"""PaidScreen: a full-screen "Paid" with the amount, optional receipt (email and/or print), and an
automatic return to the start screen after ``AUTO_RETURN_S`` seconds without a touch.

Sound: QtMultimedia is not part of PySide6-Essentials, so the confirmation uses QApplication.beep()
(the platform's bell; silent where there is none) when ``sound`` is on.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

from app.core.records import Invoice
from app.ui import formatting
from app.ui.kiosk.style import set_role
from app.ui.kiosk.widgets import button, label

AUTO_RETURN_S = 30


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
        self._left = 0
        self.tick = label("✓", name="paidTick", role="huge", center=True)
        self.headline = label("Paid — thank you!", name="paidHeadline", role="huge", center=True)
        self.amount = label(name="paidAmount", role="title", center=True)
        self.btc = label(name="paidBtc", role="muted", center=True)
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
        for w in (self.tick, self.headline, self.amount, self.btc, self.message):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addLayout(actions)
        layout.addWidget(self.countdown)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._on_timer_timeout)

    def show_paid(self, invoice: Invoice, *, email_ready: bool, can_print: bool = True) -> None:
        self.invoice = invoice
        self.amount.setText(formatting.fiat(invoice.price, invoice.currency))
        self.btc.setText(f"{formatting.btc(invoice.amount_paid_sat)} received")
        self.email_button.setVisible(email_ready)
        self.print_button.setVisible(can_print)
        self.show_message("")
        self.touch()
        self._timer.start()
        if self.sound:
            QApplication.beep()
            self.beeps += 1

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
        self.touch()
        self._timer.start()

    def finish(self) -> None:
        self._timer.stop()
        self.done.emit()

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
