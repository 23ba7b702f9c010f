"""refunds (refund links and their calculation), payouts (money the shop sends), payout_txs (their
transactions: raw tx and txid recorded before broadcast); see docs/refunds.md

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:00:00
"""
from alembic import op
import sqlalchemy as sa
import app.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payout_txs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('wallet_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('psbt', sa.Text(), nullable=True),
    sa.Column('raw_tx', sa.Text(), nullable=True),
    sa.Column('txid', sa.String(length=64), nullable=True),
    sa.Column('fee_sat', sa.Integer(), nullable=False),
    sa.Column('fee_rate', app.db.types.DecimalText(length=64), nullable=False),
    sa.Column('replaces_id', sa.String(length=40), nullable=True),
    sa.Column('change_address', sa.String(length=100), nullable=True),
    sa.Column('created_at', app.db.types.UTCDateTime(), nullable=False),
    sa.Column('broadcast_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('confirmed_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['replaces_id'], ['payout_txs.id'], name=op.f('fk_payout_txs_replaces_id_payout_txs')),
    sa.ForeignKeyConstraint(['wallet_id'], ['wallets.id'], name=op.f('fk_payout_txs_wallet_id_wallets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_txs'))
    )
    with op.batch_alter_table('payout_txs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_txs_change_address'), ['change_address'], unique=False)
        batch_op.create_index('ix_payout_txs_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_txs_txid'), ['txid'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('variant', sa.String(length=16), nullable=False),
    sa.Column('gross_sat', sa.Integer(), nullable=False),
    sa.Column('fee_sat', sa.Integer(), nullable=False),
    sa.Column('amount_sat', sa.Integer(), nullable=False),
    sa.Column('fiat_amount', app.db.types.DecimalText(length=64), nullable=True),
    sa.Column('currency', sa.String(length=8), nullable=False),
    sa.Column('rate', app.db.types.DecimalText(length=64), nullable=True),
    sa.Column('rate_source', sa.String(length=40), nullable=True),
    sa.Column('fee_pct', app.db.types.DecimalText(length=64), nullable=False),
    sa.Column('fee_fixed_sat', sa.Integer(), nullable=False),
    sa.Column('already_refunded_sat', sa.Integer(), nullable=False),
    sa.Column('refundable_sat', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', app.db.types.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('destination', sa.String(length=100), nullable=True),
    sa.Column('payout_id', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_refunds_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_refunds_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_refunds_store_status', ['store_id', 'status', 'created_at'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.String(length=40), nullable=False),
    sa.Column('wallet_id', sa.String(length=40), nullable=False),
    sa.Column('refund_id', sa.String(length=40), nullable=True),
    sa.Column('destination', sa.String(length=100), nullable=False),
    sa.Column('amount_sat', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.db.types.UTCDateTime(), nullable=False),
    sa.Column('approved_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('payout_tx_id', sa.String(length=40), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['payout_tx_id'], ['payout_txs.id'], name=op.f('fk_payouts_payout_tx_id_payout_txs')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_payouts_refund_id_refunds')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_payouts_store_id_stores')),
    sa.ForeignKeyConstraint(['wallet_id'], ['wallets.id'], name=op.f('fk_payouts_wallet_id_wallets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_payouts_refund_id'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_payout_tx_id'), ['payout_tx_id'], unique=False)
        batch_op.create_index('ix_payouts_status', ['status'], unique=False)
        batch_op.create_index('ix_payouts_store_status', ['store_id', 'status', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_store_status')
        batch_op.drop_index('ix_payouts_status')
        batch_op.drop_index(batch_op.f('ix_payouts_payout_tx_id'))

    op.drop_table('payouts')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_store_status')
        batch_op.drop_index(batch_op.f('ix_refunds_invoice_id'))

    op.drop_table('refunds')
    with op.batch_alter_table('payout_txs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_txs_txid'))
        batch_op.drop_index('ix_payout_txs_status')
        batch_op.drop_index(batch_op.f('ix_payout_txs_change_address'))

    op.drop_table('payout_txs')
