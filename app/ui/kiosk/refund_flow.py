"""The kiosk's refund, behind the merchant PIN: find the sale -> choose the amount -> the link's QR.

``KioskWindow`` shows **Refund** in its top bar; the PIN page asks (reason ``refund``); once the PIN is
right, ``start()`` shows the recent refundable sales of this store only (``is_refundable``). The amount
comes from ``refunds.preview`` (the same rules as the window and the API) and ``refunds.create``
(actor ``kiosk``) makes the link, shown as a big QR for the shopper to scan. **Done** or **Back to the
till** return to the sale screen; leaving the kiosk still needs the PIN.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.core.errors import UserFacingError
from app.core.queries import InvoiceFilter
from app.core.records import Invoice, Page, Store
from app.core.refunds import Refund, RefundCalculation, RefundRequest, is_refundable
from app.core.staff import Actor
from app.core.statuses import InvoiceStatus
from app.ui.context import UiContext
from app.ui.kiosk.refund_amount import RefundAmountScreen, RefundLinkScreen
from app.ui.kiosk.refund_find import RefundFindScreen
from app.ui.ports import KioskServices

logger = logging.getLogger(__name__)

RECENT = 8
SCANNED = 40  # recent sales read to find RECENT refundable ones
STATUSES = (InvoiceStatus.COMPLETE, InvoiceStatus.INVALID, InvoiceStatus.PAID, InvoiceStatus.CONFIRMED,
            InvoiceStatus.EXPIRED)


class KioskRefundFlow(QObject):
    def __init__(self, ctx: UiContext[KioskServices], store: Store, show: Callable[[QWidget], None],
                 back: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx, self.store, self._show, self._back = ctx, store, show, back
        self.find = RefundFindScreen()
        self.amount = RefundAmountScreen()
        self.link = RefundLinkScreen()
        self.refund: Refund | None = None
        self.actor: Actor | str = "kiosk"  # with people: whose PIN opened the refund (kiosk/people_screen.py)
        self._seq = 0
        self.find.chosen.connect(self._on_find_chosen)
        self.find.lookup.connect(self._on_find_lookup)
        self.find.back.connect(back)
        self.amount.previewRequested.connect(self._on_amount_preview_requested)
        self.amount.confirmed.connect(self._on_amount_confirmed)
        self.amount.back.connect(self.start)
        self.link.done.connect(back)

    @property
    def screens(self) -> tuple[QWidget, ...]:
        return self.find, self.amount, self.link

    def start(self) -> None:
        self.find.start()
        self._show(self.find)
        flt = InvoiceFilter(store_id=self.store.id, status=[str(s) for s in STATUSES])
        self._ctx.run(self._ctx.services.invoices.list(flt, limit=SCANNED), self._on_sales, name="kiosk-refund-sales",
                      on_user_error=lambda e: self.find.say(e.message, error=True))

    def _on_sales(self, page: Page) -> None:
        self.find.set_sales([i for i in page.items if is_refundable(i)][:RECENT])

    def _on_find_lookup(self, invoice_id: str) -> None:
        self._ctx.run(self._ctx.services.invoices.get(invoice_id), self._on_find_chosen, name="kiosk-refund-find",
                      on_user_error=lambda e: self.find.say(e.message, error=True))

    def _on_find_chosen(self, invoice: Invoice) -> None:
        if invoice.store_id != self.store.id:  # the kiosk refunds its own store's sales only
            self.find.say("This invoice is not a sale of this store.", error=True)
            return
        if not is_refundable(invoice):
            self.find.say("This sale cannot be refunded: nothing paid on it is settled yet, or it was refunded "
                          "in full.", error=True)
            return
        self.amount.open_for(invoice)
        self._show(self.amount)

    def _on_amount_preview_requested(self, req: RefundRequest) -> None:
        invoice = self.amount.invoice
        if invoice is None:
            return
        self._seq += 1
        seq = self._seq

        def shown(calc: RefundCalculation) -> None:
            if seq == self._seq:
                self.amount.set_calculation(calc)

        def refused(error: UserFacingError) -> None:
            if seq == self._seq:
                self.amount.set_calculation(None, error.message)

        self._ctx.run(self._ctx.services.refunds.preview(invoice.id, req), shown, name="kiosk-refund-preview",
                      on_user_error=refused)

    def _on_amount_confirmed(self, req: RefundRequest) -> None:
        invoice = self.amount.invoice
        if invoice is None:
            return
        self._ctx.run(self._ctx.services.refunds.create(invoice.id, req, actor=self.actor), self._on_created,
                      name="kiosk-refund-create", on_user_error=lambda e: self.amount.set_calculation(None, e.message))

    def _on_created(self, refund: Refund) -> None:
        self.refund = refund
        logger.info("kiosk refund %s for invoice %s: %s sat", refund.id, refund.invoice_id, refund.amount_sat)
        self.link.show_refund(refund, self._ctx.services.refunds.link(refund))
        self._show(self.link)
