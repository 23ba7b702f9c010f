"""GUI fakes for refunds and payouts: the real rules (app/core/refunds.py, payouts.py, btc_address.py) over
in-memory records. mypy proves they satisfy app/ui/ports.py ``RefundsPort`` / ``PayoutsPort`` (``_conforms``)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.chain.models import ChainEvent, ChainState
from app.core.btc_address import validate_address
from app.core.errors import NotFound, ValidationError
from app.core.payouts import (
    FeeChoice,
    FeeOptions,
    Payout,
    PayoutPlan,
    PayoutStatus,
    PayoutTx,
    PayoutTxKind,
    PayoutTxStatus,
    PlannedInput,
    PsbtExport,
    check_payout_transition,
)
from app.core.records import Page, Store, Wallet
from app.core.refunds import (
    Refund,
    RefundCalculation,
    RefundRequest,
    RefundStatus,
    already_refunded,
    calculate_refund,
)
from app.core.staff import SYSTEM, Actor, actor_and_label
from app.ui.ports import (
    ChainView,
    InvoicesPort,
    PayoutServices,
    PayoutsPort,
    RefundsPort,
    StoreList,
    WalletList,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAKE_RATE = Decimal("50000")  # today's rate, as tests/ui/fakes.py FAKE_RATE
# a minimal valid-looking PSBT (magic + empty global map); the fakes never parse it
FAKE_PSBT = base64.b64encode(b"psbt\xff\x00").decode()


class FakeRefunds:
    def __init__(self, invoices: InvoicesPort, *, base_url: str = "http://127.0.0.1:8471",
                 current_rate: Decimal | None = FAKE_RATE) -> None:
        self.invoices = invoices
        self.base_url = base_url
        self.current_rate = current_rate
        self.items: dict[str, Refund] = {}
        self.previews: list[tuple[str, RefundRequest]] = []
        self.created: list[tuple[str, RefundRequest, str | None]] = []
        self.email_queued = True  # as RefundService: the store can send, so a buyer e-mail gets the link

    def _already(self, invoice_id: str) -> int:
        return already_refunded((r.status, r.gross_sat) for r in self.items.values() if r.invoice_id == invoice_id)

    async def preview(self, invoice_id: str, req: RefundRequest) -> RefundCalculation:
        self.previews.append((invoice_id, req))
        inv = await self.invoices.get(invoice_id)
        return calculate_refund(inv, req, current_rate=self.current_rate, current_rate_source="manual",
                                already_refunded_sat=self._already(invoice_id))

    async def create(self, invoice_id: str, req: RefundRequest, *, actor: Actor | str | None = SYSTEM) -> Refund:
        calc = await self.preview(invoice_id, req)
        inv = await self.invoices.get(invoice_id)
        label = actor_and_label(actor)[1]  # the label or the person's name, as RefundService keeps it
        self.created.append((invoice_id, req, label))
        n = len(self.items)
        refund = Refund(id=f"rf{n:020d}", invoice_id=invoice_id, store_id=inv.store_id, status=RefundStatus.OPEN,
                        variant=req.variant, gross_sat=calc.gross_sat, fee_sat=calc.fee_sat,
                        amount_sat=calc.amount_sat, fiat_amount=calc.fiat_amount, currency=calc.currency,
                        rate=calc.rate, rate_source=calc.rate_source, fee_pct=req.fee_pct,
                        fee_fixed_sat=req.fee_fixed_sat, already_refunded_sat=calc.already_refunded_sat,
                        refundable_sat=calc.refundable_sat, note=req.note, created_at=NOW + timedelta(minutes=n),
                        expires_at=NOW + timedelta(days=30), claimed_at=None, destination=None, payout_id=None,
                        created_by=label, emailed_to=inv.buyer_email if self.email_queued else None)
        self.items[refund.id] = refund
        return refund

    async def for_invoice(self, invoice_id: str) -> list[Refund]:
        return [r for r in self.items.values() if r.invoice_id == invoice_id]

    async def cancel(self, refund_id: str, *, actor: Actor = SYSTEM) -> Refund:
        refund = replace(self.items[refund_id], status=RefundStatus.CANCELLED)
        self.items[refund_id] = refund
        return refund

    def link(self, refund: Refund) -> str:
        return f"{self.base_url}/refund/{refund.id}"


class FakePayouts:
    """Payouts in memory with the real transition rules; every call is recorded in ``calls``."""

    def __init__(self, network: str = "regtest") -> None:
        self.network = network
        self.items: dict[str, Payout] = {}
        self.txs: dict[str, PayoutTx] = {}
        self.calls: list[tuple[str, object]] = []
        self.options = FeeOptions(next_block=Decimal("20"), hour=Decimal("8"), day=Decimal("2"))
        self.fail_next: Exception | None = None
        self.auto_approve_sat = 0
        # the wallet's coins plan() spends, in order, until the outputs and fee are covered
        self.coins: list[PlannedInput] = [PlannedInput(f"{0xc0 + i:064x}", i, 150_000, f"bcrt1qcoin{i}")
                                          for i in range(3)]

    def _fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def add(self, wallet_id: str, destination: str, amount_sat: int, status: PayoutStatus, *, label: str = "",
            tx_id: str | None = None, store_id: str = "sto_a") -> Payout:
        n = len(self.items)
        payout = Payout(id=f"po{n:04d}", store_id=store_id, wallet_id=wallet_id, refund_id=None,
                        destination=destination, amount_sat=amount_sat, label=label, status=status,
                        created_at=NOW + timedelta(minutes=n), approved_at=None, payout_tx_id=tx_id, error=None,
                        created_by=None)
        self.items[payout.id] = payout
        return payout

    def _set(self, payout_id: str, status: PayoutStatus, **kw: object) -> Payout:
        old = self.items[payout_id]
        check_payout_transition(old.status, status)
        payout = replace(old, status=status, **kw)  # type: ignore[arg-type]
        self.items[payout_id] = payout
        return payout

    async def create(self, store_id: str, wallet_id: str, destination: str, amount_sat: int, *, label: str = "",
                     refund_id: str | None = None, actor: Actor | str | None = SYSTEM) -> Payout:
        self.calls.append(("create", (store_id, wallet_id, destination, amount_sat, label, actor)))
        self._fail()
        address = validate_address(destination, self.network)
        status = PayoutStatus.APPROVED if 0 < amount_sat <= self.auto_approve_sat else PayoutStatus.AWAITING_APPROVAL
        return self.add(wallet_id, address, amount_sat, status, label=label, store_id=store_id)

    async def approve(self, payout_ids: Sequence[str], *, actor: Actor | str | None = SYSTEM) -> list[Payout]:
        self.calls.append(("approve", tuple(payout_ids)))
        self._fail()
        return [self._set(i, PayoutStatus.APPROVED) for i in payout_ids]

    async def cancel(self, payout_id: str, *, actor: Actor = SYSTEM) -> Payout:
        self.calls.append(("cancel", payout_id))
        self._fail()
        return self._set(payout_id, PayoutStatus.CANCELLED)

    async def get(self, payout_id: str) -> Payout:
        try:
            return self.items[payout_id]
        except KeyError:
            raise NotFound("Payout not found.") from None

    async def list(self, *, store_id: str | None = None, status: PayoutStatus | None = None, limit: int = 50,
                   offset: int = 0) -> Page:
        rows = sorted((p for p in self.items.values() if status in (None, p.status) and store_id in (None, p.store_id)),
                      key=lambda p: p.created_at, reverse=True)
        return Page(items=tuple(rows[offset:offset + limit]), total=len(rows), offset=offset, limit=limit)

    async def fee_options(self, wallet_id: str) -> FeeOptions:
        return self.options

    def _tx(self, payout_ids: Sequence[str], fee: FeeChoice, kind: PayoutTxKind, status: PayoutTxStatus,
            replaces: str | None = None) -> PayoutTx:
        rate = fee.sat_per_vb if fee.sat_per_vb is not None else {
            "next_block": self.options.next_block, "hour": self.options.hour, "day": self.options.day}[fee.target]
        assert rate is not None
        n = len(self.txs)
        tx = PayoutTx(id=f"ptx{n:03d}", wallet_id=self.items[payout_ids[0]].wallet_id, kind=kind, status=status,
                      psbt=FAKE_PSBT if kind is PayoutTxKind.PSBT else None, raw_tx=None, txid=f"{n + 1:064x}",
                      fee_sat=int(rate * 141), fee_rate=rate, replaces_id=replaces, change_address=None,
                      created_at=NOW, broadcast_at=None, confirmed_at=None, height=0)
        self.txs[tx.id] = tx
        return tx

    async def plan(self, payout_ids: Sequence[str], fee: FeeChoice) -> PayoutPlan:
        self.calls.append(("plan", (tuple(payout_ids), fee)))
        self._fail()
        rate = fee.sat_per_vb if fee.sat_per_vb is not None else {
            "next_block": self.options.next_block, "hour": self.options.hour, "day": self.options.day}[fee.target]
        assert rate is not None
        outputs = [(self.items[i].destination, self.items[i].amount_sat) for i in payout_ids]
        chosen: list[PlannedInput] = []
        for coin in self.coins:
            vsize = 11 + 68 * (len(chosen) + 1) + 31 * (len(outputs) + 1)
            chosen.append(coin)
            if sum(c.amount_sat for c in chosen) >= sum(a for _, a in outputs) + int(rate * vsize) + 546:
                break
        else:
            raise refusal("Not enough confirmed coins in this wallet.", "insufficient_funds", "fee")
        fee_sat = int(rate * vsize)
        change = sum(c.amount_sat for c in chosen) - sum(a for _, a in outputs) - fee_sat
        return PayoutPlan(wallet_id=self.items[payout_ids[0]].wallet_id, inputs=tuple(chosen),
                          outputs=(*outputs, ("bcrt1qchange", change)), change_address="bcrt1qchange",
                          change_sat=change, fee_sat=fee_sat, vsize=vsize, fee_rate=(Decimal(fee_sat) / vsize).quantize(
                              Decimal("0.01")), sat_per_vb=rate)

    async def pay_hot(self, payout_ids: Sequence[str], fee: FeeChoice, *,
                      inputs: Sequence[str] | None = None) -> PayoutTx:
        self.calls.append(("pay_hot", (tuple(payout_ids), fee, tuple(inputs) if inputs is not None else None)))
        self._fail()
        tx = self._tx(payout_ids, fee, PayoutTxKind.HOT, PayoutTxStatus.BROADCAST)
        for i in payout_ids:
            self._set(i, PayoutStatus.IN_PROGRESS, payout_tx_id=tx.id)
            self._set(i, PayoutStatus.BROADCAST)
        return tx

    async def export_psbt(self, payout_ids: Sequence[str], fee: FeeChoice) -> PsbtExport:
        self.calls.append(("export_psbt", (tuple(payout_ids), fee)))
        self._fail()
        tx = self._tx(payout_ids, fee, PayoutTxKind.PSBT, PayoutTxStatus.BUILT)
        for i in payout_ids:
            self._set(i, PayoutStatus.IN_PROGRESS, payout_tx_id=tx.id)
        outputs = tuple((self.items[i].destination, self.items[i].amount_sat) for i in payout_ids)
        return PsbtExport(payout_tx_id=tx.id, psbt_base64=FAKE_PSBT, filename=f"{tx.id}.psbt", fee_sat=tx.fee_sat,
                          outputs=outputs)

    async def import_psbt(self, payout_tx_id: str, signed: str | bytes) -> PayoutTx:
        self.calls.append(("import_psbt", (payout_tx_id, signed)))
        self._fail()
        tx = replace(self.txs[payout_tx_id], status=PayoutTxStatus.BROADCAST)
        self.txs[tx.id] = tx
        for p in list(self.items.values()):
            if p.payout_tx_id == payout_tx_id:
                self._set(p.id, PayoutStatus.BROADCAST)
        return tx

    async def bump_fee(self, payout_tx_id: str, fee: FeeChoice) -> PayoutTx:
        self.calls.append(("bump_fee", (payout_tx_id, fee)))
        self._fail()
        ids = [p.id for p in self.items.values() if p.payout_tx_id == payout_tx_id]
        tx = self._tx(ids, fee, PayoutTxKind.HOT, PayoutTxStatus.BROADCAST, replaces=payout_tx_id)
        for i in ids:
            self.items[i] = replace(self.items[i], payout_tx_id=tx.id)
        return tx


class FakeWallets:
    def __init__(self, *wallets: Wallet) -> None:
        self.items = list(wallets)

    async def list(self) -> list[Wallet]:
        return list(self.items)


class FakeStoreList:
    def __init__(self, *stores: Store) -> None:
        self.items = list(stores)

    async def list(self, *, include_archived: bool = False) -> list[Store]:
        return [s for s in self.items if include_archived or not s.archived]


def make_wallet(wallet_id: str, name: str, kind: str) -> Wallet:
    return Wallet(id=wallet_id, name=name, kind=kind, script_type="p2wpkh", fingerprint="0badf00d", key_hint="tpub",
                  next_index=3, gap_limit=20, threshold=None, created_at=NOW)


class FakeBalances:
    """``ChainView`` for the fee dialog: the balance of each wallet (confirmed, unconfirmed)."""

    def __init__(self, balances: dict[str, tuple[int, int]]) -> None:
        self.balances = balances

    def state(self) -> ChainState:
        return ChainState(connected=True, server="devnet", tip_height=101, synced=True, pending_requests=0,
                          error=None)

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        return lambda: None

    async def wallet_balance(self, wallet_id: str) -> tuple[int, int]:
        return self.balances.get(wallet_id, (0, 0))


class FakePayoutServices:
    """``PayoutServices``: the Payouts view's fakes."""

    def __init__(self, payouts: FakePayouts, wallets: FakeWallets, stores: FakeStoreList,
                 chain: FakeBalances | None = None) -> None:
        self.payouts = payouts
        self.wallets = wallets
        self.stores = stores
        self.chain = chain


def refusal(message: str, code: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, code=code, field=field)


def _conforms(refunds: FakeRefunds, payouts: FakePayouts, wallets: FakeWallets, stores: FakeStoreList) -> None:
    """Never called: mypy proves the fakes satisfy the Protocols the real services satisfy."""
    _r: RefundsPort = refunds
    _p: PayoutsPort = payouts
    _w: WalletList = wallets
    _s: StoreList = stores


def _conforms_view(services: FakePayoutServices, chain: FakeBalances) -> None:
    _v: PayoutServices = services
    _c: ChainView = chain
