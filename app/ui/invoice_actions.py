"""The buttons the new-invoice dialog and the invoice detail share.

Copy address / Copy payment URI (BIP21) / Copy link, Open checkout (with the URL to copy when no
browser starts), Receipt (once paid), and on regtest with the embedded devnet (``--devnet``)
"Pay with devnet" and "Mine a block". The host lays the buttons out and calls ``set_invoice``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.dialogs import UrlDialog, open_url
from app.ui.invoice_paid import is_paid
from app.ui.ports import DevnetPort, InvoiceDialogServices
from app.ui.receipt_dialog import ReceiptDialog
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.services.admin.pos import Receipt

logger = logging.getLogger(__name__)

COPY_KEYS = ("copy_address", "copy_uri", "copy_link")
DEVNET_KEYS = ("devnet_pay", "devnet_mine")


class InvoiceActions(QObject):
    devnetDone = Signal(str)  # what the devnet did (shown in ``devnet_status``)  # noqa: N815

    def __init__(self, ctx: UiContext[InvoiceDialogServices], host: QWidget) -> None:
        super().__init__(host)
        self._ctx = ctx
        self._host = host
        self.invoice: Invoice | None = None
        self.uri_label = ""  # the store name for the BIP21 label
        self.store_url: str | None = None  # the store's public URL, once its record is read
        self.url_dialog: UrlDialog | None = None
        self.receipt_dialog: ReceiptDialog | None = None
        specs = (("copy_address", "Copy address", self._on_copy_address_clicked),
                 ("copy_uri", "Copy payment URI", self._on_copy_uri_clicked),
                 ("copy_link", "Copy link", self._on_copy_link_clicked),
                 ("open_checkout", "Open checkout", self._on_open_checkout_clicked),
                 ("receipt", "Receipt…", self._on_receipt_clicked),
                 ("devnet_pay", "Pay with devnet", self._on_devnet_pay_clicked),
                 ("devnet_mine", "Mine a block", self._on_devnet_mine_clicked))
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in specs:
            button = named(QPushButton(text), key)
            button.clicked.connect(slot)
            self.buttons[key] = button
        self.buttons["copy_uri"].setToolTip("bitcoin:address?amount=… (BIP21), for a wallet on this computer")
        self.buttons["devnet_pay"].setToolTip("Devnet only: pays what is due from the devnet's own coins")
        self.copied = named(QLabel(), "copiedLabel")
        self.copied.setProperty("role", "muted")
        self.devnet_status = named(QLabel(wordWrap=True), "devnetStatus")
        self.devnet_status.setProperty("role", "muted")
        self.devnetDone.connect(self.devnet_status.setText)
        for key in DEVNET_KEYS:
            self.buttons[key].setVisible(self.devnet is not None)
        self.devnet_status.setVisible(self.devnet is not None)
        self.set_invoice(None)

    @property
    def devnet(self) -> DevnetPort | None:
        """The devnet controls, only on regtest with the embedded devnet (``--devnet``)."""
        s = self._ctx.settings
        return self._ctx.services.devnet if s.devnet and s.network == "regtest" else None

    def set_invoice(self, invoice: Invoice | None) -> None:
        if invoice is None or self.invoice is None or invoice.id != self.invoice.id:
            self.copied.clear()
            self.store_url = None
            if invoice is not None:
                self._ctx.run(self._ctx.services.stores.get(invoice.store_id), self._on_store,
                              name="invoice-store", parent=self._host)
        self.invoice = invoice
        on = invoice is not None
        for key in COPY_KEYS:
            self.buttons[key].setEnabled(on)
        self.buttons["open_checkout"].setEnabled(on and self._checkout_url() is not None)
        self.buttons["receipt"].setEnabled(on and invoice is not None and is_paid(invoice))
        payable = invoice is not None and invoice.status == InvoiceStatus.PENDING and invoice.remaining_sat > 0
        self.buttons["devnet_pay"].setEnabled(payable)
        self.buttons["devnet_mine"].setEnabled(on)

    def _on_store(self, store: Store) -> None:
        """The store's own public URL (Settings → Email) comes first in links, as in e-mails and the API."""
        if self.invoice is not None and self.invoice.store_id == store.id:
            self.uri_label = store.name
            self.store_url = store.public_url
            self.buttons["open_checkout"].setEnabled(self._checkout_url() is not None)

    def _checkout_url(self) -> str | None:
        if self.invoice is None:
            return None
        return self._ctx.services.urls.invoice_url(self.invoice.id, store_url=self.store_url)

    # -- copy ------------------------------------------------------------------------------------

    def _copy(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.setText(f"{what} copied.")

    def _on_copy_address_clicked(self) -> None:
        if self.invoice:
            self._copy(self.invoice.address, "Address")

    def _on_copy_uri_clicked(self) -> None:
        if self.invoice:
            self._copy(self.invoice.payment_uri(label=self.uri_label), "Payment URI")

    def _on_copy_link_clicked(self) -> None:
        if self.invoice:
            url = self._checkout_url()
            self._copy(url or self.invoice.payment_uri(label=self.uri_label), "Link" if url else "Payment URI")

    def _on_open_checkout_clicked(self) -> None:
        url = self._checkout_url()
        if url:
            self.url_dialog = open_url(self._host, url)

    # -- receipt ---------------------------------------------------------------------------------

    def _on_receipt_clicked(self) -> None:
        if self.invoice:
            self._ctx.run(self._ctx.services.pos.receipt(self.invoice.id), self._show_receipt, name="receipt",
                          parent=self._host)

    def _show_receipt(self, receipt: Receipt) -> None:
        self.receipt_dialog = ReceiptDialog(receipt, receipts_dir(self._ctx.settings.network_dir), self._host)
        self.receipt_dialog.open()

    # -- devnet ----------------------------------------------------------------------------------

    def _on_devnet_pay_clicked(self) -> None:
        devnet, inv = self.devnet, self.invoice
        if devnet is None or inv is None or inv.remaining_sat <= 0:
            return
        self.buttons["devnet_pay"].setEnabled(False)
        sat = inv.remaining_sat

        def paid(txid: str) -> None:
            logger.info("devnet paid invoice %s: %s sat in %s", inv.id, sat, txid)
            self.devnetDone.emit(f"Devnet sent {formatting.btc(sat)} in {formatting.short(txid, 8)}. "
                                 "Mine a block to confirm it.")

        self._ctx.run(devnet.pay(inv.address, sat), paid, name="devnet-pay", parent=self._host)

    def _on_devnet_mine_clicked(self) -> None:
        devnet = self.devnet
        if devnet is None:
            return

        def mined(hashes: list[str]) -> None:
            self.devnetDone.emit(f"Devnet mined block {formatting.short(hashes[-1], 8)}." if hashes else "")

        self._ctx.run(devnet.mine(1), mined, name="devnet-mine", parent=self._host)


def receipts_dir(network_dir: Path) -> Path:
    return Path(network_dir) / "receipts"
