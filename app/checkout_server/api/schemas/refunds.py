"""Refunds: the request (variant, amount, fees), the calculation shown before confirming, the refund."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from app.checkout_server.api.schemas.common import (
    DecimalString,
    Paging,
    Percent,
    RequestModel,
    ResponseModel,
    SatAmount,
)
from app.core.refunds import (
    MAX_NOTE_CHARS,
    Refund,
    RefundCalculation,
    RefundRequest,
    RefundStatus,
    RefundVariant,
)

Variant = Literal["rate_then", "current_rate", "overpaid", "custom_fiat", "custom_btc"]
RefundState = Literal["requested", "open", "claimed", "paid", "expired", "cancelled"]


class RefundIn(RequestModel):
    variant: Variant = Field(description=(
        "`rate_then`: what was paid, in bitcoin (its fiat value at the invoice's rate); `current_rate`: the same "
        "fiat value at today's rate; `overpaid`: only what was paid above the amount due; `custom_fiat`: "
        "`custom_amount` in the invoice's currency at today's rate; `custom_btc`: `custom_amount` in BTC."))
    custom_amount: DecimalString | None = Field(default=None, description="Only for the custom variants.")
    fee_pct: Percent = Field(default="0", description="Taken off the refund (e.g. a processing charge).")
    fee_fixed_sat: SatAmount = Field(default=0, description="Also taken off (e.g. the network fee).")
    note: str = Field(default="", max_length=MAX_NOTE_CHARS, description="For the merchant; not shown to the shopper.")

    def request(self) -> RefundRequest:
        return RefundRequest(variant=RefundVariant(self.variant),
                             custom_amount=Decimal(self.custom_amount) if self.custom_amount is not None else None,
                             fee_pct=Decimal(self.fee_pct), fee_fixed_sat=self.fee_fixed_sat, note=self.note)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class RefundCalculationOut(ResponseModel):
    variant: Variant
    gross_sat: int = Field(description="Before fees: what counts against the paid amount.")
    fee_sat: int = Field(description="Percentage + fixed fee, kept by the merchant.")
    amount_sat: int = Field(description="What the shopper receives.")
    fiat_amount: str | None = Field(description="The fiat value of `gross_sat` at `rate` (null without a rate).")
    currency: str
    rate: str | None = Field(description="The rate used: the invoice's (rate_then, overpaid) or today's.")
    rate_source: str | None
    already_refunded_sat: int
    refundable_sat: int = Field(description="What was still refundable before this refund.")

    @classmethod
    def of(cls, calc: RefundCalculation) -> RefundCalculationOut:
        return cls(variant=calc.variant.value, gross_sat=calc.gross_sat, fee_sat=calc.fee_sat,
                   amount_sat=calc.amount_sat, fiat_amount=_dec(calc.fiat_amount), currency=calc.currency,
                   rate=_dec(calc.rate), rate_source=calc.rate_source,
                   already_refunded_sat=calc.already_refunded_sat, refundable_sat=calc.refundable_sat)


class RefundOut(ResponseModel):
    id: str
    invoice_id: str
    store_id: str
    status: RefundState
    link: str = Field(description="The public refund page the shopper opens to give an address (claim once).")
    calculation: RefundCalculationOut
    fee_pct: str
    fee_fixed_sat: int
    note: str
    created_at: datetime
    expires_at: datetime
    claimed_at: datetime | None
    destination: str | None = Field(description="The shopper's address, once claimed.")
    payout_id: str | None = Field(description="The payout made when the refund was claimed.")
    created_by: str | None

    @classmethod
    def of(cls, refund: Refund, link: str) -> RefundOut:
        return cls(id=refund.id, invoice_id=refund.invoice_id, store_id=refund.store_id,
                   status=refund.status.value, link=link, calculation=RefundCalculationOut.of(refund.calculation),
                   fee_pct=str(refund.fee_pct), fee_fixed_sat=refund.fee_fixed_sat, note=refund.note,
                   created_at=refund.created_at, expires_at=refund.expires_at, claimed_at=refund.claimed_at,
                   destination=refund.destination, payout_id=refund.payout_id, created_by=refund.created_by)


class RefundList(ResponseModel):
    items: list[RefundOut]


class RefundPage(ResponseModel):
    items: list[RefundOut]
    total: int
    offset: int
    limit: int


class RefundListQuery(Paging):
    store_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    status: RefundState | None = None

    def refund_status(self) -> RefundStatus | None:
        return RefundStatus(self.status) if self.status else None
