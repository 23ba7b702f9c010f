"""Lightning: invoices.bolt11 / payment_hash (unique), payments.method / preimage, wallets.lightning

Plain ADD COLUMN (no batch copy): the invoices table keeps its FTS5 triggers (0008).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('invoices', sa.Column('bolt11', sa.Text(), nullable=True))
    op.add_column('invoices', sa.Column('payment_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_invoices_payment_hash', 'invoices', ['payment_hash'], unique=True)
    op.add_column('payments', sa.Column('method', sa.String(length=16), server_default='onchain', nullable=False))
    op.add_column('payments', sa.Column('preimage', sa.String(length=64), nullable=True))
    op.add_column('wallets', sa.Column('lightning', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_index('ix_invoices_payment_hash', table_name='invoices')
    # SQLite 3.35+ drops a column in place: no table copy (foreign keys, the FTS5 triggers stay)
    op.drop_column('wallets', 'lightning')
    op.drop_column('payments', 'preimage')
    op.drop_column('payments', 'method')
    op.drop_column('invoices', 'payment_hash')
    op.drop_column('invoices', 'bolt11')
