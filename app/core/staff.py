"""Staff: roles, what each may do, and the actor every guarded service call names. Pure: no I/O.

Three roles (docs/staff.md):

- **owner**: everything, every store.
- **manager**: their stores' products, invoices (create, mark), refunds (request and approve),
  payouts of their stores, reports and the audit log of their stores, the cashiers of their stores,
  their stores' terminals.
- **cashier**: sell at a terminal or the kiosk of their stores, see today's payments of their
  terminal, request a refund (a manager or the owner approves it). Nothing else.

One rule set: the services call ``require(actor, permission, store_id)`` for the window, the kiosk,
the web terminals and the APIs alike; the faces only hide what the rule would refuse anyway.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.core.errors import UserFacingError, ValidationError


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"


class Permission(StrEnum):
    SELL = "sell"  # create an invoice at a till (kiosk, terminal)
    VIEW_OWN_SALES = "view_own_sales"  # today's payments of one's own terminal
    VIEW_SALES = "view_sales"  # every invoice and payment of the store, reports, exports
    REQUEST_REFUND = "request_refund"  # a refund that waits for approval
    APPROVE_REFUND = "approve_refund"  # create an approved refund, approve a requested one or a payout
    MARK_INVOICE = "mark_invoice"  # mark complete / invalid / refunded
    MANAGE_PRODUCTS = "manage_products"
    MANAGE_STORE = "manage_store"  # the store's settings (not creating stores)
    MANAGE_STAFF = "manage_staff"  # people of one's stores (a manager: cashiers only)
    MANAGE_TERMINALS = "manage_terminals"
    VIEW_AUDIT = "view_audit"
    ADMIN = "admin"  # wallets, new stores, settings, API keys, Lightning, backups: the owner only


_CASHIER = frozenset({Permission.SELL, Permission.VIEW_OWN_SALES, Permission.REQUEST_REFUND})
_MANAGER = _CASHIER | frozenset({
    Permission.VIEW_SALES, Permission.APPROVE_REFUND, Permission.MARK_INVOICE, Permission.MANAGE_PRODUCTS,
    Permission.MANAGE_STORE, Permission.MANAGE_STAFF, Permission.MANAGE_TERMINALS, Permission.VIEW_AUDIT})
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: _MANAGER,
    Role.CASHIER: _CASHIER,
}
ROLE_LABELS = {Role.OWNER: "Owner", Role.MANAGER: "Manager", Role.CASHIER: "Cashier"}
MAX_NAME_CHARS = 60


class NotAllowed(UserFacingError):
    """The person's role (or stores) does not allow this action."""

    code = "not_allowed"
    http_status = 403


@dataclass(frozen=True)
class Actor:
    """Who does something, and from where. ``store_ids`` None: every store (the owner)."""

    person_id: str | None  # None: the system (an API key, the daemon, the wizard, an unlocked owner window)
    name: str
    role: Role
    store_ids: frozenset[str] | None = None
    terminal_id: str | None = None

    def may(self, permission: Permission, store_id: str | None = None) -> bool:
        if permission not in PERMISSIONS[self.role]:
            return False
        return store_id is None or self.store_ids is None or store_id in self.store_ids

    def at(self, terminal_id: str | None) -> Actor:
        """The same person acting from a terminal (attribution)."""
        return Actor(self.person_id, self.name, self.role, self.store_ids, terminal_id)


SYSTEM = Actor(person_id=None, name="RedWaves", role=Role.OWNER)
"""The actor of calls no person makes (API keys — scoped by their own rules —, the Bitcart daemon,
start-up, the engine) and of the window while no staff exists or the owner unlocked it."""


def require(actor: Actor, permission: Permission, store_id: str | None = None) -> None:
    """Raise NotAllowed unless ``actor`` may do ``permission`` (in ``store_id``, when it is store-bound)."""
    if actor.may(permission, store_id):
        return
    what = _PHRASES.get(permission, "do this")
    if permission in PERMISSIONS[actor.role]:
        raise NotAllowed(f"{actor.name} may not {what} in this store.")
    raise NotAllowed(f"A {actor.role} may not {what}.")


def may_manage(actor: Actor, role: Role, store_ids: Collection[str]) -> bool:
    """Can ``actor`` add or change a person with ``role`` in ``store_ids``? The owner: anyone but another
    owner; a manager: cashiers of their own stores only."""
    if actor.role is Role.OWNER:
        return True
    if actor.role is not Role.MANAGER or role is not Role.CASHIER or not store_ids:
        return False
    return actor.store_ids is None or set(store_ids) <= actor.store_ids


