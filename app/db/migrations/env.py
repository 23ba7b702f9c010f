"""Alembic environment: synchronous sqlite3 on the same file; batch mode for SQLite ALTERs."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection

from app.db.models import Base
from app.db.search_index import include_object

config = context.config
target_metadata = Base.metadata


def _fk_on(dbapi_connection: DBAPIConnection, _record: object) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "app.db.migrate sets sqlalchemy.url"
    engine = create_engine(url)
    event.listen(engine, "connect", _fk_on)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,  # the FTS search table is not in the models
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
