"""The audit log: one row per action of a person (or the system), written in the SAME transaction as
the action (``record`` on an ORM session, ``record_sync`` on the writer's sqlite3 connection).

Append-only: migration 0010's triggers abort every UPDATE and DELETE on ``audit_log``, and nothing here
changes a row. Names (person, terminal) are copied into the row, so it reads the same after a rename.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ValidationError
from app.core.spreadsheet import safe_cell
from app.core.staff import SYSTEM, Actor, Permission, actor_scope, require
from app.db.fastpath import compiled_insert
from app.db.mapping import column_values
from app.db.models import AuditRow, TerminalRow
from app.services.writer import Writer

MAX_LIMIT = 1000
CSV_MAX_ROWS = 100_000
CSV_COLUMNS = ("seq", "at", "person_id", "person_name", "role", "terminal_id", "terminal_name", "store_id",
               "action", "target_type", "target_id", "detail")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    person_id: str | None
    person_name: str
    terminal_id: str | None
    terminal_name: str | None
    action: str
    target_type: str | None
    target_id: str | None
    detail: dict[str, object]
    store_id: str | None = None
    role: str = "owner"


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(seq=row.seq, at=row.at, person_id=row.person_id, person_name=row.person_name,
                      terminal_id=row.terminal_id, terminal_name=row.terminal_name, action=row.action,
                      target_type=row.target_type, target_id=row.target_id, detail=dict(row.detail or {}),
                      store_id=row.store_id, role=row.role)


def _row(actor: Actor, action: str, terminal_name: str | None, *, store_id: str | None, target_type: str | None,
         target_id: str | None, detail: dict[str, Any] | None, now: datetime | None) -> AuditRow:
    return AuditRow(at=now or datetime.now(UTC), person_id=actor.person_id, person_name=actor.name,
                    role=str(actor.role), terminal_id=actor.terminal_id, terminal_name=terminal_name,
                    store_id=store_id, action=str(action), target_type=target_type, target_id=target_id,
                    detail=json.loads(json.dumps(detail or {}, default=str)))


class AuditLog:
    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    def record_sync(self, conn: sqlite3.Connection, actor: Actor, action: str, *, store_id: str | None = None,
                    target_type: str | None = None, target_id: str | None = None,
                    detail: dict[str, Any] | None = None, now: datetime | None = None) -> None:
        """In the caller's transaction on the writer's sqlite3 connection (Writer.run_sync)."""
        terminal_name = None
        if actor.terminal_id is not None:
            found = conn.execute("SELECT name FROM terminals WHERE id = ?", (actor.terminal_id,)).fetchone()
            terminal_name = found[0] if found else None
        row = _row(actor, action, terminal_name, store_id=store_id, target_type=target_type, target_id=target_id,
                   detail=detail, now=now)
        compiled = compiled_insert(AuditRow.__table__)
        conn.execute(compiled.sql, compiled.params(column_values(row)))

    async def record(self, session: AsyncSession, actor: Actor, action: str, *, store_id: str | None = None,
                     target_type: str | None = None, target_id: str | None = None,
                     detail: dict[str, Any] | None = None, now: datetime | None = None) -> None:
        """In the caller's ORM transaction (``Writer.transaction()``)."""
        terminal_name = None
        if actor.terminal_id is not None:
            terminal = await session.get(TerminalRow, actor.terminal_id)
            terminal_name = terminal.name if terminal is not None else None
        session.add(_row(actor, action, terminal_name, store_id=store_id, target_type=target_type,
                         target_id=target_id, detail=detail, now=now))

    async def note(self, actor: Actor, action: str, *, store_id: str | None = None, target_type: str | None = None,
                   target_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """An action that writes nothing else (the kiosk started or left): its own transaction."""
        async with self._writer.transaction() as session:
            await self.record(session, actor, action, store_id=store_id, target_type=target_type,
                              target_id=target_id, detail=detail)

    def _query(self, actor: Actor, *, store_id: str | None, person_id: str | None, terminal_id: str | None,
               since: datetime | None, until: datetime | None) -> Select[AuditRow]:
        require(actor, Permission.VIEW_AUDIT, store_id)
        query = select(AuditRow)
        if store_id is not None:
            query = query.where(AuditRow.store_id == store_id)
        elif (scope := actor_scope(actor)) is not None:  # a manager: their stores' rows (and their own)
            mine = AuditRow.store_id.in_(sorted(scope))
            query = query.where(or_(mine, AuditRow.person_id == actor.person_id) if actor.person_id else mine)
        if person_id is not None:
            query = query.where(AuditRow.person_id == person_id)
        if terminal_id is not None:
            query = query.where(AuditRow.terminal_id == terminal_id)
        for value, name in ((since, "since"), (until, "until")):
            if value is not None and value.tzinfo is None:
                raise ValidationError(f"'{name}' needs a time zone.", code=f"invalid_{name}", field=name)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if until is not None:
            query = query.where(AuditRow.at < until)
        return query.order_by(AuditRow.seq.desc())

    async def list(self, *, store_id: str | None = None, person_id: str | None = None,
                   terminal_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
                   limit: int = 200, offset: int = 0, actor: Actor = SYSTEM) -> list[AuditEntry]:
        """Newest first (VIEW_AUDIT; a manager: their stores' rows)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"'limit' is 1 to {MAX_LIMIT}.", code="invalid_limit", field="limit")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValidationError("'offset' is 0 or more.", code="invalid_offset", field="offset")
        query = self._query(actor, store_id=store_id, person_id=person_id, terminal_id=terminal_id, since=since,
                            until=until).limit(limit).offset(offset)
        async with self._writer.read() as session:
            return [_entry(row) for row in (await session.scalars(query)).all()]

    async def export_csv(self, *, store_id: str | None = None, person_id: str | None = None,
                         terminal_id: str | None = None, since: datetime | None = None,
                         until: datetime | None = None, actor: Actor = SYSTEM) -> str:
        """The filtered log as CSV (newest first, at most 100,000 rows); typed text is formula-safe."""
        query = self._query(actor, store_id=store_id, person_id=person_id, terminal_id=terminal_id, since=since,
                            until=until).limit(CSV_MAX_ROWS)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        async with self._writer.read() as session:
            for row in (await session.scalars(query)).all():
                writer.writerow([row.seq, row.at.isoformat(), row.person_id or "", safe_cell(row.person_name),
                                 row.role, row.terminal_id or "", safe_cell(row.terminal_name or ""),
                                 row.store_id or "", row.action, row.target_type or "", row.target_id or "",
                                 safe_cell(json.dumps(row.detail or {}, sort_keys=True))])
        return out.getvalue()
