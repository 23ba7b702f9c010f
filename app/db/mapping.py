"""Rows -> frozen domain snapshots (app.core.records). Nothing else leaves app/db as an ORM row."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import inspect

from app.core.payments import LightningProof, Payment, PaymentFee
from app.core.records import Invoice, Product, Store, Wallet
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState
from app.db.models import Base, InvoiceRow, PaymentRow, ProductRow, StoreRow, WalletRow


def to_wallet(row: WalletRow) -> Wallet:
    first_key = row.public_keys[0] if row.public_keys else ""
    return Wallet(
        id=row.id,
        name=row.name,
        kind=row.kind,
        script_type=row.script_type,
        fingerprint=row.fingerprint,
        key_hint=first_key[:12] + "…" if first_key else "",
        next_index=row.next_index,
        gap_limit=row.gap_limit,
        threshold=row.threshold,
        created_at=row.created_at,
        lightning=bool(row.lightning),
    )


def to_store(row: StoreRow, wallet_ids: Iterable[str]) -> Store:
    return Store(
        id=row.id,
        name=row.name,
        default_currency=row.default_currency,
        speed_policy=row.speed_policy,
        expiry_s=row.expiry_s,
        monitoring_s=row.monitoring_s,
        underpaid_tolerance_pct=row.underpaid_tolerance_pct,
        rate_source=row.rate_source,
        rate_spread_pct=row.rate_spread_pct,
        wallet_ids=tuple(wallet_ids),
        checkout=dict(row.checkout or {}),
        notifications=dict(row.notifications or {}),
        email=dict(row.email or {}),
        archived=row.archived,
        created_at=row.created_at,
    )


def to_product(row: ProductRow) -> Product:
    return Product(
        id=row.id,
        store_id=row.store_id,
        name=row.name,
        description=row.description,
        price=row.price,
        category=row.category,
        image=row.image,
        stock=row.stock,
        archived=row.archived,
        created_at=row.created_at,
    )


def to_payment(row: PaymentRow) -> Payment:
    return Payment(
        txid=row.txid,
        vout=row.vout,
        amount_sat=row.amount_sat,
        first_seen_at=row.first_seen_at,
        height=row.height,
        confirmations=row.confirmations,
        state=PaymentState(row.state),
        accounted=row.accounted,
        rbf=row.rbf,
        ever_confirmed=row.ever_confirmed,
        block_time=row.block_time,
        fee=None if row.fee_sat is None or not row.vsize else PaymentFee(row.fee_sat, row.vsize, row.low_fee),
        lightning=LightningProof(row.txid, row.preimage) if row.method == "lightning" and row.preimage else None,
    )


def to_invoice(row: InvoiceRow, payments: Iterable[Payment] = ()) -> Invoice:
    return Invoice(
        id=row.id,
        store_id=row.store_id,
        wallet_id=row.wallet_id,
        address=row.address,
        derivation_index=row.derivation_index,
        price=row.price,
        currency=row.currency,
        rate=row.rate,
        rate_source=row.rate_source,
        amount_due_sat=row.amount_due_sat,
        order_id=row.order_id,
        description=row.description,
        buyer_email=row.buyer_email,
        items=tuple(row.items or ()),
        metadata=dict(row.extra or {}),
        redirect_url=row.redirect_url,
        notification_url=row.notification_url,
        speed_policy=row.speed_policy,
        underpaid_tolerance_pct=row.underpaid_tolerance_pct,
        status=InvoiceStatus(row.status),
        exception_status=ExceptionStatus(row.exception_status),
        amount_paid_sat=row.amount_paid_sat,
        amount_confirmed_sat=row.amount_confirmed_sat,
        created_at=row.created_at,
        expires_at=row.expires_at,
        monitoring_until=row.monitoring_until,
        paid_at=row.paid_at,
        confirmed_at=row.confirmed_at,
        completed_at=row.completed_at,
        payments=tuple(payments),
        bolt11=row.bolt11,
        payment_hash=row.payment_hash,
        created_by=row.created_by,
        terminal_id=row.terminal_id,
        tip=row.tip,
    )


def apply_payment(row: PaymentRow, payment: Payment) -> None:
    row.amount_sat = payment.amount_sat
    row.first_seen_at = payment.first_seen_at
    row.height = payment.height
    row.confirmations = payment.confirmations
    row.state = str(payment.state)
    row.accounted = payment.accounted
    row.rbf = payment.rbf
    row.ever_confirmed = payment.ever_confirmed
    row.block_time = payment.block_time
    row.fee_sat = None if payment.fee is None else payment.fee.fee_sat
    row.vsize = None if payment.fee is None else payment.fee.vsize
    row.low_fee = payment.fee is not None and payment.fee.low
    row.method = payment.method
    row.preimage = payment.lightning.preimage if payment.lightning is not None else None


def column_values(row: Base) -> dict[str, object]:
    """A transient ORM object's values keyed by column name, for a Core INSERT (no ORM flush)."""
    mapper = inspect(type(row))
    return {prop.columns[0].key: getattr(row, prop.key) for prop in mapper.column_attrs
            if getattr(row, prop.key) is not None or not prop.columns[0].primary_key}
