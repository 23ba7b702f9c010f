"""Lightning rules (app/core/lightning.py, the Lightning parts of app/core/payments.py and invoices.py):
a settled Lightning payment completes whatever the speed policy, the chain never touches it, the
BOLT11 is on offer only while nothing was paid on-chain, and the unified BIP21 URI."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.core import invoices as rules
from app.core.errors import ValidationError
from app.core.lightning import (
    check_bolt11,
    clean_lightning_options,
    lightning_first,
    lightning_payment,
    lightning_uri,
    offer_open,
    store_lightning,
    unified_uri,
)
from app.core.payments import ObservedOutput, Payment, merge_payments
from app.core.records import Invoice, Store
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PREIMAGE = "11" * 32
HASH = hashlib.sha256(bytes.fromhex(PREIMAGE)).hexdigest()
BOLT11 = "lnbcrt40u1pexample"


def invoice(**changes: object) -> Invoice:
    base = Invoice(
        id="inv1", store_id="sto1", wallet_id="wal1", address="bcrt1qexample", derivation_index=0,
        price=Decimal("2.00"), currency="USD", rate=Decimal(50000), rate_source="manual", amount_due_sat=4000,
        order_id=None, description="Coffee", buyer_email=None, items=(), metadata={}, redirect_url=None,
        notification_url=None, speed_policy=6, underpaid_tolerance_pct=Decimal(0), status=InvoiceStatus.PENDING,
        exception_status=ExceptionStatus.NONE, amount_paid_sat=0, amount_confirmed_sat=0, created_at=T0,
        expires_at=T0 + timedelta(minutes=15), monitoring_until=T0 + timedelta(days=1), paid_at=None,
        confirmed_at=None, completed_at=None, bolt11=BOLT11, payment_hash=HASH)
    return replace(base, **changes)  # type: ignore[arg-type]


def store(**checkout: object) -> Store:
    return Store(id="sto1", name="Cafe", default_currency="USD", speed_policy=6, expiry_s=900, monitoring_s=86400,
                 underpaid_tolerance_pct=Decimal(0), rate_source="manual", rate_spread_pct=Decimal(0),
                 wallet_ids=("wal1",), checkout=dict(checkout))


def paid(at: datetime = T0 + timedelta(minutes=1), msat: int = 4_000_000) -> Payment:
    return lightning_payment(payment_hash=HASH, preimage=PREIMAGE, amount_msat=msat, settled_at=at)


def test_settled_lightning_payment_completes_even_with_six_confirmations_required():
    inv = invoice()
    state = rules.evaluate(inv.terms, inv.state, [paid()], now=T0 + timedelta(minutes=1))
    assert state.status is InvoiceStatus.COMPLETE and state.exception_status is ExceptionStatus.NONE
    assert state.amount_paid_sat == 4000 and state.remaining_sat == 0


def test_lightning_payment_is_final_and_untouched_by_chain_views():
    payment = paid()
    assert payment.state is PaymentState.SETTLED and payment.method == "lightning" and not payment.held
    chain = ObservedOutput("aa" * 32, 0, 500, 0, True)
    merged = merge_payments([payment], [chain], tip_height=100, now=T0)
    assert payment in merged and len(merged) == 2
    assert merge_payments([payment], [], tip_height=100, now=T0) == (payment,)  # never "vanished"


def test_on_time_lightning_payment_revives_an_expired_invoice_after_monitoring():
    inv = invoice(status=InvoiceStatus.EXPIRED)
    late = inv.monitoring_until + timedelta(hours=1)
    on_time = rules.evaluate(inv.terms, inv.state, [paid(inv.expires_at - timedelta(seconds=1))], now=late)
    assert on_time.status is InvoiceStatus.COMPLETE
    # an on-chain payment first seen after expiry stays a late payment on an expired invoice
    chain = Payment(txid="aa" * 32, vout=0, amount_sat=4000, first_seen_at=inv.expires_at + timedelta(minutes=1), height=0, confirmations=0,
                    state=PaymentState.MEMPOOL, accounted=True, rbf=False, ever_confirmed=False)
    stays = rules.evaluate(inv.terms, inv.state, [chain], now=late)
    assert stays.status is InvoiceStatus.EXPIRED and stays.exception_status is ExceptionStatus.PAID_LATE


def test_lightning_payment_validation():
    with pytest.raises(ValueError, match="hash"):
        lightning_payment(payment_hash="00" * 32, preimage=PREIMAGE, amount_msat=1000, settled_at=T0)
    with pytest.raises(ValueError, match="at least 1 sat"):
        lightning_payment(payment_hash=HASH, preimage=PREIMAGE, amount_msat=999, settled_at=T0)
    assert paid(msat=4_000_999).amount_sat == 4000  # msat below a sat are dropped, never rounded up


def test_offer_is_open_only_while_pending_unexpired_and_unpaid_on_chain():
    now = T0 + timedelta(minutes=1)
    assert offer_open(invoice(), now)
    assert not offer_open(invoice(bolt11=None), now)
    assert not offer_open(invoice(), T0 + timedelta(minutes=15))
    assert not offer_open(invoice(status=InvoiceStatus.COMPLETE), now)
    chain = Payment(txid="aa" * 32, vout=0, amount_sat=1000, first_seen_at=now, height=0, confirmations=0,
                    state=PaymentState.MEMPOOL, accounted=True, rbf=True, ever_confirmed=False)
    assert not offer_open(invoice(payments=(chain,)), now)  # mixed payments are prevented


def test_unified_uri_carries_the_bolt11_only_while_on_offer():
    now = T0 + timedelta(minutes=1)
    assert unified_uri(invoice(), now) == ("bitcoin:bcrt1qexample?amount=0.00004000&message=Coffee"
                                           "&lightning=LNBCRT40U1PEXAMPLE")
    assert "lightning=" not in unified_uri(invoice(status=InvoiceStatus.EXPIRED), now)
    assert lightning_uri(BOLT11) == "lightning:LNBCRT40U1PEXAMPLE"


def test_store_options_and_kiosk_choice():
    assert store_lightning(store()).enabled is False
    options = store_lightning(store(lightning=True, lightning_qr_below_sat=10_000))
    assert options.enabled and options.qr_first_below_sat == 10_000
    now = T0 + timedelta(minutes=1)
    assert lightning_first(invoice(), store(lightning=True, lightning_qr_below_sat=10_000), now)
    assert not lightning_first(invoice(amount_due_sat=10_000), store(lightning=True, lightning_qr_below_sat=10_000), now)
    for bad, code in (({"lightning": "yes"}, "invalid_lightning"),
                      ({"lightning_qr_below_sat": -1}, "invalid_lightning_qr_below_sat"),
                      ({"lightning_qr_below_sat": 16_777_216}, "invalid_lightning_qr_below_sat"),
                      ({"lightning_qr_below_sat": True}, "invalid_lightning_qr_below_sat")):
        with pytest.raises(ValidationError) as err:
            clean_lightning_options(bad)
        assert err.value.code == code


def test_check_bolt11():
    assert check_bolt11(" LIGHTNING:LNBCRT1PXYZ ") == "lnbcrt1pxyz"
    for bad in ("", "bc1qxyz", "ln" + "x" * 3000, None, "lnbc 1"):
        with pytest.raises(ValidationError):
            check_bolt11(bad)
