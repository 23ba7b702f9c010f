"""A pure chain double and the reconcile loop the engine runs (merge -> evaluate -> diff), for scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.core.events import DomainEvent, diff_events
from app.core.invoices import InvoiceState, InvoiceTerms, evaluate, initial_state
from app.core.payments import ObservedOutput, Payment, merge_payments

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
EXPIRY = timedelta(minutes=15)
MONITORING = timedelta(hours=1)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def make_terms(due_sat: int = 100_000, *, policy: int = 1, tolerance: str = "0") -> InvoiceTerms:
    return InvoiceTerms.starting(
        due_sat, created_at=T0, expiry=EXPIRY, monitoring=MONITORING,
        speed_policy=policy, underpaid_tolerance_pct=Decimal(tolerance),
    )


@dataclass
class FakeAddress:
    """What an Electrum server would report for one invoice address."""

    tip: int = 100
    outputs: dict[str, ObservedOutput] = field(default_factory=dict)

    def pay(self, txid: str, amount_sat: int, *, rbf: bool = False, height: int = 0) -> None:
        self.outputs[txid] = ObservedOutput(txid, 0, amount_sat, height, rbf)

    def mine(self, *txids: str) -> None:
        """Include the transactions in a new block."""
        self.tip += 1
        for txid in txids:
            self.outputs[txid] = replace(self.outputs[txid], height=self.tip)

    def add_blocks(self, count: int = 1) -> None:
        self.tip += count

    def drop(self, txid: str) -> None:
        """Replaced, double-spent or reorged out: the server stops reporting it."""
        del self.outputs[txid]

    def unmine(self, txid: str) -> None:
        """A reorg put the transaction back into the mempool."""
        self.outputs[txid] = replace(self.outputs[txid], height=0)

    def observed(self) -> list[ObservedOutput]:
        return list(self.outputs.values())


@dataclass
class Engine:
    """The reconcile step, exactly as the service layer runs it."""

    terms: InvoiceTerms
    chain: FakeAddress = field(default_factory=FakeAddress)
    state: InvoiceState | None = None
    payments: tuple[Payment, ...] = ()
    events: list[DomainEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = self.state or initial_state(self.terms)

    def sync(self, at: datetime) -> list[DomainEvent]:
        assert self.state is not None
        payments = merge_payments(self.payments, self.chain.observed(), tip_height=self.chain.tip, now=at)
        state = evaluate(self.terms, self.state, payments, now=at)
        new_events = diff_events("inv1", "store1", self.state, state, self.payments, payments)
        self.state, self.payments = state, payments
        self.events.extend(new_events)
        return new_events

    @property
    def status(self) -> tuple[str, str]:
        assert self.state is not None
        return (self.state.status.value, self.state.exception_status.value)

    def payment(self, txid: str) -> Payment:
        return next(p for p in self.payments if p.txid == txid)
