"""invoices_search: FTS5 trigram index over invoices' order_id, description, buyer_email (external
content, kept by triggers), filled from the existing rows; the invoice list's text search
(app/db/search_index.py, app/services/invoicing/listing.py)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:00:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# frozen here (a migration is history): app/db/search_index.py names the same objects
_COLUMNS = "order_id, description, buyer_email"
_NEW = "new.order_id, new.description, new.buyer_email"
_OLD = "old.order_id, old.description, old.buyer_email"


def upgrade() -> None:
    # case-insensitive (case_sensitive 0, the default); external content: the text stays in invoices
    op.execute(f"CREATE VIRTUAL TABLE invoices_search USING fts5({_COLUMNS}, content='invoices', "
               "content_rowid='rowid', tokenize='trigram case_sensitive 0')")
    op.execute("CREATE TRIGGER invoices_search_ai AFTER INSERT ON invoices BEGIN "
               f"INSERT INTO invoices_search(rowid, {_COLUMNS}) VALUES (new.rowid, {_NEW}); END")
    op.execute("CREATE TRIGGER invoices_search_ad AFTER DELETE ON invoices BEGIN "
               f"INSERT INTO invoices_search(invoices_search, rowid, {_COLUMNS}) "
               f"VALUES ('delete', old.rowid, {_OLD}); END")
    # only when a searched column changes: status / amount updates (the engine's) leave the index alone
    op.execute("CREATE TRIGGER invoices_search_au AFTER UPDATE OF order_id, description, buyer_email "
               "ON invoices BEGIN "
               f"INSERT INTO invoices_search(invoices_search, rowid, {_COLUMNS}) "
               f"VALUES ('delete', old.rowid, {_OLD}); "
               f"INSERT INTO invoices_search(rowid, {_COLUMNS}) VALUES (new.rowid, {_NEW}); END")
    op.execute("INSERT INTO invoices_search(invoices_search) VALUES ('rebuild')")  # the existing rows


def downgrade() -> None:
    for trigger in ("invoices_search_au", "invoices_search_ad", "invoices_search_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS invoices_search")
