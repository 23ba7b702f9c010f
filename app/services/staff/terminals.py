"""Web terminals: a phone or tablet paired with a one-time code, then people log in on it with their PIN.

- ``add`` makes the terminal and a pairing code (8 characters of an unambiguous alphabet, 10 minutes, stored
  as sha256; a new code replaces the old one). ``pair`` trades the code, once, for a device token (32 random
  bytes, url-safe, stored as sha256, shown once): the device's cookie ``rw_device``.
- ``device(token)`` is asked on EVERY /t request: nothing is cached, so ``revoke`` refuses the device and its
  sessions at once. ``login`` checks the PIN (StaffService: lockout on the person's row) and opens a 12 h
  session; ``session(token)`` re-checks the terminal, the person (still active) and the expiry each time.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound, ValidationError
from app.core.ids import new_id
from app.core.staff import (
    SYSTEM,
    Actor,
    AuditAction,
    NotAllowed,
    PairingCodeExpired,
    PairingRefused,
    Permission,
    PinRefused,
    Role,
    SessionEnded,
    TerminalRefused,
    TerminalRevoked,
    actor_scope,
    check_name,
    require,
)
from app.db.models import PersonRow, StoreRow, TerminalRow, TerminalSessionRow
from app.services.ports import Urls, openable
from app.services.staff.audit import AuditLog
from app.services.staff.people import Person, StaffService
from app.services.writer import Writer

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_CHARS = 8
CODE_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)
SEEN_EVERY = timedelta(seconds=60)
TOKEN_BYTES = 32


class TerminalNotFound(NotFound):
    code = "terminal_not_found"


@dataclass(frozen=True)
class Terminal:
    id: str
    name: str
    store_id: str
    person_ids: tuple[str, ...]
    created_at: datetime
    paired_at: datetime | None
    revoked_at: datetime | None
    last_seen_at: datetime | None
    last_seen_address: str | None

    @property
    def state(self) -> str:
        """"waiting" (for its device), "paired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        return "paired" if self.paired_at is not None else "waiting"


@dataclass(frozen=True)
class PairingCode:
    terminal_id: str
    code: str
    expires_at: datetime
    url: str | None  # <public base>/t/pair?code=<the code>, None while nothing public is serving


@dataclass(frozen=True)
class TerminalSession:
    token: str
    actor: Actor
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())[:32]


def _terminal(row: TerminalRow) -> Terminal:
    return Terminal(id=row.id, name=row.name, store_id=row.store_id, person_ids=tuple(row.person_ids or ()),
                    created_at=row.created_at, paired_at=row.paired_at, revoked_at=row.revoked_at,
                    last_seen_at=row.last_seen_at, last_seen_address=row.last_seen_address)


def _address(address: str | None) -> str | None:
    return address[:100] if address else None


