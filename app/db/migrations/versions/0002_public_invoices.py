"""invoices.public: invoices created without a key, counted against the store's budget

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index('ix_invoices_public_open', ['store_id', 'public', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_public_open')
        batch_op.drop_column('public')
