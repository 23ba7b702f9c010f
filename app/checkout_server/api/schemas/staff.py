"""Staff, terminals and the audit log: read-only (people and terminals are managed in the window)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from app.checkout_server.api.schemas.common import Id, QueryModel, ResponseModel
from app.services.staff.audit import MAX_LIMIT, AuditEntry
from app.services.staff.people import Person
from app.services.staff.terminals import Terminal


class AuditFilter(QueryModel):
    person_id: Id | None = None
    terminal_id: Id | None = None
    store_id: Id | None = None
    since: AwareDatetime | None = Field(default=None, description="From this time (inclusive).")
    until: AwareDatetime | None = Field(default=None, description="Before this time.")


class AuditQuery(AuditFilter):
    limit: int = Field(default=200, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class AuditEntryOut(ResponseModel):
    seq: int = Field(description="Increasing with every row; rows are never changed or deleted.")
    at: datetime
    person_id: str | None = Field(description="null: the system (an API key, the daemon, start-up).")
    person_name: str
    role: Literal["owner", "manager", "cashier"]
    terminal_id: str | None
    terminal_name: str | None
    store_id: str | None
    action: str = Field(description="invoice.create, invoice.mark, refund.request, login.failed, ... (docs/staff.md)")
    target_type: str | None
    target_id: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(seq=entry.seq, at=entry.at, person_id=entry.person_id, person_name=entry.person_name,
                   role=entry.role, terminal_id=entry.terminal_id, terminal_name=entry.terminal_name,  # type: ignore[arg-type]
                   store_id=entry.store_id, action=entry.action, target_type=entry.target_type,
                   target_id=entry.target_id, detail=dict(entry.detail))


class AuditPage(ResponseModel):
    items: list[AuditEntryOut]
    limit: int
    offset: int


class PersonOut(ResponseModel):
    id: str
    name: str
    role: Literal["owner", "manager", "cashier"]
    store_ids: list[str] = Field(description="Empty for the owner (every store).")
    active: bool
    has_password: bool = Field(description="Has a window password.")
    created_at: datetime
    locked_until: datetime | None = Field(description="Locked out after wrong PINs until then.")

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(id=person.id, name=person.name, role=person.role.value, store_ids=list(person.store_ids),
                   active=person.active, has_password=person.has_password, created_at=person.created_at,
                   locked_until=person.locked_until)


class PersonList(ResponseModel):
    items: list[PersonOut]


class TerminalOut(ResponseModel):
    id: str
    name: str
    store_id: str
    state: Literal["waiting", "paired", "revoked"]
    person_ids: list[str]
    created_at: datetime
    paired_at: datetime | None
    revoked_at: datetime | None
    last_seen_at: datetime | None
    last_seen_address: str | None

    @classmethod
    def of(cls, terminal: Terminal) -> TerminalOut:
        return cls(id=terminal.id, name=terminal.name, store_id=terminal.store_id, state=terminal.state,  # type: ignore[arg-type]
                   person_ids=list(terminal.person_ids), created_at=terminal.created_at, paired_at=terminal.paired_at,
                   revoked_at=terminal.revoked_at, last_seen_at=terminal.last_seen_at,
                   last_seen_address=terminal.last_seen_address)


class TerminalList(ResponseModel):
    items: list[TerminalOut]
