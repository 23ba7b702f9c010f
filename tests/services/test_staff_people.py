"""Staff: people, PINs (lockout survives a restart), window passwords, terminals, the audit log."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from app.core.errors import Conflict, ValidationError
from app.core.staff import (
    SYSTEM,
    LockedOut,
    NotAllowed,
    PairingRefused,
    PinRefused,
    Role,
    SessionEnded,
    TerminalRefused,
    WrongPassword,
)
from app.services.staff.people import StaffService
from app.services.staff.terminals import CODE_ALPHABET, TerminalService


async def _stores(services):
    a = await services.stores.create("North", default_currency="USD")
    b = await services.stores.create("South", default_currency="USD")
    return a, b


async def _team(services):
    a, b = await _stores(services)
    owner = await services.staff.add("Olga", Role.OWNER, "1234", password="owner-password")
    manager = await services.staff.add("Mia", "manager", "2345", store_ids=[a.id])
    cashier = await services.staff.add("Carl", "cashier", "3456", store_ids=[a.id])
    other = await services.staff.add("Cleo", "cashier", "4567", store_ids=[b.id])
    return a, b, owner, manager, cashier, other


async def _audit(services, **filters):
    return await services.audit.list(**filters)


async def test_people_roles_and_manager_limits(services):
    a, b, owner, manager, cashier, other = await _team(services)
    assert (owner.role, owner.store_ids, owner.has_password) == (Role.OWNER, (), True)
    mia = services.staff.actor_of(manager)
    # a manager adds a cashier of their store, not of another store, not a manager
    added = await services.staff.add("Cora", "cashier", "5678", store_ids=[a.id], actor=mia)
    assert added.store_ids == (a.id,)
    with pytest.raises(NotAllowed) as refused:
        await services.staff.add("Bob", "cashier", "5678", store_ids=[b.id], actor=mia)
    assert refused.value.code == "not_allowed" and refused.value.http_status == 403
    with pytest.raises(NotAllowed):
        await services.staff.add("Max", "manager", "5678", store_ids=[a.id], actor=mia)
    with pytest.raises(NotAllowed):  # managing a cashier of another store
        await services.staff.update(other.id, name="Cleopatra", actor=mia)
    with pytest.raises(NotAllowed):
        await services.staff.set_pin(other.id, "9999", actor=mia)
    # a cashier manages nobody
    with pytest.raises(NotAllowed):
        await services.staff.add("Zed", "cashier", "5678", store_ids=[a.id], actor=services.staff.actor_of(cashier))
    # a manager sees the people of their stores
    names = {p.name for p in await services.staff.list(actor=mia)}
    assert names == {"Mia", "Carl", "Cora"}
    assert len(await services.staff.list()) == 5
    # rules of the input
    with pytest.raises(Conflict):
        await services.staff.add("carl", "cashier", "5678", store_ids=[a.id])
    with pytest.raises(ValidationError):
        await services.staff.add("Nope", "cashier", "12", store_ids=[a.id])
    with pytest.raises(ValidationError):
        await services.staff.add("Nope", "cashier", "1234")  # no store
    with pytest.raises(Conflict):
        await services.staff.update(owner.id, role="manager", store_ids=[a.id])  # the only owner
    entries = await _audit(services)
    assert [e.action for e in entries].count("staff.add") == 5
    assert any(e.action == "staff.add" and e.person_id == manager.id and e.person_name == "Mia" for e in entries)


async def test_pin_lockout_after_five_and_survives_restart(services):
    a, _ = await _stores(services)
    carl = await services.staff.add("Carl", "cashier", "3456", store_ids=[a.id])
    for left in (4, 3, 2, 1):
        result = await services.staff.check_pin(carl.id, "0000")
        assert (result.ok, result.attempts_left, result.locked_for_s) == (False, left, 0)
    fifth = await services.staff.check_pin(carl.id, "0000")
    assert not fifth.ok and fifth.locked_for_s == 30
    # a fresh service on the same database (a restart) is still locked, even for the right PIN
    restarted = StaffService(services.writer, services.audit)
    again = await restarted.check_pin(carl.id, "3456")
    assert not again.ok and 0 < again.locked_for_s <= 30
    assert (await restarted.get(carl.id)).locked_until is not None
    # after the lockout the right PIN works and resets the count
    later = StaffService(services.writer, services.audit, clock=lambda: datetime.now(UTC) + timedelta(seconds=31))
    ok = await later.check_pin(carl.id, "3456")
    assert ok.ok and ok.actor is not None and ok.actor.person_id == carl.id and ok.actor.store_ids == {a.id}
    actions = [e.action for e in await _audit(services, person_id=carl.id)]
    assert actions.count("login.failed") == 6 and actions[0] == "login"


async def test_window_password_login_and_lock(services):
    a, _ = await _stores(services)
    assert not await services.staff.window_locked()
    assert not await services.staff.has_owner()
    owner = await services.staff.add("Olga", "owner", "1234", password="owner-password")
    assert await services.staff.window_locked() and await services.staff.has_owner()
    actor = await services.staff.window_login("olga", "owner-password")
    assert actor.person_id == owner.id and actor.role is Role.OWNER and actor.store_ids is None
    with pytest.raises(WrongPassword) as wrong:
        await services.staff.window_login("Nobody", "owner-password")
    assert wrong.value.http_status == 401
    for _ in range(4):
        with pytest.raises(WrongPassword):
            await services.staff.window_login("Olga", "bad-password")
    with pytest.raises(LockedOut) as locked:
        await services.staff.window_login("Olga", "bad-password")
    assert locked.value.code == "locked_out" and locked.value.http_status == 429 and locked.value.locked_for_s == 30
    with pytest.raises(LockedOut):
        await services.staff.window_login("Olga", "owner-password")
    await services.staff.set_password(owner.id, None)
    assert not await services.staff.window_locked()
    with pytest.raises(ValidationError):
        await services.staff.set_password(owner.id, "short")
    actions = [e.action for e in await _audit(services)]
    assert "window.unlock" in actions and "window.unlock_failed" in actions


async def _terminal(services, store, people):
    terminal, code = await services.terminals.add("Till 1", store.id, [p.id for p in people])
    assert len(code.code) == 8 and set(code.code) <= set(CODE_ALPHABET)
    terminal, token = await services.terminals.pair(code.code, address="192.168.1.20")
    return terminal, token


async def test_pair_login_session_revoke(services):
    a, b, owner, manager, cashier, other = await _team(services)
    terminal, code = await services.terminals.add("Till 1", a.id, [cashier.id, manager.id])
    assert terminal.state == "waiting" and code.expires_at - datetime.now(UTC) <= timedelta(minutes=10)
    paired, token = await services.terminals.pair(code.code.lower(), address="192.168.1.20")
    assert paired.state == "paired" and len(token) >= 43
    with pytest.raises(PairingRefused) as twice:  # a pairing code works once
        await services.terminals.pair(code.code, address="192.168.1.21")
    assert twice.value.code == "invalid_pairing_code"
    device = await services.terminals.device(token, address="192.168.1.20")
    assert device.id == terminal.id and device.last_seen_address == "192.168.1.20"
    assert [p.name for p in await services.terminals.people(device)] == ["Carl", "Mia"]
    with pytest.raises(NotAllowed):  # not a person of this terminal
        await services.terminals.login(device, other.id, "4567")
    with pytest.raises(PinRefused) as wrong:
        await services.terminals.login(device, cashier.id, "0000")
    assert wrong.value.attempts_left == 4 and wrong.value.http_status == 401
    login = await services.terminals.login(device, cashier.id, "3456")
    actor = await services.terminals.session(device, login.token)
    assert actor.person_id == cashier.id and actor.terminal_id == terminal.id
    # revoking ends the device and the session at once
    await services.terminals.revoke(terminal.id)
    with pytest.raises(TerminalRefused) as revoked:
        await services.terminals.device(token, address="192.168.1.20")
    assert revoked.value.code == "terminal_revoked"
    with pytest.raises(SessionEnded):
        await services.terminals.session(device, login.token)
    with pytest.raises(TerminalRefused) as unknown:
        await services.terminals.device("not-a-token", address=None)
    assert unknown.value.code == "terminal_unknown"
    entries = await _audit(services, terminal_id=terminal.id)
    actions = {e.action for e in entries}
    assert {"terminal.pair", "login", "login.failed"} <= actions
    login_row = next(e for e in entries if e.action == "login")
    assert login_row.person_name == "Carl" and login_row.terminal_name == "Till 1"
    assert any(e.action == "terminal.revoke" for e in await _audit(services, store_id=a.id))


async def test_expired_code_and_logout_and_deactivation(services):
    a, b, owner, manager, cashier, other = await _team(services)
    past = TerminalService(services.writer, services.staff, services.audit, services.urls,
                           clock=lambda: datetime.now(UTC) - timedelta(minutes=11))
    terminal, code = await past.add("Old", a.id, [cashier.id])
    with pytest.raises(PairingRefused) as expired:
        await services.terminals.pair(code.code, address=None)
    assert expired.value.code == "pairing_code_expired"
    fresh = await services.terminals.new_pairing_code(terminal.id)
    device, token = await services.terminals.pair(fresh.code, address=None)
    login = await services.terminals.login(device, cashier.id, "3456")
    await services.terminals.logout(device, login.token)
    with pytest.raises(SessionEnded):
        await services.terminals.session(device, login.token)
    login = await services.terminals.login(device, cashier.id, "3456")
    await services.staff.update(cashier.id, active=False)  # a deactivated person's sessions end
    with pytest.raises(SessionEnded):
        await services.terminals.session(device, login.token)
    with pytest.raises(NotAllowed):  # a cashier manages no terminal
        await services.terminals.add("X", a.id, [], actor=services.staff.actor_of(other))
    with pytest.raises(NotAllowed):  # a manager: not another store's
        await services.terminals.add("X", b.id, [], actor=services.staff.actor_of(manager))


async def test_audit_log_is_append_only(services):
    a, _ = await _stores(services)
    await services.staff.add("Olga", "owner", "1234")
    with sqlite3.connect(services.settings.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET person_name = 'someone else'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
    csv_text = await services.audit.export_csv()
    assert csv_text.splitlines()[0].startswith("seq,at,person_id,person_name")
    assert "staff.add" in csv_text
    assert SYSTEM.name in csv_text


async def test_onboarding_creates_the_owner_in_the_same_transaction(services):
    from app.core.first_store import FirstStore
    from app.core.staff import FirstOwner
    from tests.conftest import TEST_VPUB

    setup = FirstStore(store_name="Corner", currency="BTC", rate=None, wallet_name="Till", wallet_keys=TEST_VPUB)
    with pytest.raises(ValidationError):
        services.onboarding.check_owner(FirstOwner("Olga", "12"))
    with pytest.raises(ValidationError):  # a bad store leaves no owner behind
        await services.onboarding.create_first_store(FirstStore(store_name="", currency="BTC", rate=None,
                                                                wallet_name="Till", wallet_keys=TEST_VPUB),
                                                     owner=FirstOwner("Olga", "1234"))
    assert not await services.staff.has_owner()
    store = await services.onboarding.create_first_store(setup, owner=FirstOwner("Olga", "1234", "owner-password"))
    assert store.name == "Corner"
    [owner] = await services.staff.list()
    assert owner.role is Role.OWNER and owner.has_password
    assert (await services.staff.window_login("Olga", "owner-password")).person_id == owner.id