def check_name(value: object) -> str:
    name = " ".join(str(value or "").split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise ValidationError(f"A name is 1 to {MAX_NAME_CHARS} characters.", code="invalid_name", field="name")
    return name


def check_role(value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise ValidationError("The role is owner, manager or cashier.", code="invalid_role", field="role") from None


_PHRASES = {
    Permission.SELL: "sell", Permission.VIEW_OWN_SALES: "see this terminal's sales",
    Permission.VIEW_SALES: "see the store's sales", Permission.REQUEST_REFUND: "request refunds",
    Permission.APPROVE_REFUND: "approve refunds or payouts", Permission.MARK_INVOICE: "mark invoices",
    Permission.MANAGE_PRODUCTS: "change products", Permission.MANAGE_STORE: "change the store",
    Permission.MANAGE_STAFF: "manage staff", Permission.MANAGE_TERMINALS: "manage terminals",
    Permission.VIEW_AUDIT: "read the audit log", Permission.ADMIN: "change the shop's settings",
}


# -- refusals of logins and terminals (the services raise them; every face shows the sentence) ----------


class WrongPassword(UserFacingError):
    """The window password (or the name) is wrong."""

    code = "wrong_password"
    http_status = 401


class LockedOut(UserFacingError):
    """Too many wrong PINs or passwords in a row: wait ``locked_for_s`` seconds."""

    code = "locked_out"
    http_status = 429

    def __init__(self, message: str, *, locked_for_s: int) -> None:
        super().__init__(message)
        self.locked_for_s = locked_for_s


class PinRefused(UserFacingError):
    """A wrong PIN at a terminal (or a locked person): ``attempts_left`` before the next lockout."""

    code = "wrong_pin"
    http_status = 401

    def __init__(self, message: str, *, attempts_left: int, locked_for_s: int) -> None:
        super().__init__(message, code="locked_out" if locked_for_s else None)
        self.attempts_left = attempts_left
        self.locked_for_s = locked_for_s


class TerminalRefused(UserFacingError):
    """A device token that is unknown (``terminal_unknown``) or revoked (``terminal_revoked``)."""

    code = "terminal_unknown"
    http_status = 401


class PairingRefused(UserFacingError):
    """A pairing code that is unknown or already used (``invalid_pairing_code``) or expired
    (``pairing_code_expired``)."""

    code = "invalid_pairing_code"
    http_status = 400


class TerminalRevoked(TerminalRefused):
    code = "terminal_revoked"


class PairingCodeExpired(PairingRefused):
    code = "pairing_code_expired"


class SessionEnded(UserFacingError):
    """The terminal session is over (logout, 12 h, revoke, deactivated person): log in again."""

    code = "session_ended"
    http_status = 401


class AuditAction(StrEnum):
    """What an audit row records (docs/staff.md)."""

    INVOICE_CREATE = "invoice.create"
    INVOICE_MARK = "invoice.mark"
    REFUND_CREATE = "refund.create"
    REFUND_REQUEST = "refund.request"
    REFUND_APPROVE = "refund.approve"
    REFUND_CANCEL = "refund.cancel"
    PAYOUT_CREATE = "payout.create"
    PAYOUT_APPROVE = "payout.approve"
    PAYOUT_CANCEL = "payout.cancel"
    PAYOUT_PAY = "payout.pay"
    PRODUCT_CHANGE = "product.change"
    STORE_CHANGE = "store.change"
    STAFF_ADD = "staff.add"
    STAFF_UPDATE = "staff.update"
    STAFF_PIN = "staff.pin"
    STAFF_PASSWORD = "staff.password"
    TERMINAL_ADD = "terminal.add"
    TERMINAL_UPDATE = "terminal.update"
    TERMINAL_CODE = "terminal.code"
    TERMINAL_PAIR = "terminal.pair"
    TERMINAL_REVOKE = "terminal.revoke"
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    KIOSK_START = "kiosk.start"
    KIOSK_LEAVE = "kiosk.leave"
    WINDOW_UNLOCK = "window.unlock"
    WINDOW_UNLOCK_FAILED = "window.unlock_failed"


def actor_scope(actor: Actor) -> frozenset[str] | None:
    """The stores whose records ``actor`` may read (None: every store), as ``Actor.may`` decides."""
    return actor.store_ids


@dataclass(frozen=True)
class PersonSales:
    """Sold invoices of one person at one terminal (None: the system / not at a terminal) over some days."""

    person_id: str | None
    person_name: str
    terminal_id: str | None
    terminal_name: str | None
    count: int
    sat: int
    fiat: dict[str, Decimal]
    tips: dict[str, Decimal]


def may_cancel_own(actor: Actor, created_by: str | None, status: str, target: str, paid_sat: int = 0) -> bool:
    """A seller may withdraw (mark invalid) an invoice they created themselves while nothing was paid
    (the kiosk's and the terminal's Cancel) without MARK_INVOICE."""
    return (actor.person_id is not None and created_by == actor.person_id and status == "pending"
            and paid_sat == 0 and target == "invalid")


def actor_and_label(actor: Actor | str | None) -> tuple[Actor, str | None]:
    """Older callers name themselves with a label ("window", an API key's name): they act as SYSTEM and the
    label is kept as the record's ``created_by``; a person is recorded by name (and by id in the audit log)."""
    if isinstance(actor, Actor):
        return actor, actor.name if actor.person_id is not None else None
    return SYSTEM, actor


@dataclass(frozen=True)
class FirstOwner:
    """The owner the first-run wizard creates with the first store (OnboardingService)."""

    name: str
    pin: str
    password: str | None = None  # the window password; None: the window opens without one
