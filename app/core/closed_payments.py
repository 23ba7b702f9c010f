"""Money sent to a closed invoice's address: what the closed-invoice history check found.

A closed invoice (no longer monitored: docs/engine.md "Closed invoices") keeps its status whatever
arrives later; what arrives is recorded beside it, one `ClosedPayment` per (invoice, txid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ClosedPaymentState(StrEnum):
    UNCONFIRMED = "unconfirmed"  # in the server's history, not (yet) proven mined
    CONFIRMED = "confirmed"  # mined, merkle proof checked against our headers
    GONE = "gone"  # no longer in the server's history (reorged out, dropped, replaced)


class FoundBy(StrEnum):
    PERIODIC = "periodic"
    ON_DEMAND = "on_demand"


@dataclass(frozen=True)
class ClosedPayment:
    invoice_id: str
    txid: str
    address: str
    amount_sat: int
    height: int  # > 0 only when verified
    verified: bool
    state: ClosedPaymentState
    found_by: FoundBy
    first_seen_at: datetime
    last_seen_at: datetime
    confirmed_at: datetime | None
    gone_at: datetime | None


def next_state(verified: bool) -> ClosedPaymentState:
    return ClosedPaymentState.CONFIRMED if verified else ClosedPaymentState.UNCONFIRMED
