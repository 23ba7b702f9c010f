"""API keys: shown once, stored as a SHA-256 hash under a short public prefix id (api_keys.id).

A key looks like ``rw_<id>_<secret>``: ``id`` is 12 hex characters (the row's primary key, safe to
show in lists and logs), ``secret`` is 32 random bytes, URL-safe base64. Only sha256(full key) is
stored; checks use a constant-time comparison, also when the id is unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from app.core.errors import Conflict, NotFound, StoreNotFound, ValidationError
from app.db.models import ApiKeyRow, StoreRow
from app.secrets import Secret
from app.services.writer import Writer

logger = logging.getLogger(__name__)

KEY_PREFIX = "rw"
SECRET_BYTES = 32
ID_BYTES = 6
_DUMMY_HASH = hashlib.sha256(b"redwaves-no-such-key").hexdigest()


class Scope(StrEnum):
    INVOICES_CREATE = "invoices:create"
    INVOICES_READ = "invoices:read"
    INVOICES_WRITE = "invoices:write"
    STORES_READ = "stores:read"
    STORES_WRITE = "stores:write"
    PRODUCTS_READ = "products:read"
    PRODUCTS_WRITE = "products:write"
    WALLETS_READ = "wallets:read"
    WALLETS_WRITE = "wallets:write"
    WEBHOOKS_WRITE = "webhooks:write"
    REFUNDS_READ = "refunds:read"
    REFUNDS_WRITE = "refunds:write"  # create and cancel refunds (not implied by invoices:write)
    PAYOUTS_READ = "payouts:read"
    PAYOUTS_WRITE = "payouts:write"  # create, approve, pay, sign: moves money out (only `full` implies it)
    LIGHTNING_READ = "lightning:read"  # the node's status and channels
    LIGHTNING_WRITE = "lightning:write"  # turn the node on/off, open and close channels: moves money into channels
    AUDIT_READ = "audit:read"  # the audit log (read-only: nobody writes it over the API)
    STAFF_READ = "staff:read"  # people and terminals (managed in the window only)
    FULL = "full"


IMPLIED: dict[Scope, frozenset[Scope]] = {
    Scope.INVOICES_WRITE: frozenset({Scope.INVOICES_READ, Scope.INVOICES_CREATE}),
    Scope.STORES_WRITE: frozenset({Scope.STORES_READ}),
    Scope.PRODUCTS_WRITE: frozenset({Scope.PRODUCTS_READ}),
    Scope.WALLETS_WRITE: frozenset({Scope.WALLETS_READ}),
    Scope.REFUNDS_WRITE: frozenset({Scope.REFUNDS_READ}),
    Scope.PAYOUTS_WRITE: frozenset({Scope.PAYOUTS_READ}),
    Scope.LIGHTNING_WRITE: frozenset({Scope.LIGHTNING_READ}),
}
"""A write scope includes reading the same resource; `full` includes everything."""


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scopes: frozenset[Scope]
    store_ids: tuple[str, ...] | None  # None: every store
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: Scope) -> bool:
        if Scope.FULL in self.scopes or scope in self.scopes:
            return True
        return any(scope in IMPLIED.get(granted, ()) for granted in self.scopes)

    def can_access_store(self, store_id: str) -> bool:
        return self.store_ids is None or store_id in self.store_ids


@dataclass(frozen=True)
class NewApiKey:
    """The only time the full key exists outside the caller: show it once, then forget it."""

    key: Secret
    api_key: ApiKey


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key_id(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 2 * ID_BYTES or not parts[2]:
        return None
    return parts[1]


def _to_api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(id=row.id, name=row.name, scopes=frozenset(Scope(s) for s in row.scopes),
                  store_ids=tuple(row.store_ids) if row.store_ids is not None else None,
                  created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)


def _scopes(scopes: Iterable[str]) -> list[str]:
    try:
        parsed = sorted({Scope(str(s)) for s in scopes})
    except ValueError:
        raise ValidationError("Unknown scope.", code="invalid_scope", field="scopes") from None
    if not parsed:
        raise ValidationError("Give the key at least one scope.", code="invalid_scope", field="scopes")
    return [str(s) for s in parsed]


class ApiKeyService:
    def __init__(self, writer: Writer, *, touch_interval_s: float = 60.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._writer = writer
        self._touch_interval = timedelta(seconds=touch_interval_s)
        self._clock = clock

    async def create(self, name: str, scopes: Iterable[str], *, store_ids: Sequence[str] | None = None) -> NewApiKey:
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise ValidationError("Give the key a name (up to 200 characters).", code="invalid_name", field="name")
        scope_list = _scopes(scopes)
        stores = list(dict.fromkeys(store_ids)) if store_ids is not None else None
        key_id = secrets.token_hex(ID_BYTES)
        token = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        row = ApiKeyRow(id=key_id, name=name, key_hash=hash_key(token), scopes=scope_list, store_ids=stores,
                        created_at=self._clock(), last_used_at=None, revoked_at=None)
        async with self._writer.transaction() as session:
            for store_id in stores or ():
                if await session.get(StoreRow, store_id) is None:
                    raise StoreNotFound(f"Store {store_id} not found.", field="store_ids")
            session.add(row)
        logger.info("API key %s created (%s)", key_id, ", ".join(scope_list))
        return NewApiKey(Secret(token), _to_api_key(row))

    async def bootstrap(self, name: str = "Local admin") -> NewApiKey:
        """The first key, created locally (GUI/CLI): full scope, refused once any active key exists."""
        async with self._writer.read() as session:
            existing = await session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.revoked_at.is_(None)).limit(1))
        if existing:
            raise Conflict("An API key already exists; create more with it or from the settings.",
                           code="api_keys_exist")
        return await self.create(name, [Scope.FULL])

    async def authenticate(self, token: str) -> ApiKey | None:
        """The active key for ``token``, or None. Same work whether or not the id exists."""
        key_id = _key_id(token)
        async with self._writer.read() as session:
            row = await session.get(ApiKeyRow, key_id) if key_id else None
        expected = row.key_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(hash_key(token).encode(), expected.encode())
        if row is None or not matches or row.revoked_at is not None:
            return None
        now = self._clock()
        if row.last_used_at is None or now - row.last_used_at >= self._touch_interval:
            async with self._writer.transaction() as session:
                fresh = await session.get(ApiKeyRow, row.id)
                if fresh is not None:
                    fresh.last_used_at = now
                    row = fresh
        return _to_api_key(row)

    async def get(self, key_id: str) -> ApiKey:
        async with self._writer.read() as session:
            row = await session.get(ApiKeyRow, key_id)
        if row is None:
            raise ApiKeyNotFound("API key not found.")
        return _to_api_key(row)

    async def list(self, *, include_revoked: bool = False) -> list[ApiKey]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        async with self._writer.read() as session:
            return [_to_api_key(r) for r in (await session.scalars(query)).all()]

    async def revoke(self, key_id: str) -> ApiKey:
        async with self._writer.transaction() as session:
            row = await session.get(ApiKeyRow, key_id)
            if row is None:
                raise ApiKeyNotFound("API key not found.")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
        logger.info("API key %s revoked", key_id)
        return _to_api_key(row)
