"""People: the owner, managers and cashiers; their PINs (terminals, the kiosk) and window passwords.

Every change is guarded by app/core/staff.py (MANAGE_STAFF + ``may_manage``) and audited in its own
transaction. PINs and passwords: app/services/staff/credentials.py (scrypt off the loop, lockout stored on
the row, so a restart does not reset it). Attempts for one person are serialised (no parallel guessing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound, ValidationError
from app.core.ids import new_id
from app.core.staff import (
    SYSTEM,
    Actor,
    AuditAction,
    LockedOut,
    NotAllowed,
    Permission,
    Role,
    WrongPassword,
    check_name,
    check_role,
    may_manage,
    require,
)
from app.db.models import PersonRow, StoreRow, TerminalSessionRow
from app.services.staff import credentials as cred
from app.services.staff.audit import AuditLog
from app.services.writer import Writer

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class PersonNotFound(NotFound):
    code = "person_not_found"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: Role
    store_ids: tuple[str, ...]
    has_password: bool
    active: bool
    created_at: datetime
    locked_until: datetime | None


@dataclass(frozen=True)
class PinResult:
    ok: bool
    actor: Actor | None
    attempts_left: int
    locked_for_s: int


def _person(row: PersonRow, now: datetime) -> Person:
    return Person(id=row.id, name=row.name, role=Role(row.role), store_ids=tuple(row.store_ids or ()),
                  has_password=bool(row.password), active=row.active, created_at=row.created_at,
                  locked_until=cred.locked_until(row.pin, now))


def _first(store_ids: Sequence[str] | None) -> str | None:
    """The store a staff row is filed under (a manager of it reads it): the person's first store."""
    return store_ids[0] if store_ids else None


def _key(name: str) -> str:
    return name.casefold()


