"""The audit log, staff and terminals over the admin API: read-only (scopes ``audit:read``,
``staff:read``). People and terminals are managed in the window; nothing here writes.

A key limited to some stores reads as a manager of those stores would: their rows, people, terminals."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.staff import (
    AuditEntryOut,
    AuditFilter,
    AuditPage,
    AuditQuery,
    PersonList,
    PersonOut,
    TerminalList,
    TerminalOut,
)
from app.core.staff import SYSTEM, Actor, Role
from app.services.admin.apikeys import Scope


def key_actor(call: Call) -> Actor:
    """SYSTEM for an unrestricted key; a key limited to stores reads as a manager of them."""
    if call.store_ids is None:
        return SYSTEM
    name = call.key.name if call.key is not None else SYSTEM.name
    return Actor(None, f"API key {name}"[:60], Role.MANAGER, frozenset(call.store_ids))


def _filters(call: Call, query: AuditFilter) -> dict[str, object]:
    if query.store_id is not None:
        call.check_store(query.store_id)
    return {"store_id": query.store_id, "person_id": query.person_id, "terminal_id": query.terminal_id,
            "since": query.since, "until": query.until}


async def list_audit(call: Call) -> AuditPage:
    query = call.query_as(AuditQuery)
    entries = await call.services.audit.list(**_filters(call, query), limit=query.limit,  # type: ignore[arg-type]
                                             offset=query.offset, actor=key_actor(call))
    return AuditPage(items=[AuditEntryOut.of(e) for e in entries], limit=query.limit, offset=query.offset)


async def export_audit(call: Call) -> web.Response:
    query = call.query_as(AuditFilter)
    text = await call.services.audit.export_csv(**_filters(call, query), actor=key_actor(call))  # type: ignore[arg-type]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})


async def list_staff(call: Call) -> PersonList:
    return PersonList(items=[PersonOut.of(p) for p in await call.services.staff.list(actor=key_actor(call))])


async def list_terminals(call: Call) -> TerminalList:
    return TerminalList(items=[TerminalOut.of(t) for t in await call.services.terminals.list(actor=key_actor(call))])


def operations() -> list[Operation]:
    return [
        Operation("GET", "/audit", list_audit, "The audit log (read-only)", "staff", Scope.AUDIT_READ, AuditPage,
                  query=AuditQuery,
                  description="Newest first. Every sale by a person, mark, refund request/approval/cancel, payout "
                              "approval/cancel, staff and terminal change, login and failed login, with the person "
                              "and the terminal. The log is append-only: nobody can change or delete a row, and "
                              "there is no write route."),
        Operation("GET", "/audit.csv", export_audit, "Export the audit log as CSV", "staff", Scope.AUDIT_READ,
                  None, query=AuditFilter, extra_content={"text/csv": {"schema": {"type": "string"}}},
                  description="The same filters as `/audit`, at most 100,000 rows; text cells a spreadsheet would "
                              "run as a formula are prefixed with a quote."),
        Operation("GET", "/staff", list_staff, "People (read-only)", "staff", Scope.STAFF_READ, PersonList,
                  description="Names, roles, stores, whether locked out. PINs and passwords never leave "
                              "RedWaves (they are stored only as scrypt hashes)."),
        Operation("GET", "/terminals", list_terminals, "Paired terminals (read-only)", "staff", Scope.STAFF_READ,
                  TerminalList,
                  description="State (`waiting` for its device, `paired`, `revoked`), last seen time and address."),
    ]
