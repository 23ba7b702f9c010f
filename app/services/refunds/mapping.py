"""Refund / payout rows -> the frozen records of app.core.refunds and app.core.payouts."""

from __future__ import annotations

from app.core.payouts import Payout, PayoutStatus, PayoutTx, PayoutTxKind, PayoutTxStatus
from app.core.refunds import Refund, RefundStatus, RefundVariant
from app.db.models import PayoutRow, PayoutTxRow, RefundRow


def to_refund(row: RefundRow) -> Refund:
    return Refund(
        id=row.id, invoice_id=row.invoice_id, store_id=row.store_id, status=RefundStatus(row.status),
        variant=RefundVariant(row.variant), gross_sat=row.gross_sat, fee_sat=row.fee_sat, amount_sat=row.amount_sat,
        fiat_amount=row.fiat_amount, currency=row.currency, rate=row.rate, rate_source=row.rate_source,
        fee_pct=row.fee_pct, fee_fixed_sat=row.fee_fixed_sat, already_refunded_sat=row.already_refunded_sat,
        refundable_sat=row.refundable_sat, note=row.note, created_at=row.created_at, expires_at=row.expires_at,
        claimed_at=row.claimed_at, destination=row.destination, payout_id=row.payout_id, created_by=row.created_by,
    )


def to_payout(row: PayoutRow, *, confirmations: int = 0) -> Payout:
    return Payout(
        id=row.id, store_id=row.store_id, wallet_id=row.wallet_id, refund_id=row.refund_id,
        destination=row.destination, amount_sat=row.amount_sat, label=row.label, status=PayoutStatus(row.status),
        created_at=row.created_at, approved_at=row.approved_at, payout_tx_id=row.payout_tx_id, error=row.error,
        created_by=row.created_by, confirmations=confirmations,
    )


def to_payout_tx(row: PayoutTxRow) -> PayoutTx:
    return PayoutTx(
        id=row.id, wallet_id=row.wallet_id, kind=PayoutTxKind(row.kind), status=PayoutTxStatus(row.status),
        psbt=row.psbt, raw_tx=row.raw_tx, txid=row.txid, fee_sat=row.fee_sat, fee_rate=row.fee_rate,
        replaces_id=row.replaces_id, change_address=row.change_address, created_at=row.created_at,
        broadcast_at=row.broadcast_at, confirmed_at=row.confirmed_at, height=row.height,
    )