class StaffService:
    def __init__(self, writer: Writer, audit: AuditLog, *, clock: Clock = lambda: datetime.now(UTC),
                 params: Mapping[str, int] | None = None) -> None:
        self._writer = writer
        self._audit = audit
        self._clock = clock
        self._params = dict(params) if params else None  # scrypt parameters (tests use cheap ones)
        self._locks: dict[str, asyncio.Lock] = {}

    # -- reading ---------------------------------------------------------------------------------

    async def list(self, *, actor: Actor = SYSTEM) -> list[Person]:
        """Everyone (the owner); a manager sees the people of their stores."""
        require(actor, Permission.MANAGE_STAFF)
        async with self._writer.read() as session:
            rows = (await session.scalars(select(PersonRow).order_by(PersonRow.name_key))).all()
        now = self._clock()
        people = [_person(r, now) for r in rows]
        if actor.store_ids is None:
            return people
        return [p for p in people if p.id == actor.person_id or set(p.store_ids) & actor.store_ids]

    async def get(self, person_id: str) -> Person:
        async with self._writer.read() as session:
            row = await session.get(PersonRow, person_id)
        if row is None:
            raise PersonNotFound("No such person.")
        return _person(row, self._clock())

    async def has_owner(self) -> bool:
        async with self._writer.read() as session:
            found = await session.scalar(select(PersonRow.id).where(PersonRow.role == Role.OWNER.value,
                                                                      PersonRow.active.is_(True)).limit(1))
        return found is not None

    async def window_locked(self) -> bool:
        """True when any active person has a window password: the window starts locked."""
        async with self._writer.read() as session:
            found = await session.scalar(select(PersonRow.id).where(PersonRow.password.is_not(None),
                                                                      PersonRow.active.is_(True)).limit(1))
        return found is not None

    def actor_of(self, person: Person, *, terminal_id: str | None = None) -> Actor:
        stores = None if person.role is Role.OWNER else frozenset(person.store_ids)
        return Actor(person.id, person.name, person.role, stores, terminal_id)

    # -- changing --------------------------------------------------------------------------------

    async def add(self, name: str, role: Role | str, pin: str, *, store_ids: Sequence[str] = (),
                  password: str | None = None, actor: Actor = SYSTEM) -> Person:
        row = await self.prepare(name, role, pin, store_ids=store_ids, password=password, actor=actor)
        async with self._writer.transaction() as session:
            await self.insert(session, row, actor=actor)
        logger.info("person %s (%s) added", row.id, row.role)
        return _person(row, self._clock())

    async def prepare(self, name: str, role: Role | str, pin: str, *, store_ids: Sequence[str] = (),
                      password: str | None = None, actor: Actor = SYSTEM) -> PersonRow:
        """A checked, hashed new person row, not yet written (``insert`` writes it: the wizard does both
        in its own transaction)."""
        require(actor, Permission.MANAGE_STAFF)
        clean_name, clean_role = check_name(name), check_role(role)
        stores = self._stores(clean_role, store_ids)
        if not may_manage(actor, clean_role, stores):
            raise NotAllowed("A manager may add cashiers of their own stores only.")
        cred.check_pin_format(pin)
        if password is not None:
            cred.check_password_format(password)
        pin_record = await cred.hash_secret(pin, self._params)
        password_record = await cred.hash_secret(password, self._params) if password is not None else None
        return PersonRow(id=new_id("person"), name=clean_name, name_key=_key(clean_name), role=clean_role.value,
                         store_ids=list(stores), pin=pin_record, password=password_record, active=True,
                         created_at=self._clock())

    async def insert(self, session: AsyncSession, row: PersonRow, *, actor: Actor = SYSTEM) -> None:
        await self._name_free(session, row.name, None)
        await self._stores_exist(session, row.store_ids)
        session.add(row)
        await session.flush()
        await self._audit.record(session, actor, AuditAction.STAFF_ADD, store_id=_first(row.store_ids),
                                 target_type="person", target_id=row.id,
                                 detail={"name": row.name, "role": row.role, "store_ids": list(row.store_ids)})

    async def update(self, person_id: str, *, name: str | None = None, role: Role | str | None = None,
                     store_ids: Sequence[str] | None = None, active: bool | None = None,
                     actor: Actor = SYSTEM) -> Person:
        require(actor, Permission.MANAGE_STAFF)
        now = self._clock()
        async with self._writer.transaction() as session:
            row = await self._row(session, person_id)
            self._may_change(actor, row)
            changes: dict[str, Any] = {}
            if name is not None:
                clean = check_name(name)
                await self._name_free(session, clean, row.id)
                changes["name"], row.name, row.name_key = clean, clean, _key(clean)
            new_role = check_role(role) if role is not None else Role(row.role)
            stores = self._stores(new_role, row.store_ids if store_ids is None else store_ids)
            if not may_manage(actor, new_role, stores):
                raise NotAllowed("A manager may manage cashiers of their own stores only.")
            await self._stores_exist(session, stores)
            if new_role.value != row.role:
                changes["role"] = new_role.value
            if list(stores) != list(row.store_ids or ()):
                changes["store_ids"] = list(stores)
            if active is not None and bool(active) != row.active:
                changes["active"] = bool(active)
            if Role(row.role) is Role.OWNER and row.active and (new_role is not Role.OWNER or active is False):
                await self._not_last_owner(session, row.id)
            row.role, row.store_ids = new_role.value, list(stores)
            if active is not None:
                row.active = bool(active)
            if not row.active:  # a deactivated person's sessions end at once
                await session.execute(update(TerminalSessionRow).where(TerminalSessionRow.person_id == row.id,
                                                                       TerminalSessionRow.ended_at.is_(None))
                                      .values(ended_at=now))
            if changes:
                await self._audit.record(session, actor, AuditAction.STAFF_UPDATE, store_id=_first(row.store_ids),
                                         target_type="person",
                                         target_id=row.id, detail=changes, now=now)
            person = _person(row, now)
        return person

    async def set_pin(self, person_id: str, pin: str, *, actor: Actor = SYSTEM) -> None:
        """A new PIN (the wrong-PIN count and a lockout go with the old one): the person themselves, or
        whoever may manage them."""
        cred.check_pin_format(pin)
        record = await cred.hash_secret(pin, self._params)
        async with self._lock(person_id), self._writer.transaction() as session:
            row = await self._row(session, person_id)
            if actor.person_id != row.id:
                require(actor, Permission.MANAGE_STAFF)
                self._may_change(actor, row)
            row.pin = record
            await self._audit.record(session, actor, AuditAction.STAFF_PIN, target_type="person", target_id=row.id)

    async def set_password(self, person_id: str, password: str | None, *, actor: Actor = SYSTEM) -> None:
        """Set or (None) clear the person's window password."""
        record = None
        if password is not None:
            cred.check_password_format(password)
            record = await cred.hash_secret(password, self._params)
        async with self._lock(person_id), self._writer.transaction() as session:
            row = await self._row(session, person_id)
            if actor.person_id != row.id:
                require(actor, Permission.MANAGE_STAFF)
                self._may_change(actor, row)
            row.password = record
            await self._audit.record(session, actor, AuditAction.STAFF_PASSWORD, target_type="person",
                                     target_id=row.id, detail={"set": record is not None})

    # -- checking ----------------------------------------------------------------------------------

    async def check_pin(self, person_id: str, pin: str) -> PinResult:
        """A PIN try (the kiosk): audited as ``login`` or ``login.failed``."""
        return await self.check_pin_at(person_id, pin, terminal_id=None)

    async def check_pin_at(self, person_id: str, pin: str, *, terminal_id: str | None) -> PinResult:
        async with self._lock(person_id):
            person = await self.get(person_id)
            if not person.active:
                raise NotAllowed(f"{person.name} is deactivated.")
            actor = self.actor_of(person, terminal_id=terminal_id)
            async with self._writer.read() as session:
                record = dict((await self._row(session, person_id)).pin)
            result = cred.still_locked(record, self._clock())
            if result is None:
                given = await cred.digest(record, pin) if isinstance(pin, str) and pin.isascii() \
                    and pin.isdigit() else None
                result = cred.outcome(record, given, self._clock())
            async with self._writer.transaction() as session:
                row = await self._row(session, person_id)
                row.pin = result.record
                await self._audit.record(session, actor, AuditAction.LOGIN if result.ok else AuditAction.LOGIN_FAILED,
                                         target_type="person", target_id=person_id,
                                         detail={} if result.ok else {"locked_for_s": result.locked_for_s})
        if not result.ok:
            logger.warning("wrong PIN for %s%s", person_id,
                           f"; locked for {result.locked_for_s} s" if result.locked_for_s else "")
        return PinResult(ok=result.ok, actor=actor if result.ok else None, attempts_left=result.attempts_left,
                         locked_for_s=result.locked_for_s)

    async def window_login(self, name: str, password: str) -> Actor:
        """Unlock the window: WrongPassword (unknown name, no password, wrong one) or LockedOut."""
        async with self._writer.read() as session:
            row = await session.scalar(select(PersonRow).where(PersonRow.name_key == _key(" ".join(str(name).split()))))
        if row is None or not row.active or not row.password:
            await cred.hash_secret(str(password)[:200], self._params)  # the same time as a real check
            raise WrongPassword("The name or the password is wrong.")
        async with self._lock(row.id):
            async with self._writer.read() as session:
                record = dict((await self._row(session, row.id)).password or {})
            if not record:
                raise WrongPassword("The name or the password is wrong.")
            result = cred.still_locked(record, self._clock())
            if result is None:
                given = await cred.digest(record, password) if isinstance(password, str) else None
                result = cred.outcome(record, given, self._clock())
            actor = self.actor_of(_person(row, self._clock()))
            async with self._writer.transaction() as session:
                fresh = await self._row(session, row.id)
                fresh.password = result.record
                await self._audit.record(session, actor, AuditAction.WINDOW_UNLOCK if result.ok
                                         else AuditAction.WINDOW_UNLOCK_FAILED, target_type="person", target_id=row.id)
        if result.ok:
            return actor
        if result.locked_for_s:
            raise LockedOut(f"Too many wrong passwords: try again in {result.locked_for_s} s.",
                            locked_for_s=result.locked_for_s)
        raise WrongPassword("The name or the password is wrong.")

    # -- helpers ---------------------------------------------------------------------------------

    def _lock(self, person_id: str) -> asyncio.Lock:
        return self._locks.setdefault(person_id, asyncio.Lock())

    async def _row(self, session: AsyncSession, person_id: str) -> PersonRow:
        row = await session.get(PersonRow, person_id)
        if row is None:
            raise PersonNotFound("No such person.")
        return row

    @staticmethod
    def _may_change(actor: Actor, row: PersonRow) -> None:
        if not may_manage(actor, Role(row.role), row.store_ids or ()):
            raise NotAllowed("A manager may manage cashiers of their own stores only.")

    @staticmethod
    def _stores(role: Role, store_ids: Sequence[str]) -> tuple[str, ...]:
        if isinstance(store_ids, str):
            raise ValidationError("store_ids is a list of store ids.", code="invalid_stores", field="store_ids")
        stores = tuple(dict.fromkeys(str(s) for s in store_ids))
        if role is Role.OWNER:
            return ()  # the owner has every store
        if not stores:
            raise ValidationError("A manager or cashier works in at least one store.", code="invalid_stores",
                                  field="store_ids")
        return stores

    @staticmethod
    async def _stores_exist(session: AsyncSession, store_ids: Sequence[str]) -> None:
        for store_id in store_ids:
            if await session.get(StoreRow, store_id) is None:
                raise ValidationError(f"No store {store_id}.", code="invalid_stores", field="store_ids")

    @staticmethod
    async def _name_free(session: AsyncSession, name: str, person_id: str | None) -> None:
        found = await session.scalar(select(PersonRow.id).where(PersonRow.name_key == _key(name)))
        if found is not None and found != person_id:
            raise Conflict(f"Someone is already called {name}.", code="name_taken", field="name")

    @staticmethod
    async def _not_last_owner(session: AsyncSession, person_id: str) -> None:
        other = await session.scalar(select(PersonRow.id).where(PersonRow.role == Role.OWNER.value,
                                                                  PersonRow.active.is_(True),
                                                                  PersonRow.id != person_id).limit(1))
        if other is None:
            raise Conflict("This is the only owner: add another owner first.", code="last_owner")
