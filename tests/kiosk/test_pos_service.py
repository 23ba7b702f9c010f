"""app.services.admin.pos without Qt: PIN hashing, rate limiting and lockout, receipts."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from app.core.errors import ValidationError
from app.core.statuses import InvoiceStatus
from app.services.admin.pos import (
    FREE_ATTEMPTS,
    MemoryPinStorage,
    PinAlreadySet,
    PinGuard,
    PinNotSet,
    build_receipt,
    lockout_s,
)
from tests.kiosk.conftest import Clock, make_store
from tests.ui.fakes import make_invoice

FAST = {"n": 2**4, "r": 8, "p": 1}


def guard() -> tuple[PinGuard, MemoryPinStorage, Clock]:
    storage, clock = MemoryPinStorage(), Clock()
    return PinGuard(storage, clock=clock, params=FAST), storage, clock


async def test_pin_is_stored_as_salted_scrypt_hash():
    pins, storage, _ = guard()
    assert not await pins.is_set()
    with pytest.raises(PinNotSet):
        await pins.verify("1234")
    await pins.set_pin("1234")
    record = storage.record
    assert "1234" not in str(record) and len(bytes.fromhex(record["salt"])) == 16 and record["n"] == 16
    other, storage2, _ = guard()
    await other.set_pin("1234")
    assert storage2.record["hash"] != record["hash"]  # a fresh salt each time
    assert (await pins.verify("1234")).ok
    with pytest.raises(PinAlreadySet):
        await pins.set_pin("9999")


async def test_real_scrypt_parameters_by_default():
    pins = PinGuard(MemoryPinStorage())
    await pins.set_pin("24680")
    assert (await pins.verify("24680")).ok and not (await pins.verify("24681")).ok


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", "", "１２３４"])
async def test_pin_format(bad):
    pins, _, _ = guard()
    with pytest.raises(ValidationError):
        await pins.set_pin(bad)


async def test_lockout_after_five_wrong_then_exponential():
    pins, storage, clock = guard()
    await pins.set_pin("1234")
    for n in range(1, FREE_ATTEMPTS):
        check = await pins.verify("0000")
        assert not check.ok and check.attempts_left == FREE_ATTEMPTS - n and check.locked_for_s == 0
    check = await pins.verify("0000")
    assert check.locked_for_s == 30 and check.attempts_left == 0
    refused = await pins.verify("1234")  # the right PIN is not even checked while locked
    assert not refused.ok and refused.locked_for_s == 30
    assert (await pins.state()).locked_for_s == 30
    clock.advance(31)
    assert (await pins.verify("0000")).locked_for_s == 60  # each further miss doubles
    clock.advance(61)
    assert (await pins.verify("0000")).locked_for_s == 120
    assert storage.record["failures"] == 7  # persisted: a restart keeps the lockout
    restarted = PinGuard(storage, clock=clock, params=FAST)
    assert (await restarted.state()).locked_for_s == 120
    clock.advance(121)
    ok = await restarted.verify("1234")
    assert ok.ok and ok.attempts_left == FREE_ATTEMPTS and storage.record["failures"] == 0


def test_lockout_schedule_is_capped():
    assert [lockout_s(n) for n in (0, 4, 5, 6, 7)] == [0, 0, 30, 60, 120]
    assert lockout_s(40) == 3600


async def test_change_pin_needs_the_current_one():
    pins, _, _ = guard()
    await pins.set_pin("1234")
    assert not (await pins.change_pin("9999", "5678")).ok
    assert (await pins.change_pin("1234", "5678")).ok
    assert (await pins.verify("5678")).ok


async def test_reset_pin_replaces_it_and_clears_a_lockout():
    pins, storage, _ = guard()
    await pins.set_pin("1234")
    for _ in range(FREE_ATTEMPTS):
        await pins.verify("0000")
    assert (await pins.state()).locked_for_s == 30
    with pytest.raises(ValidationError):
        await pins.reset_pin("12")
    await pins.reset_pin("8642")  # the owner, from the unlocked admin window: no current PIN needed
    assert storage.record["failures"] == 0 and storage.record["locked_until"] is None
    assert (await pins.verify("8642")).ok and not (await pins.verify("1234")).ok


def test_receipt_lists_items_adjustments_and_payment():
    inv = replace(make_invoice(1, status=InvoiceStatus.PAID, paid_sat=20000), price=Decimal("25.35"),
                  items=({"name": "Espresso", "qty": 2, "price": "2.50"}, {"name": "Tea", "quantity": 1,
                                                                            "unit_price": "2.00"}),
                  metadata={"pos": {"subtotal": "23.20", "discount": "1.16", "tip": "3.31"}})
    receipt = build_receipt(make_store(), inv)
    text = receipt.text()
    assert "2 x Espresso" in text and "5.00 USD" in text and "1 x Tea" in text
    assert "-1.16 USD" in text and "3.31 USD" in text and "25.35 USD" in text
    assert "0.00020000 BTC" in text and "Paid" in text and receipt.store_name == "Corner Café"
