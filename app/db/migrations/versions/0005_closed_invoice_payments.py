"""closed_invoice_payments (money sent to a closed invoice's address), closed_check_state (where the
periodic history check of closed invoices is, and its hourly budget), ix_invoices_closed_order

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:00:00
"""
from alembic import op
import sqlalchemy as sa

import app.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('closed_invoice_payments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('txid', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.Column('amount_sat', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('found_by', sa.String(length=16), nullable=False),
    sa.Column('first_seen_at', app.db.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', app.db.types.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('gone_at', app.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'],
                            name=op.f('fk_closed_invoice_payments_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_invoice_payments')),
    sa.UniqueConstraint('invoice_id', 'txid', name='uq_closed_invoice_payments_tx')
    )
    with op.batch_alter_table('closed_invoice_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_invoice_payments_invoice_id'), ['invoice_id'], unique=False)
    op.create_table('closed_check_state',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('pass_no', sa.Integer(), nullable=False),
    sa.Column('pass_started_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('tail_until', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('tail_id', sa.String(length=40), nullable=True),
    sa.Column('head_until', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('head_id', sa.String(length=40), nullable=True),
    sa.Column('hour_started_at', app.db.types.UTCDateTime(), nullable=True),
    sa.Column('hour_used', sa.Integer(), nullable=False),
    sa.Column('checked_total', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.db.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_closed_check_state'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_closed_order', ['monitored', 'monitoring_until', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_closed_order')
    op.drop_table('closed_check_state')
    with op.batch_alter_table('closed_invoice_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_invoice_payments_invoice_id'))
    op.drop_table('closed_invoice_payments')
