"""Invoices and payments. The invoice shape equals the `invoice` object of webhook bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from app.checkout_server.api.schemas.common import (
    DecimalString,
    JsonObject,
    Paging,
    Percent,
    QueryModel,
    RequestModel,
    ResponseModel,
    SatAmount,
)
from app.core.limits import MAX_URL_CHARS
from app.core.payments import Payment
from app.core.records import Invoice
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState
from app.core.urls import URL_PATTERN
from app.services.delivery.webhook_payloads import invoice_snapshot, payment_snapshot
from app.services.invoicing.payment_history import InvoicePayment

Url = Annotated[str, Field(max_length=MAX_URL_CHARS, pattern=URL_PATTERN,
                           description="An http:// or https:// URL (no spaces or control characters).")]


class InvoiceIn(RequestModel):
    price: DecimalString | None = Field(default=None, description="Give `price` (+ `currency`) or `amount_sat`.")
    currency: str | None = Field(default=None, max_length=4, pattern=r"^[A-Za-z]{3,4}$",
                                 description="Default: the store's currency. BTC and SAT are allowed.")
    amount_sat: int | None = Field(default=None, ge=1, le=21_000_000 * 100_000_000)
    order_id: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=2000)
    buyer_email: str | None = Field(default=None, max_length=320)
    metadata: JsonObject | None = None
    redirect_url: Url | None = None
    notification_url: Url | None = None
    items: list[JsonObject] = Field(default_factory=list, max_length=100)
    expiry_s: int | None = Field(default=None, ge=60, le=7 * 86400)


class MarkIn(RequestModel):
    status: Literal["complete", "invalid", "refunded"]


class InvoiceFilterQuery(QueryModel):
    status: str | None = Field(default=None, max_length=200, pattern=r"^[a-z_]+(,[a-z_]+)*$",
                               description="Comma-separated statuses, e.g. `paid,complete`.")
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    order_id: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=200, description="Searches id, order id, description, "
                                                                       "address, buyer email.")


class InvoiceListQuery(InvoiceFilterQuery, Paging):
    pass


class AllInvoicesQuery(InvoiceListQuery):
    store_id: str | None = Field(default=None, max_length=64)


class ExportQuery(InvoiceFilterQuery):
    store_id: str | None = Field(default=None, max_length=64)
    format: Literal["json", "csv"] = "json"
    include_buyer_email: bool = Field(default=False, description="Export buyer e-mails (personal data). Default "
                                      "false: CSV without the `buyer_email` column, JSON with `buyer_email: null`.")


class PaymentOut(ResponseModel):
    txid: str
    vout: int
    amount_sat: SatAmount
    state: PaymentState
    confirmations: int
    height: int
    first_seen_at: datetime
    accounted: bool = Field(description="Counts towards the invoice (false once replaced/reorged out).")
    rbf: bool
    block_time: datetime | None = Field(
        default=None, description="Mined: the block header's timestamp. Earlier than first_seen_at when "
        "RedWaves was offline; a payment mined before expires_at is on time (docs/invoices.md).")
    fee_sat: int | None = Field(default=None, description="Inputs minus outputs; null until measured.")
    vsize: int | None = Field(default=None, description="Virtual size (vB) of the paying transaction.")
    fee_rate_sat_vb: Decimal | None = Field(default=None, description="fee_sat / vsize, rounded down to 0.1.")
    low_fee: bool = Field(default=False, description="Below half the next-blocks fee estimate when first seen "
                          "unconfirmed: confirmation may take long; a speed-policy-0 store waits for 1 confirmation.")
    method: Literal["onchain", "lightning"] = Field(default="onchain", description=(
        "`lightning`: a settled Lightning payment, final at once (state `settled`); its `txid` is the payment "
        "hash, `vout` 0, `height` and `confirmations` 0."))
    payment_hash: str | None = Field(default=None, description="Lightning: the BOLT11's payment hash (hex).")
    preimage: str | None = Field(default=None, description="Lightning: the preimage released (hex); "
                                 "sha256(preimage) = payment_hash, the proof of payment.")

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls.model_validate(payment_snapshot(payment))


class InvoiceOut(ResponseModel):
    id: str
    store_id: str
    wallet_id: str
    status: InvoiceStatus
    exception_status: ExceptionStatus
    address: str
    payment_uri: str = Field(description="BIP21 for what is due; while the BOLT11 is on offer it carries it too "
                             "(`bitcoin:ADDR?amount=..&lightning=LNBC..`: one QR for both kinds of wallet).")
    bolt11: str | None = Field(default=None, description=(
        "The Lightning invoice issued with it (the store takes Lightning, the node runs and can receive the "
        "amount), for the full amount, expiring with the invoice; else null."))
    payment_hash: str | None = Field(default=None, description="The BOLT11's payment hash (hex), or null.")
    lightning_offered: bool = Field(default=False, description=(
        "The BOLT11 may be paid now: pending, before `expires_at`, nothing paid on-chain (an on-chain payment "
        "withdraws it: an invoice is paid either way, never partly by each)."))
    amount_due_sat: SatAmount
    amount_paid_sat: SatAmount
    amount_confirmed_sat: SatAmount
    remaining_sat: SatAmount
    price: DecimalString
    currency: str
    rate: DecimalString | None = Field(description="Fiat per BTC locked at creation (null for BTC/SAT).")
    rate_source: str | None
    order_id: str | None
    description: str
    buyer_email: str | None
    metadata: JsonObject
    items: list[JsonObject]
    redirect_url: str | None
    notification_url: str | None
    speed_policy: int
    underpaid_tolerance_pct: Percent
    created_at: datetime
    expires_at: datetime
    monitoring_until: datetime
    paid_at: datetime | None
    confirmed_at: datetime | None
    completed_at: datetime | None
    payments: list[PaymentOut]
    checkout_url: str | None = Field(default=None, description=(
        "The checkout page shoppers open: the store's public URL, the onion when the request came over Tor, "
        "the configured public URL, the public listener's LAN address, else this request's origin."))

    @classmethod
    def of(cls, invoice: Invoice, checkout_url: str | None = None) -> InvoiceOut:
        return cls.model_validate({**invoice_snapshot(invoice), "checkout_url": checkout_url})


class InvoicePage(ResponseModel):
    items: list[InvoiceOut]
    total: int
    offset: int
    limit: int


class InvoiceExport(ResponseModel):
    items: list[InvoiceOut]
    total: int
    buyer_emails_included: bool = Field(description="False unless asked with `include_buyer_email=true`: then "
                                        "every item's `buyer_email` is null.")


class PaymentList(ResponseModel):
    items: list[PaymentOut]


class InvoicePaymentOut(PaymentOut):
    invoice_id: str
    store_id: str

    @classmethod
    def of_entry(cls, entry: InvoicePayment) -> InvoicePaymentOut:
        data: dict[str, Any] = payment_snapshot(entry.payment)
        return cls.model_validate({**data, "invoice_id": entry.invoice_id, "store_id": entry.store_id})


class RecentPayments(ResponseModel):
    items: list[InvoicePaymentOut]
    total: int
    offset: int
    limit: int


class RecentPaymentsQuery(Paging):
    store_id: str | None = Field(default=None, max_length=64)
