"""The staff rules of app/core/staff.py: roles, stores, who manages whom, the small helpers."""

import pytest

from app.core.errors import ValidationError
from app.core.staff import (
    PERMISSIONS,
    SYSTEM,
    Actor,
    NotAllowed,
    PairingCodeExpired,
    PairingRefused,
    Permission,
    PinRefused,
    Role,
    TerminalRefused,
    TerminalRevoked,
    actor_and_label,
    actor_scope,
    check_name,
    check_role,
    may_cancel_own,
    may_manage,
    require,
)

CASHIER = Actor("p1", "Carl", Role.CASHIER, frozenset({"s1"}), "t1")
MANAGER = Actor("p2", "Mia", Role.MANAGER, frozenset({"s1"}))


def test_roles():
    assert PERMISSIONS[Role.OWNER] == frozenset(Permission)
    require(CASHIER, Permission.SELL, "s1")
    with pytest.raises(NotAllowed, match="may not sell in this store") as other_store:
        require(CASHIER, Permission.SELL, "s2")
    assert other_store.value.code == "not_allowed" and other_store.value.http_status == 403
    with pytest.raises(NotAllowed, match="A cashier may not mark invoices"):
        require(CASHIER, Permission.MARK_INVOICE, "s1")
    require(MANAGER, Permission.APPROVE_REFUND, "s1")
    with pytest.raises(NotAllowed):
        require(MANAGER, Permission.ADMIN)
    require(SYSTEM, Permission.ADMIN)


def test_who_manages_whom():
    assert may_manage(MANAGER, Role.CASHIER, ["s1"])
    assert not may_manage(MANAGER, Role.CASHIER, ["s2"])
    assert not may_manage(MANAGER, Role.CASHIER, [])
    assert not may_manage(MANAGER, Role.MANAGER, ["s1"])
    assert not may_manage(CASHIER, Role.CASHIER, ["s1"])
    assert may_manage(SYSTEM, Role.MANAGER, ["s2"])


def test_helpers():
    assert actor_scope(SYSTEM) is None and actor_scope(MANAGER) == {"s1"}
    assert actor_and_label("window") == (SYSTEM, "window")
    assert actor_and_label(None) == (SYSTEM, None)
    assert actor_and_label(MANAGER) == (MANAGER, "Mia")
    assert actor_and_label(SYSTEM) == (SYSTEM, None)
    assert CASHIER.at("t2").terminal_id == "t2" and CASHIER.at("t2").person_id == "p1"
    assert may_cancel_own(CASHIER, "p1", "pending", "invalid")
    assert not may_cancel_own(CASHIER, "p1", "pending", "invalid", paid_sat=1)  # something was paid
    assert not may_cancel_own(CASHIER, "p9", "pending", "invalid")  # someone else's
    assert not may_cancel_own(CASHIER, "p1", "pending", "complete")
    assert not may_cancel_own(SYSTEM, None, "pending", "invalid")
    assert check_name("  Ana   Lee ") == "Ana Lee"
    with pytest.raises(ValidationError):
        check_name("x" * 61)
    assert check_role("cashier") is Role.CASHIER
    with pytest.raises(ValidationError) as bad:
        check_role("boss")
    assert bad.value.code == "invalid_role"


def test_refusals_carry_their_codes():
    wrong = PinRefused("Wrong PIN.", attempts_left=3, locked_for_s=0)
    locked = PinRefused("Locked.", attempts_left=0, locked_for_s=30)
    assert (wrong.code, wrong.attempts_left, locked.code, locked.locked_for_s) == ("wrong_pin", 3, "locked_out", 30)
    assert isinstance(TerminalRevoked("x"), TerminalRefused) and TerminalRevoked("x").code == "terminal_revoked"
    assert TerminalRefused("x").http_status == 401
    assert isinstance(PairingCodeExpired("x"), PairingRefused) and PairingCodeExpired("x").code == "pairing_code_expired"