class TerminalService:
    def __init__(self, writer: Writer, staff: StaffService, audit: AuditLog, urls: Urls, *,
                 clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._writer = writer
        self._staff = staff
        self._audit = audit
        self._urls = urls
        self._clock = clock

    # -- the window ------------------------------------------------------------------------------

    async def add(self, name: str, store_id: str, person_ids: Sequence[str], *,
                  actor: Actor = SYSTEM) -> tuple[Terminal, PairingCode]:
        require(actor, Permission.MANAGE_TERMINALS, store_id)
        clean = check_name(name)
        now = self._clock()
        code = self._new_code()
        async with self._writer.transaction() as session:
            if await session.get(StoreRow, store_id) is None:
                raise ValidationError("No such store.", code="invalid_store", field="store_id")
            people = await self._check_people(session, store_id, person_ids)
            row = TerminalRow(id=new_id("terminal"), name=clean, store_id=store_id, person_ids=people, created_at=now,
                              pairing_code_hash=token_hash(code), pairing_expires_at=now + CODE_TTL)
            session.add(row)
            await session.flush()
            await self._audit.record(session, actor, AuditAction.TERMINAL_ADD, store_id=store_id,
                                     target_type="terminal", target_id=row.id,
                                     detail={"name": clean, "person_ids": people}, now=now)
            terminal = _terminal(row)
        logger.info("terminal %s added to store %s", terminal.id, store_id)
        return terminal, self._pairing(terminal.id, code, now + CODE_TTL)

    async def update(self, terminal_id: str, *, name: str | None = None, person_ids: Sequence[str] | None = None,
                     actor: Actor = SYSTEM) -> Terminal:
        """Rename it or change who may log in there."""
        async with self._writer.transaction() as session:
            row = await self._row(session, terminal_id)
            require(actor, Permission.MANAGE_TERMINALS, row.store_id)
            detail: dict[str, object] = {}
            if name is not None:
                row.name = detail["name"] = check_name(name)
            if person_ids is not None:
                row.person_ids = await self._check_people(session, row.store_id, person_ids)
                detail["person_ids"] = list(row.person_ids)
                await session.execute(update(TerminalSessionRow).where(
                    TerminalSessionRow.terminal_id == row.id, TerminalSessionRow.ended_at.is_(None),
                    TerminalSessionRow.person_id.not_in(row.person_ids)).values(ended_at=self._clock()))
            await self._audit.record(session, actor, AuditAction.TERMINAL_UPDATE,
                                     store_id=row.store_id, target_type="terminal", target_id=row.id, detail=detail)
            return _terminal(row)

    async def new_pairing_code(self, terminal_id: str, *, actor: Actor = SYSTEM) -> PairingCode:
        """A fresh one-time code (the old one stops working); pairing again replaces the device."""
        now = self._clock()
        code = self._new_code()
        async with self._writer.transaction() as session:
            row = await self._row(session, terminal_id)
            require(actor, Permission.MANAGE_TERMINALS, row.store_id)
            if row.revoked_at is not None:
                raise Conflict("This terminal is revoked: add a new one.", code="terminal_revoked")
            row.pairing_code_hash, row.pairing_expires_at = token_hash(code), now + CODE_TTL
            await self._audit.record(session, actor, AuditAction.TERMINAL_CODE, store_id=row.store_id,
                                     target_type="terminal", target_id=row.id, now=now)
        return self._pairing(terminal_id, code, now + CODE_TTL)

    async def revoke(self, terminal_id: str, *, actor: Actor = SYSTEM) -> Terminal:
        """The device and every session of it are refused from the next request on."""
        now = self._clock()
        async with self._writer.transaction() as session:
            row = await self._row(session, terminal_id)
            require(actor, Permission.MANAGE_TERMINALS, row.store_id)
            if row.revoked_at is None:
                row.revoked_at = now
                row.pairing_code_hash = row.pairing_expires_at = None
                await self._end_sessions(session, row.id, now)
                await self._audit.record(session, actor, AuditAction.TERMINAL_REVOKE, store_id=row.store_id,
                                         target_type="terminal", target_id=row.id, now=now)
            terminal = _terminal(row)
        logger.info("terminal %s revoked", terminal_id)
        return terminal

    async def list(self, *, actor: Actor = SYSTEM) -> list[Terminal]:
        require(actor, Permission.MANAGE_TERMINALS)
        query = select(TerminalRow).order_by(TerminalRow.created_at)
        if (scope := actor_scope(actor)) is not None:
            query = query.where(TerminalRow.store_id.in_(sorted(scope)))
        async with self._writer.read() as session:
            return [_terminal(r) for r in (await session.scalars(query)).all()]

    async def get(self, terminal_id: str) -> Terminal:
        async with self._writer.read() as session:
            return _terminal(await self._row(session, terminal_id))

    # -- the device ------------------------------------------------------------------------------

    async def pair(self, code: str, *, address: str | None) -> tuple[Terminal, str]:
        """The plain device token (shown once). PairingRefused: unknown, used or expired code."""
        now = self._clock()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        async with self._writer.transaction() as session:
            row = await session.scalar(select(TerminalRow).where(
                TerminalRow.pairing_code_hash == token_hash(normalize_code(code))))
            if row is None or row.revoked_at is not None:
                raise PairingRefused("This pairing code is not valid (or was used already). Ask for a new one.")
            if row.pairing_expires_at is None or row.pairing_expires_at <= now:
                raise PairingCodeExpired("This pairing code has expired. Ask for a new one.")
            row.pairing_code_hash = row.pairing_expires_at = None  # one time
            row.device_token_hash, row.paired_at = token_hash(token), now
            row.last_seen_at, row.last_seen_address = now, _address(address)
            await self._end_sessions(session, row.id, now)  # a new device: the old one's sessions end
            await self._audit.record(session, SYSTEM.at(row.id), AuditAction.TERMINAL_PAIR, store_id=row.store_id,
                                     target_type="terminal", target_id=row.id, detail={"address": address}, now=now)
            terminal = _terminal(row)
        logger.info("terminal %s paired", terminal.id)
        return terminal, token

    async def device(self, token: str, *, address: str | None) -> Terminal:
        """The terminal of a device token; TerminalRefused when unknown or revoked. Last seen: every 60 s."""
        if not token:
            raise TerminalRefused("This device is not paired with RedWaves.")
        digest = token_hash(token)
        async with self._writer.read() as session:
            row = await session.scalar(select(TerminalRow).where(TerminalRow.device_token_hash == digest))
            if row is None:
                raise TerminalRefused("This device is not paired with RedWaves.")
            if row.revoked_at is not None:
                raise TerminalRevoked("This terminal was revoked.")
            terminal = _terminal(row)
        now = self._clock()
        if terminal.last_seen_at is None or now - terminal.last_seen_at >= SEEN_EVERY \
                or _address(address) != terminal.last_seen_address:
            async with self._writer.transaction() as session:
                await session.execute(update(TerminalRow).where(TerminalRow.id == terminal.id)
                                      .values(last_seen_at=now, last_seen_address=_address(address)))
        return terminal

    async def people(self, terminal: Terminal) -> builtins.list[Person]:
        """Who may log in there: its people, active, working in its store."""
        async with self._writer.read() as session:
            row = await self._row(session, terminal.id)
            allowed = list(row.person_ids or ())
        people = []
        for person_id in allowed:
            try:
                person = await self._staff.get(person_id)
            except NotFound:
                continue
            if person.active and self._staff.actor_of(person).may(Permission.SELL, terminal.store_id):
                people.append(person)
        return sorted(people, key=lambda p: p.name.casefold())

    async def login(self, terminal: Terminal, person_id: str, pin: str) -> TerminalSession:
        """PinRefused (wrong, locked) or NotAllowed (not a person of this terminal)."""
        current = await self.get(terminal.id)
        if current.revoked_at is not None:
            raise TerminalRevoked("This terminal was revoked.")
        if person_id not in current.person_ids:
            raise NotAllowed("This person may not log in at this terminal.")
        person = await self._staff.get(person_id)
        if not self._staff.actor_of(person).may(Permission.SELL, current.store_id):
            raise NotAllowed(f"{person.name} may not sell in this store.")
        result = await self._staff.check_pin_at(person_id, pin, terminal_id=current.id)
        if not result.ok or result.actor is None:
            message = (f"Too many wrong PINs: try again in {result.locked_for_s} s." if result.locked_for_s
                       else "Wrong PIN.")
            raise PinRefused(message, attempts_left=result.attempts_left, locked_for_s=result.locked_for_s)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        async with self._writer.transaction() as session:
            session.add(TerminalSessionRow(token_hash=token_hash(token), terminal_id=current.id, person_id=person_id,
                                           created_at=now, expires_at=now + SESSION_TTL))
        return TerminalSession(token=token, actor=result.actor, expires_at=now + SESSION_TTL)

    async def session(self, terminal: Terminal, token: str) -> Actor:
        """The logged-in person's actor (``terminal_id`` set); SessionEnded otherwise."""
        if not token:
            raise SessionEnded("Log in with your PIN.")
        now = self._clock()
        async with self._writer.read() as session:
            found = (await session.execute(
                select(TerminalSessionRow, TerminalRow, PersonRow)
                .join(TerminalRow, TerminalRow.id == TerminalSessionRow.terminal_id)
                .join(PersonRow, PersonRow.id == TerminalSessionRow.person_id)
                .where(TerminalSessionRow.token_hash == token_hash(token)))).first()
        if found is None:
            raise SessionEnded("Log in with your PIN.")
        row, terminal_row, person = found
        if (row.terminal_id != terminal.id or row.ended_at is not None or row.expires_at <= now
                or terminal_row.revoked_at is not None or not person.active or person.id not in terminal_row.person_ids):
            raise SessionEnded("Your session has ended: log in with your PIN.")
        stores = None if person.role == Role.OWNER.value else frozenset(person.store_ids or ())
        return Actor(person.id, person.name, Role(person.role), stores, terminal.id)

    async def logout(self, terminal: Terminal, token: str) -> None:
        now = self._clock()
        async with self._writer.transaction() as session:
            row = await session.get(TerminalSessionRow, token_hash(token))
            if row is None or row.terminal_id != terminal.id or row.ended_at is not None:
                return
            row.ended_at = now
            person = await session.get(PersonRow, row.person_id)
            if person is not None:
                stores = None if person.role == Role.OWNER.value else frozenset(person.store_ids or ())
                actor = Actor(person.id, person.name, Role(person.role), stores, terminal.id)
                await self._audit.record(session, actor, AuditAction.LOGOUT, store_id=terminal.store_id,
                                         target_type="terminal", target_id=terminal.id, now=now)

    # -- helpers ---------------------------------------------------------------------------------

    def _new_code(self) -> str:
        return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))

    def _pairing(self, terminal_id: str, code: str, expires_at: datetime) -> PairingCode:
        urls = self._urls.current()
        base = next((u.rstrip("/") for u in (urls.get("shop"), urls.get("public"), urls.get("onion"))
                     if u and openable(u)), None)
        return PairingCode(terminal_id=terminal_id, code=code, expires_at=expires_at,
                           url=f"{base}/t/pair?code={code}" if base else None)

    @staticmethod
    async def _row(session: AsyncSession, terminal_id: str) -> TerminalRow:
        row = await session.get(TerminalRow, terminal_id)
        if row is None:
            raise TerminalNotFound("No such terminal.")
        return row

    @staticmethod
    async def _end_sessions(session: AsyncSession, terminal_id: str, now: datetime) -> None:
        await session.execute(update(TerminalSessionRow).where(TerminalSessionRow.terminal_id == terminal_id,
                                                               TerminalSessionRow.ended_at.is_(None))
                              .values(ended_at=now))

    @staticmethod
    async def _check_people(session: AsyncSession, store_id: str, person_ids: Sequence[str]) -> builtins.list[str]:
        if isinstance(person_ids, str):
            raise ValidationError("person_ids is a list.", code="invalid_people", field="person_ids")
        chosen = list(dict.fromkeys(str(p) for p in person_ids))
        for person_id in chosen:
            row = await session.get(PersonRow, person_id)
            if row is None or not row.active:
                raise ValidationError("One of the people does not exist or is deactivated.", code="invalid_people",
                                      field="person_ids")
            if row.role != Role.OWNER.value and store_id not in (row.store_ids or ()):
                raise ValidationError(f"{row.name} does not work in this store.", code="invalid_people",
                                      field="person_ids")
        return chosen
