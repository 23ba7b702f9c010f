"""KioskWindow: the fullscreen point of sale for one store.

Screens (one QStackedWidget): loading -> sale (keypad / products + cart) -> adjust (tip, discount) ->
charge (QR, countdown) -> paid (waiting for confirmations per the store's speed policy, then paid) ->
email receipt; the PIN page guards leaving. With people (Settings → Staff) who may sell in the store, a
person starts the kiosk with their PIN (kiosk/people_screen.py), sells as themselves (``actor=`` on every
invoice) and leaving takes the PIN of that person or of a manager / the owner. Without people, the
merchant PIN guards leaving; with no merchant PIN set the kiosk then does not open: it says so and points
to Settings → Point of sale (the owner sets the PIN there, never whoever opens it first).
The window talks to the services only through owned tasks (``ctx.run``) and follows its invoice
through the bridge (plus a slow poll, so a missed event never strands the shopper).
Nothing here reaches settings, keys or other stores: it knows one store id and the POS service.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from app.core.errors import UserFacingError
from app.core.records import Invoice, Product, Store
from app.core.staff import SYSTEM, Actor, AuditAction
from app.ui.context import UiContext
from app.ui.kiosk.adjust_screen import AdjustScreen
from app.ui.kiosk.cart_model import Adjustment, Cart
from app.ui.kiosk.charge_screen import ChargeScreen
from app.ui.kiosk.email_screen import EmailScreen
from app.ui.kiosk.lock import AdminGuard
from app.ui.kiosk.options import KioskOptions
from app.ui.kiosk.paid_screen import PaidScreen
from app.ui.kiosk.people_screen import PeopleScreen, PersonPin, may_release, sellers
from app.ui.kiosk.pin_dialog import NoPinScreen, PinDialog
from app.ui.kiosk.printing import KioskPrinting
from app.ui.kiosk.receipt import ReceiptPrinter
from app.ui.kiosk.refund_flow import KioskRefundFlow
from app.ui.kiosk.sale_screen import SaleScreen
from app.ui.kiosk.style import scale_for, set_role, stylesheet
from app.ui.kiosk.widgets import button, label
from app.ui.ports import KioskServices
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.chain.models import ChainState
    from app.services.staff.people import Person

Loaded = tuple[Store, list[Product], bool, bool, list["Person"]]

logger = logging.getLogger(__name__)


class KioskWindow(QWidget):
    closed = Signal()

    def __init__(self, ctx: UiContext[KioskServices], store_id: str | None,
                 options: KioskOptions | None = None) -> None:
        super().__init__()
        self.setObjectName("kiosk")
        self.setWindowTitle("RedWaves point of sale")
        self.ctx, self.store_id = ctx, store_id
        self.options = options or KioskOptions()
        self.pos_service = ctx.services.pos  # not `pos`: that is QWidget.pos()
        self.store: Store | None = None
        self.cart: Cart | None = None
        self.email_ready = False
        self.following: str | None = None
        self.unlocked = False
        self.pin_set: bool | None = None  # unknown until loaded
        self.people: list[Person] = []  # who may sell here; none: the merchant PIN guards the kiosk
        self.actor: Actor | None = None  # the person selling (after their PIN)
        self._products: list[Product] = []
        self._person_pin: PersonPin | None = None
        self._scale = 0.0
        self._return_to: QWidget | None = None
        self.online = False
        self.guard = AdminGuard(ctx.parent, lambda: self.request_unlock("admin"))
        system_printer = ReceiptPrinter(self.options.pdf_dir or Path(ctx.settings.network_dir) / "receipts",
                                        use_system_printer=self.options.use_system_printer)
        # receipts on the printer chosen in Settings → Printer; auto-print once a sale settles (kiosk/printing.py)
        self.receipts = KioskPrinting(ctx.run, ctx.services.printer, self.pos_service, system_printer,
                                      lambda text, error=False: self.paid.show_message(text, error=error))
        self._build_chrome()
        self._poll = QTimer(self, interval=self.options.poll_ms)
        self._poll.timeout.connect(self._refresh_invoice)
        ctx.bridge.invoicesChanged.connect(self._on_bridge_invoices_changed)
        ctx.bridge.chainStateChanged.connect(self._on_bridge_chain_state_changed)
        self._on_bridge_chain_state_changed(ctx.bridge.last_chain_state)
        self.setStyleSheet(stylesheet(1.0))

    # -- chrome and screens ----------------------------------------------------------------------

    def _build_chrome(self) -> None:
        self.store_label = label("Point of sale", name="kioskStore", role="title")
        self.network = label(name="kioskNetwork")
        self.exit_button = button("Exit", name="kioskExit", on_click=lambda: self.request_unlock("exit"))
        self.exit_button.setMaximumWidth(220)
        self.refund_button = button("Refund", name="kioskRefund", on_click=self._on_refund_clicked)
        self.refund_button.setMaximumWidth(220)
        self.refund_button.hide()  # once the store has loaded (kiosk/refund_flow.py, behind the PIN)
        bar = named(QFrame(), "topBar")
        top = QHBoxLayout(bar)
        top.setContentsMargins(8, 2, 8, 2)
        top.addWidget(self.store_label, 1)
        top.addWidget(self.network)
        top.addWidget(self.refund_button)
        top.addWidget(self.exit_button)
        self.loading = label("Opening the point of sale…", name="kioskLoading", role="title", center=True, wrap=True)
        self.pin = PinDialog(self.pos_service.pin, self.ctx.run)
        self.pin.unlocked.connect(self._on_pin_unlocked)
        self.pin.cancelled.connect(self._on_pin_cancelled)
        self.no_pin = NoPinScreen()
        self.no_pin.back.clicked.connect(lambda _c=False: self.leave())
        self.people_screen = PeopleScreen()
        self.people_screen.picked.connect(self._on_person_picked)
        self.people_screen.back.connect(self._on_people_back)
        self.stack = named(QStackedWidget(), "kioskScreens")
        self.stack.addWidget(self.loading)
        self.stack.addWidget(self.pin)
        self.stack.addWidget(self.no_pin)
        self.stack.addWidget(self.people_screen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.stack, 1)

    def _build_store_screens(self, store: Store, products: list[Product]) -> None:
        self.cart = Cart(store.default_currency)
        self.sale = SaleScreen(self.cart, self.ctx.services.product_images.path)
        self.sale.set_products(products)
        self.sale.cart_view.chargeRequested.connect(self._on_sale_charge_requested)
        self.sale.cart_view.tipRequested.connect(lambda: self._open_adjust("tip"))
        self.sale.cart_view.discountRequested.connect(lambda: self._open_adjust("discount"))
        self.adjust = AdjustScreen(store.default_currency)
        self.adjust.applied.connect(self._on_adjust_applied)
        self.adjust.cancelled.connect(lambda: self.show_screen(self.sale))
        self.charge = ChargeScreen(store)
        self.charge.paid.connect(self._on_charge_paid)
        self.charge.cancelRequested.connect(self._on_charge_cancel_requested)
        self.charge.newSaleRequested.connect(self._back_to_sale)
        self.charge.set_network(self.online)
        self.paid = PaidScreen(auto_return_s=self.options.auto_return_s, sound=self.options.sound)
        self.paid.done.connect(self._back_to_sale)
        self.paid.emailRequested.connect(self._on_paid_email_requested)
        self.paid.printRequested.connect(self._on_paid_print_requested)
        self.email = EmailScreen()
        self.email.sendRequested.connect(self._on_email_send_requested)
        self.email.back.connect(self._on_email_back)
        self.refunds = KioskRefundFlow(self.ctx, store, self.show_screen, self._back_to_sale, self)
        for screen in (self.sale, self.adjust, self.charge, self.paid, self.email, *self.refunds.screens):
            self.stack.addWidget(screen)
        self.refund_button.show()
        self._scale = 0.0
        self._apply_scale()

    def show_screen(self, screen: QWidget) -> None:
        """Switch screens; while the PIN page (or the people asked for it) is up, remember where to go back."""
        if self.stack.currentWidget() in (self.pin, self.people_screen) and screen not in (self.pin,
                                                                                          self.people_screen):
            self._return_to = screen
            return
        self.stack.setCurrentWidget(screen)

    @property
    def current(self) -> QWidget | None:
        return self.stack.currentWidget()

    # -- start -----------------------------------------------------------------------------------

    def start(self) -> None:
        self.guard.engage()
        self.receipts.load()
        if not self.store_id:
            self._on_load_error(UserFacingError("Create a store first, then open the point of sale."))
            return
        self.ctx.run(self._load(self.store_id), self._on_loaded, name="kiosk-load", on_user_error=self._on_load_error)

    async def _load(self, store_id: str) -> Loaded:
        services = self.ctx.services
        store = await services.stores.get(store_id)
        products = await services.products.list(store_id)
        people = sellers(services.staff, await services.staff.list(), store_id)
        return (store, list(products), await self.pos_service.pin.is_set(),
                await self.pos_service.email_ready(store_id), people)

    def _on_loaded(self, result: Loaded) -> None:
        store, products, self.pin_set, self.email_ready, self.people = result
        self.store_label.setText(store.name)
        if self.people:  # a person starts the kiosk with their PIN
            self.store, self._products = store, products
            self._ask_people("start")
            return
        if not self.pin_set:  # nothing could keep a shopper out of the admin window
            logger.info("kiosk: no merchant PIN set; not opening the point of sale")
            self.stack.setCurrentWidget(self.no_pin)
            return
        self.store = store
        self._build_store_screens(store, products)
        self.show_screen(self.sale)

    def _on_load_error(self, error: UserFacingError) -> None:
        self.loading.setText(f"The point of sale cannot open: {error.message}")
        set_role(self.loading, "error")

    # -- selling ---------------------------------------------------------------------------------

    def _open_adjust(self, kind: str) -> None:
        assert self.cart is not None
        self.adjust.open_for(kind, self.cart)
        self.show_screen(self.adjust)

    def _on_adjust_applied(self, kind: str, adjustment: Adjustment | None) -> None:
        assert self.cart is not None
        setattr(self.cart, kind, adjustment)
        self.sale.refresh()
        self.show_screen(self.sale)

    def _on_sale_charge_requested(self) -> None:
        cart = self.cart
        if cart is None or cart.total <= 0 or self.store is None:
            return
        self.sale.cart_view.set_busy(True)
        coro = self.ctx.services.invoices.create(
            self.store.id, price=str(cart.total), currency=cart.currency, description=cart.description(),
            items=cart.items(), metadata=cart.metadata(), actor=self.actor or SYSTEM,
            tip=cart.tip_amount if cart.tip is not None else None)
        self.ctx.run(coro, self._on_invoice_created, name="kiosk-charge", on_user_error=self._on_charge_error)

    def _on_charge_error(self, error: UserFacingError) -> None:
        self.sale.refresh()
        self.sale.cart_view.show_error(error.message)

    def _on_invoice_created(self, invoice: Invoice) -> None:
        logger.info("kiosk invoice %s for %s %s", invoice.id, invoice.price, invoice.currency)
        self.sale.refresh()
        self.following = invoice.id
        self.charge.show_invoice(invoice)
        self.show_screen(self.charge)
        self._poll.start()

    def _on_bridge_invoices_changed(self, ids: list[str]) -> None:
        if self.following is not None and self.following in ids:
            self._refresh_invoice()

    def _refresh_invoice(self) -> None:
        if self.following is not None:
            self.ctx.run(self.ctx.services.invoices.get(self.following), self._on_invoice_refreshed,
                         name="kiosk-follow", on_user_error=lambda e: logger.info("follow: %s", e.message))

    def _on_invoice_refreshed(self, invoice: Invoice) -> None:
        if invoice.id != self.following:
            return
        if self.paid.invoice is not None and self.paid.invoice.id == invoice.id:  # waiting for confirmations
            self.paid.show_status(invoice)
            self.receipts.on_invoice(invoice)  # auto-print when settled
            if not self.paid.waiting:
                self._stop_following()
            return
        self.charge.show_invoice(invoice)

    def _on_charge_paid(self, invoice: Invoice) -> None:
        """The full amount is seen. The paid screen follows the store's speed policy from here: the
        invoice is still followed until it is complete (or fails)."""
        self.charge.stop()
        assert self.cart is not None
        self.cart.clear()
        self.sale.refresh()
        self.paid.show_paid(invoice, email_ready=self.email_ready, can_print=self.receipts.can_print)
        self.receipts.on_invoice(invoice)  # auto-print when settled
        if not self.paid.waiting:
            self._stop_following()
        self.show_screen(self.paid)

    def _on_charge_cancel_requested(self, invoice_id: str) -> None:
        self.ctx.run(self.ctx.services.invoices.mark(invoice_id, "invalid", actor=self.actor or SYSTEM),
                     self._on_cancelled,
                     name="kiosk-cancel", on_user_error=self._on_cancel_error)

    def _on_cancelled(self, invoice: Invoice) -> None:
        logger.info("kiosk invoice %s cancelled (%s)", invoice.id, invoice.status)
        self._stop_following()
        self._back_to_sale()
        self.sale.cart_view.show_error("Sale cancelled: that invoice can no longer be paid.")

    def _on_cancel_error(self, error: UserFacingError) -> None:
        self.charge.status.setText(error.message)
        self.charge.reset_cancel()
        self._refresh_invoice()

    def _stop_following(self) -> None:
        self.following = None
        self._poll.stop()
        if hasattr(self, "charge"):
            self.charge.stop()

    def _back_to_sale(self) -> None:
        self._stop_following()
        self.show_screen(self.sale)

    # -- receipts --------------------------------------------------------------------------------

    def _on_paid_email_requested(self) -> None:
        self.email.start()
        self.show_screen(self.email)

    def _on_email_back(self) -> None:
        self.paid.resume()
        self.show_screen(self.paid)

    def _on_email_send_requested(self, address: str) -> None:
        invoice = self.paid.invoice
        if invoice is None:
            return

        def failed(error: UserFacingError) -> None:
            self.email.set_busy(False)
            self.email.show_error(error.message)

        self.ctx.run(self.pos_service.send_receipt(invoice.id, address), self._on_email_sent, name="kiosk-email",
                     on_user_error=failed)

    def _on_email_sent(self, address: str) -> None:
        self.paid.show_message(f"Receipt sent to {address}.")
        self._on_email_back()

    def _on_paid_print_requested(self) -> None:
        invoice = self.paid.invoice
        if invoice is not None:
            self.receipts.print(invoice.id)

    @property
    def last_receipt_pdf(self) -> Path | None:
        return self.receipts.last_pdf

    # -- network ---------------------------------------------------------------------------------

    def _on_bridge_chain_state_changed(self, state: ChainState | None) -> None:
        online = state is not None and state.connected
        syncing = state is not None and state.connected and not state.synced
        text = "● Online" if online and not syncing else ("● Syncing…" if online else "● Waiting for network")
        self.network.setText(text)
        set_role(self.network, "net-ok" if online and not syncing else "net-wait")
        self.online = online
        if hasattr(self, "charge"):  # built once the store has loaded
            self.charge.set_network(online)

    # -- lock ------------------------------------------------------------------------------------

    def request_unlock(self, reason: str = "exit") -> None:
        if self.unlocked or self.current in (self.pin, self.people_screen):
            return
        self._return_to = self.current
        if self.people:
            if self.actor is None:  # nobody started selling: nothing to protect yet
                self.leave()
            else:
                self._ask_people(reason)
            return
        if self.pin_set is False:  # no PIN: the kiosk never opened, nothing to protect
            self.leave()
            return
        if self.store is None:  # not loaded (yet, or an error): ask the guard whether a PIN exists
            self.ctx.run(self.pos_service.pin.is_set(), lambda is_set: self._ask_pin(reason) if is_set else self.leave(),
                         name="kiosk-pin-set")
            return
        self._ask_pin(reason)

    def _on_refund_clicked(self) -> None:
        if self.current is self.sale:  # never in the middle of a sale
            self.request_unlock("refund")

    def _ask_pin(self, reason: str) -> None:
        prompt = {"admin": "Merchant PIN to open RedWaves", "refund": "Merchant PIN to refund a sale"}.get(
            reason, "Merchant PIN to leave the kiosk")
        self.pin.ask(reason, prompt)
        self.stack.setCurrentWidget(self.pin)

    # -- people (kiosk/people_screen.py) ---------------------------------------------------------

    def _ask_people(self, reason: str) -> None:
        if reason == "start":
            self.people_screen.show_people(self.people, reason, "Who is selling? Tap your name.", "Back to RedWaves")
        else:
            allowed = [p for p in self.people if may_release(p, self.actor)]
            title = {"refund": "Who makes the refund? (the seller, a manager or the owner)"}.get(
                reason, "Who lets the kiosk go? (the seller, a manager or the owner)")
            self.people_screen.show_people(allowed, reason, title, "Back")
        self.stack.setCurrentWidget(self.people_screen)

    def _on_person_picked(self, person: Person) -> None:
        self._person_pin = PersonPin(self.ctx.services.staff, person)
        prompt = {"start": "PIN to start selling", "refund": "PIN to refund a sale"}.get(
            self.people_screen.reason, "PIN to leave the kiosk")
        self.pin.ask(self.people_screen.reason, f"{person.name}: {prompt}", self._person_pin)
        self.stack.setCurrentWidget(self.pin)

    def _on_people_back(self) -> None:
        if self.actor is None:  # the start: back to the admin window, nothing was opened
            self.leave()
        else:
            self._leave_pin()

    def _started_by(self, actor: Actor) -> None:
        assert self.store is not None
        self.actor = actor
        self.store_label.setText(f"{self.store.name} · {actor.name}")
        self._note(actor, AuditAction.KIOSK_START)
        self._build_store_screens(self.store, self._products)
        self._return_to = None
        self.stack.setCurrentWidget(self.sale)

    def _note(self, actor: Actor, action: str) -> None:
        self.ctx.run(self.ctx.services.audit.note(actor, action, store_id=self.store_id), name="kiosk-audit",
                     on_user_error=lambda e: logger.warning("kiosk audit: %s", e.message))

    def _on_pin_unlocked(self, reason: str) -> None:
        person_actor = self._person_pin.actor if self.people and self._person_pin is not None else None
        if self.people:
            if person_actor is None:
                return
            if reason == "start":
                self._started_by(person_actor)
                return
            if reason != "refund":
                self._note(person_actor, AuditAction.KIOSK_LEAVE)
        if reason == "refund" and hasattr(self, "refunds"):  # the refund screens; the kiosk stays locked
            if person_actor is not None:
                self.refunds.actor = person_actor  # the refund is theirs (a cashier's waits for approval)
            self._return_to = None
            self.stack.setCurrentWidget(self.sale)
            self.refunds.start()
        else:
            self.leave()

    def _on_pin_cancelled(self) -> None:
        if self.people and (self.actor is None or self.people_screen.reason != "start"):
            self.stack.setCurrentWidget(self.people_screen)  # pick someone else (or Back there)
            return
        self._leave_pin()

    def _leave_pin(self) -> None:
        target, self._return_to = self._return_to, None
        self.stack.setCurrentWidget(target if target is not None and target is not self.pin else self.loading)

    def leave(self) -> None:
        """Close the kiosk (after the PIN) and give the admin window back."""
        self.unlocked = True
        self._stop_following()
        if hasattr(self, "paid"):
            self.paid.pause()
        self.guard.release()
        self.close()
        self.guard.restore()  # as it was, inside the screen

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.unlocked:
            event.ignore()
            self.request_unlock("exit")
            return
        for signal, slot in ((self.ctx.bridge.invoicesChanged, self._on_bridge_invoices_changed),
                             (self.ctx.bridge.chainStateChanged, self._on_bridge_chain_state_changed)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                logger.debug("kiosk: bridge signal already disconnected")
        event.accept()
        self.closed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.request_unlock("exit")
            return
        super().keyPressEvent(event)

    # -- size ------------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._apply_scale()

    def _apply_scale(self) -> None:
        scale = scale_for(self.width(), self.height())
        if scale != self._scale:
            self.setStyleSheet(stylesheet(scale))
            self._scale = scale
            if hasattr(self, "sale"):
                self.sale.apply_scale(scale)
