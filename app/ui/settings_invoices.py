"""Settings → Invoices: above which amount the new-invoice dialog asks "are you sure?".

Two limits (``services.invoices.large_invoice_limit`` / ``set_large_invoice_limit``, stored in the
app_settings table): a bitcoin amount and an optional fiat amount. An invoice above either is asked
about, so the lower one (once converted) applies. Defaults: 0.5 BTC and 10,000 USD.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.core.currencies import CURRENCIES, is_fiat
from app.core.errors import InvalidAmount, UserFacingError
from app.core.invoice_limits import LargeInvoiceLimit
from app.core.money import btc_to_sat, format_btc
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.field_errors import FieldErrors
from app.ui.ports import InvoicingServices
from app.ui.widget_names import named


def _local(text: str, point: str) -> str:
    return text.replace(".", point) if point != "." else text


class InvoicesPage(QWidget):
    def __init__(self, ctx: UiContext[InvoicingServices]) -> None:
        super().__init__()
        self._ctx = ctx
        self.decimal_point = QLocale().decimalPoint()
        self.limit: LargeInvoiceLimit | None = None
        self.limit_btc = named(QLineEdit(), "limitBtc")
        self.limit_fiat = named(QLineEdit(), "limitFiat")
        self.limit_currency = named(QComboBox(), "limitCurrency")
        for code in CURRENCIES:
            if is_fiat(code):
                self.limit_currency.addItem(code)
        self.errors = FieldErrors()
        self.status = named(QLabel(wordWrap=True), "limitStatus")
        self.status.setProperty("role", "ok")
        self.save_button = named(QPushButton("Save"), "saveLimit")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        explain = QLabel("Creating an invoice in the window asks for confirmation above either amount, so a "
                         "typo such as an extra zero is caught before a shopper sees it. Leave the fiat amount "
                         "empty to use only the bitcoin one. Invoices created through the API are not asked "
                         "about; no invoice can be above 21 million BTC.", wordWrap=True)
        explain.setProperty("role", "muted")
        form = QFormLayout(self)
        form.addRow("Ask above (BTC)", self.errors.row("limit_btc", self.limit_btc))
        form.addRow("or above (fiat)", self.errors.row("limit_fiat", self.limit_fiat))
        form.addRow("Fiat currency", self.errors.row("limit_currency", self.limit_currency))
        form.addRow("", self.save_button)
        form.addRow("", self.errors.general)
        form.addRow("", self.status)
        form.addRow(explain)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)

    def reload(self) -> None:
        self._ctx.run(self._ctx.services.invoices.large_invoice_limit(), self._show, name="invoice-limit",
                      parent=self)

    def _show(self, limit: LargeInvoiceLimit) -> None:
        self.limit = limit
        self.limit_btc.setText(_local(format_btc(limit.btc_sat).rstrip("0").rstrip("."), self.decimal_point))
        fiat = limit.fiat
        if fiat is not None and fiat == fiat.to_integral_value():
            fiat = fiat.quantize(Decimal(1))  # 10000.00 -> 10000
        self.limit_fiat.setText(_local(f"{fiat:f}", self.decimal_point) if fiat is not None else "")
        self.limit_currency.setCurrentText(limit.fiat_currency)

    def _read(self) -> LargeInvoiceLimit:
        """The typed limits; InvalidAmount beside the field that is not a number."""
        try:
            btc = formatting.parse_amount(self.limit_btc.text(), decimal_point=self.decimal_point)
        except ValueError:
            raise InvalidAmount(f"Enter a bitcoin amount like 0{self.decimal_point}5.", field="limit_btc") from None
        try:
            sat = btc_to_sat(btc)
        except InvalidAmount as exc:
            raise InvalidAmount(exc.message, field="limit_btc") from None
        fiat = None
        if self.limit_fiat.text().strip():
            try:
                fiat = formatting.parse_amount(self.limit_fiat.text(), decimal_point=self.decimal_point)
            except ValueError:
                raise InvalidAmount(f"Enter an amount like 10000{self.decimal_point}00, or leave it empty.",
                                    field="limit_fiat") from None
        return LargeInvoiceLimit(btc_sat=sat, fiat=fiat, fiat_currency=self.limit_currency.currentText())

    def _on_save_button_clicked(self) -> None:
        self.errors.clear()
        self.status.clear()
        try:
            limit = self._read()
        except UserFacingError as exc:
            self.errors.show(exc)
            return
        self._ctx.run(self._ctx.services.invoices.set_large_invoice_limit(limit), self._on_saved,
                      name="invoice-limit-save", parent=self, on_user_error=self.errors.show)

    def _on_saved(self, limit: LargeInvoiceLimit) -> None:
        self._show(limit)
        fiat = f" or {limit.fiat:,} {limit.fiat_currency}" if limit.fiat is not None else ""
        self.status.setText(f"Saved: new invoices above {format_btc(limit.btc_sat)} BTC{fiat} ask first.")
