"""Staff and terminals: people, terminals, terminal_sessions, audit_log (append-only by triggers),
invoices.created_by / terminal_id / tip.

Plain ADD COLUMN on invoices (no batch copy): the invoices table keeps its FTS5 triggers (0008).
Refunds' new status 'requested' needs no schema change (status is free text checked by app/core/refunds.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

AUDIT_TRIGGERS = {
    'audit_log_no_update': 'UPDATE',
    'audit_log_no_delete': 'DELETE',
}


def upgrade() -> None:
    op.create_table(
        'people',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('name_key', sa.String(length=60), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('store_ids', sa.Text(), nullable=False),
        sa.Column('pin', sa.Text(), nullable=False),
        sa.Column('password', sa.Text(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
        sa.UniqueConstraint('name_key', name=op.f('uq_people_name_key')),
    )
    op.create_table(
        'terminals',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('store_id', sa.String(length=40), nullable=False),
        sa.Column('person_ids', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('pairing_code_hash', sa.String(length=64), nullable=True),
        sa.Column('pairing_expires_at', sa.DateTime(), nullable=True),
        sa.Column('device_token_hash', sa.String(length=64), nullable=True),
        sa.Column('paired_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_seen_at', sa.DateTime(), nullable=True),
        sa.Column('last_seen_address', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_terminals_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_terminals')),
        sa.UniqueConstraint('device_token_hash', name=op.f('uq_terminals_device_token_hash')),
        sa.UniqueConstraint('pairing_code_hash', name=op.f('uq_terminals_pairing_code_hash')),
    )
    op.create_index(op.f('ix_terminals_store_id'), 'terminals', ['store_id'], unique=False)
    op.create_table(
        'terminal_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('terminal_id', sa.String(length=40), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_terminal_sessions_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'],
                                name=op.f('fk_terminal_sessions_terminal_id_terminals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_terminal_sessions')),
    )
    op.create_index(op.f('ix_terminal_sessions_person_id'), 'terminal_sessions', ['person_id'], unique=False)
    op.create_index(op.f('ix_terminal_sessions_terminal_id'), 'terminal_sessions', ['terminal_id'], unique=False)
    op.create_table(
        'audit_log',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=True),
        sa.Column('person_name', sa.String(length=60), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('terminal_id', sa.String(length=40), nullable=True),
        sa.Column('terminal_name', sa.String(length=60), nullable=True),
        sa.Column('store_id', sa.String(length=40), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target_type', sa.String(length=20), nullable=True),
        sa.Column('target_id', sa.String(length=40), nullable=True),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log')),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_person', 'audit_log', ['person_id', 'at'], unique=False)
    op.create_index('ix_audit_log_terminal', 'audit_log', ['terminal_id', 'at'], unique=False)
    op.create_index('ix_audit_log_store', 'audit_log', ['store_id', 'at'], unique=False)
    for name, event in AUDIT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON audit_log "
                   f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")

    op.add_column('invoices', sa.Column('created_by', sa.String(length=40), nullable=True))
    op.add_column('invoices', sa.Column('terminal_id', sa.String(length=40), nullable=True))
    op.add_column('invoices', sa.Column('tip', sa.String(length=64), nullable=True))
    op.create_index('ix_invoices_created_by', 'invoices', ['created_by', 'created_at'], unique=False)
    op.create_index('ix_invoices_terminal', 'invoices', ['terminal_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_invoices_terminal', table_name='invoices')
    op.drop_index('ix_invoices_created_by', table_name='invoices')
    # SQLite 3.35+ drops a column in place: no table copy (foreign keys, the FTS5 triggers stay)
    op.drop_column('invoices', 'tip')
    op.drop_column('invoices', 'terminal_id')
    op.drop_column('invoices', 'created_by')
    for name in AUDIT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('audit_log')
    op.drop_table('terminal_sessions')
    op.drop_table('terminals')
    op.drop_table('people')
