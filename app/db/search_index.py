"""The invoice list's text search index: an SQLite FTS5 table with the trigram tokenizer over the
searched columns of ``invoices`` (external content: it stores only the index, the text stays in
``invoices``), kept true by triggers on insert / update / delete (migration 0008).

It is not in the SQLAlchemy models (a virtual table has no place there): the queries reach it as a
lightweight ``table()`` (app/services/invoicing/listing.py), and ``include_object`` keeps it and its
shadow tables out of the models-vs-database comparison (app/db/migrations/env.py,
tests/db/test_migrations.py).

A migration that recreates ``invoices`` (``batch_alter_table`` with a copy) drops the triggers and may
renumber rowids: it must recreate the triggers and ``rebuild`` the index (see migration 0008).
"""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.sql import column, table

SEARCH_TABLE = "invoices_search"
SEARCHED_COLUMNS = ("order_id", "description", "buyer_email")
SHADOW_TABLES = frozenset(f"{SEARCH_TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config", "content"))
TRIGGERS = ("invoices_search_ai", "invoices_search_ad", "invoices_search_au")

invoices_search = table(SEARCH_TABLE, column("rowid", Integer))


def is_search_table(name: str | None) -> bool:
    return name == SEARCH_TABLE or name in SHADOW_TABLES


def include_object(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    """Alembic ``include_object``: the FTS table and its shadow tables are not in the models."""
    return not (type_ == "table" and is_search_table(name))


def match_phrase(term: str) -> str:
    """``term`` as one FTS5 phrase: double-quoted, inner quotes doubled, so no character of it is
    FTS query syntax (``*``, ``:``, ``^``, ``-``, ``AND``/``OR``/``NOT``, parentheses)."""
    return '"' + term.replace('"', '""') + '"'
