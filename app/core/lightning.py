"""Lightning rules: a store's opt-in, when an invoice offers its BOLT11, the unified BIP21 URI, and the
Payment a settled Lightning payment becomes. Pure: no I/O, no clock.

RedWaves runs one Lightning node (Electrum's, on one hot p2wpkh wallet; docs/lightning.md). A store
opts in with ``checkout.lightning``; its invoices then carry a BOLT11 for the full amount, expiring
with the invoice. Mixed payments are prevented: once an on-chain payment is seen the BOLT11 is
withdrawn (``offer_open`` is False, and the node refuses it), so an invoice is paid either on-chain
or over Lightning, never partly by each.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.errors import ValidationError
from app.core.payments import LightningProof, Payment
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus, PaymentState

LIGHTNING = "lightning"
QR_FIRST_BELOW = "lightning_qr_below_sat"
MAX_CHANNEL_SAT = 16_777_215  # Electrum 4.3.4: no wumbo channels
MAX_BOLT11_CHARS = 2000
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_BOLT11 = re.compile(r"^ln(bc|tb|bcrt|tbs)[0-9a-z]+$")


@dataclass(frozen=True)
class StoreLightning:
    enabled: bool
    qr_first_below_sat: int  # the kiosk shows the Lightning QR first below this amount (0: never)


def store_lightning(store: Store) -> StoreLightning:
    checkout = store.checkout
    below = checkout.get(QR_FIRST_BELOW, 0)
    return StoreLightning(enabled=checkout.get(LIGHTNING) is True,
                          qr_first_below_sat=below if isinstance(below, int) and not isinstance(below, bool) else 0)


def clean_lightning_options(checkout: dict[str, Any]) -> dict[str, Any]:
    """Validate the store's Lightning options inside ``checkout`` (returns it; raises ValidationError)."""
    if LIGHTNING in checkout and not isinstance(checkout[LIGHTNING], bool):
        raise ValidationError("'lightning' must be true or false.", code="invalid_lightning", field=LIGHTNING)
    if QR_FIRST_BELOW in checkout:
        value = checkout[QR_FIRST_BELOW]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CHANNEL_SAT:
            raise ValidationError(f"The Lightning-first amount must be 0 to {MAX_CHANNEL_SAT:,} sat.",
                                  code="invalid_lightning_qr_below_sat", field=QR_FIRST_BELOW)
    return checkout


def offer_open(invoice: Invoice, now: datetime) -> bool:
    """Does the invoice still offer its BOLT11? Pending, before expiry, and nothing paid on-chain."""
    return (invoice.bolt11 is not None and invoice.status is InvoiceStatus.PENDING and now < invoice.expires_at
            and not any(p.lightning is None for p in invoice.payments))


def lightning_first(invoice: Invoice, store: Store, now: datetime) -> bool:
    """The kiosk's choice: show the Lightning QR first (small amounts, a BOLT11 on offer)."""
    options = store_lightning(store)
    return offer_open(invoice, now) and invoice.amount_due_sat < options.qr_first_below_sat


def paid_over_lightning(invoice: Invoice) -> bool:
    """Was the invoice paid (wholly, see the module doc) by a settled Lightning payment?"""
    return any(p.lightning is not None for p in invoice.payments)


def unified_uri(invoice: Invoice, now: datetime, label: str = "") -> str:
    """BIP21 with the BOLT11 as ``lightning=`` while it is on offer (one QR for both kinds of wallet)."""
    uri = invoice.payment_uri(label)
    if offer_open(invoice, now) and invoice.bolt11:
        uri += f"&lightning={invoice.bolt11.upper()}"
    return uri


def lightning_uri(bolt11: str) -> str:
    return f"lightning:{bolt11.upper()}"


def bolt11_expiry_s(created_at: datetime, expires_at: datetime) -> int:
    """The BOLT11 ``x`` field: whole seconds until the invoice expires (rounded down, at least 1)."""
    return max(1, int((expires_at - created_at).total_seconds()))


def check_bolt11(text: object) -> str:
    """A BOLT11 invoice as pasted (``lightning:`` prefix allowed), lower-cased; ValidationError otherwise."""
    if not isinstance(text, str) or len(text) > MAX_BOLT11_CHARS:
        raise ValidationError("Paste a Lightning invoice (lnbc…).", code="invalid_bolt11", field="bolt11")
    value = text.strip().lower().removeprefix("lightning:")
    if not _BOLT11.match(value):
        raise ValidationError("Paste a Lightning invoice (lnbc…).", code="invalid_bolt11", field="bolt11")
    return value


def lightning_payment(*, payment_hash: str, preimage: str, amount_msat: int, settled_at: datetime) -> Payment:
    """The Payment a settled Lightning payment is recorded as (final; see Payment)."""
    if not _HEX64.match(payment_hash) or not _HEX64.match(preimage):
        raise ValueError("payment hash and preimage must be 64 lower-case hex characters")
    if hashlib.sha256(bytes.fromhex(preimage)).hexdigest() != payment_hash:
        raise ValueError("the preimage does not hash to the payment hash")
    if isinstance(amount_msat, bool) or not isinstance(amount_msat, int) or amount_msat < 1000:
        raise ValueError(f"a Lightning payment is at least 1 sat, got {amount_msat!r} msat")
    return Payment(txid=payment_hash, vout=0, amount_sat=amount_msat // 1000, first_seen_at=settled_at, height=0,
                   confirmations=0, state=PaymentState.SETTLED, accounted=True, rbf=False, ever_confirmed=False,
                   lightning=LightningProof(payment_hash=payment_hash, preimage=preimage))
