"""ix_invoices_created (the invoice list newest first), ix_invoices_sales (covers the dashboard's
sales aggregate), ix_payments_first_seen (recent payments): list and dashboard queries at 1,000,000
invoices (bench/bench_queries.py, tests/db/test_query_plans.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_created', ['created_at'], unique=False)
        batch_op.create_index('ix_invoices_sales', ['status', 'created_at', 'paid_at', 'store_id', 'currency',
                                                    'amount_paid_sat', 'price'], unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_first_seen', ['first_seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_first_seen')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_sales')
        batch_op.drop_index('ix_invoices_created')
