"""Payouts: create, approve, pay from a hot wallet, PSBT export/import for watch-only wallets, fee bump."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from app.checkout_server.api.schemas.common import Id, Paging, QueryModel, RequestModel, ResponseModel
from app.core.payouts import (
    MAX_LABEL_CHARS,
    MAX_PAYOUTS_PER_CALL,
    FeeChoice,
    FeeOptions,
    Payout,
    PayoutStatus,
    PayoutTx,
    PsbtExport,
)

PayoutState = Literal["awaiting_approval", "approved", "in_progress", "broadcast", "confirmed", "cancelled", "failed"]
FeeRate = Annotated[str, Field(pattern=r"^[0-9]{1,6}(\.[0-9]{1,3})?$", examples=["12.5"],
                               description="sat/vB as a decimal string.")]
MAX_PSBT_CHARS = 60_000  # base64 text; the JSON body limit is 64 KiB


class PayoutIn(RequestModel):
    store_id: Id
    wallet_id: Id | None = Field(default=None, description="Default: the store's first wallet.")
    destination: str = Field(min_length=1, max_length=100, description="A Bitcoin address of this network.")
    amount_sat: int = Field(ge=1, le=21_000_000 * 100_000_000)
    label: str = Field(default="", max_length=MAX_LABEL_CHARS)


class FeeIn(RequestModel):
    target: Literal["next_block", "hour", "day", "custom"] = Field(
        default="hour", description="Electrum's estimates for the next block, about an hour or a day; or `custom`.")
    sat_per_vb: FeeRate | None = Field(default=None, description="Required for `custom`.")

    def choice(self) -> FeeChoice:
        return FeeChoice(self.target, Decimal(self.sat_per_vb) if self.sat_per_vb is not None else None)


PayoutIds = Annotated[list[Id], Field(min_length=1, max_length=MAX_PAYOUTS_PER_CALL)]


class PayoutIdsIn(RequestModel):
    payout_ids: PayoutIds


class PayIn(RequestModel):
    payout_ids: PayoutIds = Field(description="Approved payouts of one wallet, paid in one transaction.")
    fee: FeeIn = Field(default_factory=FeeIn)


class PsbtImportIn(RequestModel):
    payout_tx_id: Id
    psbt: str = Field(min_length=1, max_length=MAX_PSBT_CHARS, description="The signed PSBT, base64 (BIP174).")


class BumpIn(RequestModel):
    payout_tx_id: Id
    fee: FeeIn


class PsbtQuery(QueryModel):
    download: bool = Field(default=False, description="Answer with the binary PSBT file instead of JSON.")


class PayoutListQuery(Paging):
    store_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    status: PayoutState | None = None

    def payout_status(self) -> PayoutStatus | None:
        return PayoutStatus(self.status) if self.status else None


class PayoutOut(ResponseModel):
    id: str
    store_id: str
    wallet_id: str
    refund_id: str | None
    destination: str
    amount_sat: int
    label: str
    status: PayoutState
    created_at: datetime
    approved_at: datetime | None
    payout_tx_id: str | None = Field(description="Its current transaction (after an RBF bump: the newest).")
    error: str | None
    created_by: str | None
    confirmations: int = Field(description="Verified confirmations of its transaction; `confirmed` at the settled "
                               "depth (`payout_settled_confirmations`, default 6).")

    @classmethod
    def of(cls, p: Payout) -> PayoutOut:
        return cls(id=p.id, store_id=p.store_id, wallet_id=p.wallet_id, refund_id=p.refund_id,
                   destination=p.destination, amount_sat=p.amount_sat, label=p.label, status=p.status.value,
                   created_at=p.created_at, approved_at=p.approved_at, payout_tx_id=p.payout_tx_id, error=p.error,
                   created_by=p.created_by, confirmations=p.confirmations)


class PayoutList(ResponseModel):
    items: list[PayoutOut]


class PayoutPage(ResponseModel):
    items: list[PayoutOut]
    total: int
    offset: int
    limit: int


class PayoutTxOut(ResponseModel):
    id: str
    wallet_id: str
    kind: Literal["hot", "psbt"]
    status: Literal["built", "signed", "broadcast", "confirmed", "replaced", "failed"]
    txid: str | None = Field(description="Known (and recorded) before the transaction is broadcast.")
    fee_sat: int
    fee_rate: str = Field(description="sat/vB")
    replaces_id: str | None
    created_at: datetime
    broadcast_at: datetime | None
    confirmed_at: datetime | None
    height: int

    @classmethod
    def of(cls, tx: PayoutTx) -> PayoutTxOut:
        return cls(id=tx.id, wallet_id=tx.wallet_id, kind=tx.kind.value, status=tx.status.value, txid=tx.txid,
                   fee_sat=tx.fee_sat, fee_rate=str(tx.fee_rate), replaces_id=tx.replaces_id,
                   created_at=tx.created_at, broadcast_at=tx.broadcast_at, confirmed_at=tx.confirmed_at,
                   height=tx.height)


class PsbtOutput(ResponseModel):
    address: str
    amount_sat: int


class PsbtExportOut(ResponseModel):
    payout_tx_id: str = Field(description="Send it back with the signed PSBT to `POST /payouts/psbt/import`.")
    psbt_base64: str
    filename: str
    fee_sat: int
    outputs: list[PsbtOutput] = Field(description="What the signer must show (change to our wallet left out).")

    @classmethod
    def of(cls, export: PsbtExport) -> PsbtExportOut:
        return cls(payout_tx_id=export.payout_tx_id, psbt_base64=export.psbt_base64, filename=export.filename,
                   fee_sat=export.fee_sat, outputs=[PsbtOutput(address=a, amount_sat=s) for a, s in export.outputs])


class FeeOptionsOut(ResponseModel):
    next_block: str | None = Field(description="sat/vB; null when the server gave no estimate.")
    hour: str | None
    day: str | None

    @classmethod
    def of(cls, options: FeeOptions) -> FeeOptionsOut:
        def text(v: Decimal | None) -> str | None:
            return None if v is None else str(v)
        return cls(next_block=text(options.next_block), hour=text(options.hour), day=text(options.day))
