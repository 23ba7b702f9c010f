"""payments: block_time (on time while offline), fee_sat / vsize / low_fee (low-fee payments)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:00:00
"""
from alembic import op
import sqlalchemy as sa

import app.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('block_time', app.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('fee_sat', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('vsize', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('low_fee', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('low_fee')
        batch_op.drop_column('vsize')
        batch_op.drop_column('fee_sat')
        batch_op.drop_column('block_time')
