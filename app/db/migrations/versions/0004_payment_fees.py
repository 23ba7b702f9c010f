"""payments.block_time: when the block that mined a payment was made (on time while offline)

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


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('block_time')
