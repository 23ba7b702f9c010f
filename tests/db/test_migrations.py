"""Migrations: empty DB -> head, schema equals the models, downgrade/upgrade round trip."""

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from app.db.migrate import downgrade, upgrade_to_head
from app.db.models import Base
from app.db.search_index import include_object


def _diff(db_path):
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                     "include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    return diff


def _tables(db_path):
    with sqlite3.connect(db_path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_empty_db_upgrades_to_head_matching_models(tmp_path):
    db = tmp_path / "r.sqlite3"
    upgrade_to_head(db)
    assert {"invoices", "payments", "outbox_events", "wallets", "stores", "addresses"} <= _tables(db)
    assert _diff(db) == []


def test_downgrade_and_upgrade_round_trip(tmp_path):
    db = tmp_path / "r.sqlite3"
    upgrade_to_head(db)
    downgrade(db, "base")
    assert _tables(db) <= {"alembic_version"}
    upgrade_to_head(db)
    assert _diff(db) == []
    upgrade_to_head(db)  # idempotent
