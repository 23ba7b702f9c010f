"""PayoutExecutor: builds, signs (hot) or exports/imports (PSBT), records and broadcasts payout transactions.

The rule that makes a payout "never paid twice": a signed transaction's raw bytes and txid are written to
``payout_txs`` (and its payouts moved to in_progress) in ONE writer transaction BEFORE it is broadcast;
then it is broadcast; then it is marked broadcast. After a crash at any point ``recover`` (app start) finds
every recorded, unconfirmed transaction on the chain or rebroadcasts the very same raw transaction; a
payout with a recorded signed transaction never gets a second, different one (only an RBF bump of the same
inputs, so at most one version can confirm). A crash before the record leaves nothing behind: that
transaction never left the process. Confirmations: ``payout_watch.PayoutWatch``. See docs/refunds.md.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain.errors import BroadcastFailed, NotConnected
from app.chain.keys import WalletDescriptor, derive_address
from app.chain.payouts import BuiltTx, PayoutRefused, outpoints_spent
from app.core.errors import Conflict, NotFound, ValidationError
from app.core.events import DomainEvent, PayoutBroadcast
from app.core.ids import new_id
from app.core.payouts import (
    MAX_PAYOUTS_PER_CALL,
    SETTLED_CONFIRMATIONS,
    FeeChoice,
    FeeOptions,
    PayoutPlan,
    PayoutStatus,
    PayoutTx,
    PayoutTxKind,
    PayoutTxStatus,
    PlannedInput,
    PsbtExport,
    check_payout_transition,
)
from app.db.models import (
    AddressRow,
    ClosedInvoicePaymentRow,
    InvoiceRow,
    PaymentRow,
    PayoutRow,
    PayoutTxRow,
    WalletRow,
)
from app.secrets import SecretStore
from app.services.events import add_events
from app.services.ports import ChainPort
from app.services.refunds.mapping import to_payout_tx
from app.services.refunds.payout_watch import IN_FLIGHT, PayoutWatch, Sweep
from app.services.refunds.payouts import invoice_of
from app.services.wallets.wallets import password_secret
from app.services.writer import Writer

logger = logging.getLogger(__name__)
Checkpoint = Callable[[str], None]  # tests: called after each step ("built", "recorded", "broadcast")


def _no_checkpoint(step: str) -> None:
    return None


def to_plan(wallet_id: str, built: BuiltTx, sat_per_vb: Decimal) -> PayoutPlan:
    return PayoutPlan(wallet_id=wallet_id, inputs=tuple(PlannedInput(i.txid, i.vout, i.value_sat, i.address)
                                                        for i in built.inputs),
                      outputs=tuple(built.outputs), change_address=built.change_address, change_sat=built.change_sat,
                      fee_sat=built.fee_sat, vsize=built.vsize, fee_rate=built.fee_rate, sat_per_vb=sat_per_vb)


class PayoutExecutor:
    def __init__(self, writer: Writer, chain: ChainPort | None, secrets: SecretStore, *, network: str,
                 on_confirmed: Callable[[str, int], Awaitable[None]], checkpoint: Checkpoint = _no_checkpoint,
                 settled_confirmations: int = SETTLED_CONFIRMATIONS, sweep: Sweep | None = None) -> None:
        """``on_confirmed``: called once a version is mined ``settled_confirmations`` deep (final);
        ``sweep``: run on every pass of the watch (RefundService.expire_due)."""
        self._writer = writer
        self._chain = chain
        self._secrets = secrets
        self._network = network
        self._checkpoint = checkpoint
        self.watch = PayoutWatch(writer, chain, on_confirmed=on_confirmed, mark_broadcast=self._mark_broadcast,
                                 settled_confirmations=settled_confirmations, sweep=sweep)

    def tip_height(self) -> int | None:
        """Our header chain's tip (a payout's confirmations count from it); None without a chain."""
        return self._chain.state().tip_height if self._chain is not None else None

    async def start(self) -> None:
        await self.watch.start()

    async def stop(self) -> None:
        await self.watch.stop()

    async def recover(self) -> None:
        """Recorded-but-unconfirmed transactions: found on the chain, or the same raw rebroadcast."""
        await self.watch.check(hold=True)

    # -- fees ------------------------------------------------------------------------------------
    async def fee_options(self, wallet_id: str) -> FeeOptions:
        estimates = await self._require_chain().fee_estimates() if self._chain is not None else {}

        def rate(blocks: int) -> Decimal | None:
            usable = sorted(t for t in estimates if t <= blocks) or sorted(estimates)[:1]
            if not usable:
                return None
            sat_vb = Decimal(estimates[usable[-1]]) / 1000
            return max(Decimal(1), sat_vb.quantize(Decimal("0.1")))

        return FeeOptions(next_block=rate(1), hour=rate(6), day=rate(144))

    async def _fee_rate(self, wallet_id: str, fee: FeeChoice) -> Decimal:
        if fee.target == "custom":
            if fee.sat_per_vb is None:
                raise ValidationError("Give a fee rate in sat/vB.", code="invalid_fee_rate", field="fee")
            return Decimal(fee.sat_per_vb)
        options = await self.fee_options(wallet_id)
        chosen = {"next_block": options.next_block, "hour": options.hour, "day": options.day}.get(fee.target)
        if chosen is None:
            raise Conflict("The server has not given fee estimates yet; choose a custom fee rate.",
                           code="fee_estimates_unavailable", field="fee")
        return chosen

    # -- coin control ----------------------------------------------------------------------------
    async def plan(self, payout_ids: Sequence[str], fee: FeeChoice) -> PayoutPlan:
        """What paying these approved payouts would spend and pay (inputs, outputs, change, fee), built the
        same way as pay_hot / export_psbt but neither recorded nor broadcast (the window's coin control)."""
        chain = self._require_chain()
        wallet, rows = await self._approved(payout_ids)
        rate = await self._fee_rate(wallet.id, fee)
        outputs = [(r.destination, r.amount_sat) for r in rows]
        exclude = await self._in_flight_outpoints(wallet.id)
        if wallet.kind == "seed":
            password = self._secrets.get(password_secret(wallet.id))
            await chain.hold(wallet.id, await self._in_flight_raw(wallet.id))  # as pay_hot does before building
            built = await chain.build_payout(wallet.id, outputs, rate, password=password.reveal() if password else None,
                                             exclude=exclude)
        else:
            coins, change_index = await self._coins(self._descriptor(wallet), wallet.id)
            built = await chain.build_payout(wallet.id, outputs, rate, coins=coins, change_index=change_index,
                                             exclude=exclude)
        return to_plan(wallet.id, built, rate)

    # -- hot wallets -----------------------------------------------------------------------------
    async def pay_hot(self, payout_ids: Sequence[str], fee: FeeChoice, *,
                      inputs: Sequence[str] | None = None) -> PayoutTx:
        """Build and sign one transaction for these approved payouts, record it, broadcast it. With
        ``inputs`` (the outpoints of the plan the merchant confirmed), anything else is refused unrecorded."""
        chain = self._require_chain()
        wallet, rows = await self._approved(payout_ids)
        if wallet.kind != "seed":
            raise Conflict("This wallet is watch-only: export a PSBT and sign it on the device holding the keys.",
                           code="watch_only_wallet", field="wallet_id")
        rate = await self._fee_rate(wallet.id, fee)
        password = self._secrets.get(password_secret(wallet.id))
        await chain.hold(wallet.id, await self._in_flight_raw(wallet.id))
        built = await chain.build_payout(wallet.id, [(r.destination, r.amount_sat) for r in rows], rate,
                                         password=password.reveal() if password else None,
                                         exclude=await self._in_flight_outpoints(wallet.id))
        if inputs is not None and sorted(i.outpoint for i in built.inputs) != sorted(inputs):
            raise Conflict("The wallet's coins changed since this transaction was shown; review it again.",
                           code="plan_changed", field="fee")
        self._checkpoint("built")
        tx_id = await self._record(wallet.id, [r.id for r in rows], built, status=PayoutTxStatus.SIGNED)
        self._checkpoint("recorded")
        return await self._broadcast(tx_id)

    async def bump_fee(self, payout_tx_id: str, fee: FeeChoice) -> PayoutTx:
        """RBF: a new version with every payout output unchanged and more fee from the change."""
        chain = self._require_chain()
        async with self._writer.read() as session:
            old = await self._tx_row(session, payout_tx_id)
            paying = (await session.scalars(select(PayoutRow.id).where(PayoutRow.payout_tx_id == old.id))).all()
        if old.kind != PayoutTxKind.HOT or old.raw_tx is None:
            raise Conflict("Only a hot wallet's transaction can be bumped here.", code="cannot_bump", field="fee")
        if old.status not in (PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST) or not paying:
            raise Conflict("This transaction is confirmed, replaced or failed; there is nothing to bump.",
                           code="cannot_bump", field="fee")
        if old.height > 0:
            raise Conflict("This transaction is already mined (waiting for its last confirmations); there is "
                           "nothing to bump.", code="cannot_bump", field="fee")
        rate = await self._fee_rate(old.wallet_id, fee)
        password = self._secrets.get(password_secret(old.wallet_id))
        built = await chain.bump_fee(old.wallet_id, old.raw_tx, rate, password=password.reveal() if password else None,
                                     change_address=old.change_address)
        self._checkpoint("built")
        tx_id = await self._record(old.wallet_id, list(paying), built, status=PayoutTxStatus.SIGNED, replaces=old.id)
        self._checkpoint("recorded")
        return await self._broadcast(tx_id)

    # -- watch-only wallets (PSBT) ---------------------------------------------------------------
    async def export_psbt(self, payout_ids: Sequence[str], fee: FeeChoice) -> PsbtExport:
        """An unsigned PSBT for these approved payouts; they are in_progress until it comes back signed."""
        chain = self._require_chain()
        wallet, rows = await self._approved(payout_ids)
        if wallet.kind == "seed":
            raise Conflict("This is a hot wallet: pay directly, no PSBT needed.", code="hot_wallet", field="wallet_id")
        coins, change_index = await self._coins(self._descriptor(wallet), wallet.id)
        rate = await self._fee_rate(wallet.id, fee)
        outputs = [(r.destination, r.amount_sat) for r in rows]
        built = await chain.build_payout(wallet.id, outputs, rate, coins=coins, change_index=change_index,
                                         exclude=await self._in_flight_outpoints(wallet.id))
        tx_id = await self._record(wallet.id, [r.id for r in rows], built, status=PayoutTxStatus.BUILT)
        assert built.psbt_base64 is not None
        return PsbtExport(payout_tx_id=tx_id, psbt_base64=built.psbt_base64, filename=f"redwaves-{tx_id}.psbt",
                          fee_sat=built.fee_sat, outputs=tuple(outputs))

    async def import_psbt(self, payout_tx_id: str, signed: str | bytes) -> PayoutTx:
        """Verify the signed PSBT pays exactly the approved payouts and our change; record, then broadcast."""
        chain = self._require_chain()
        async with self._writer.read() as session:
            row = await self._tx_row(session, payout_tx_id)
            payouts = (await session.scalars(select(PayoutRow).where(PayoutRow.payout_tx_id == row.id))).all()
        if row.kind != PayoutTxKind.PSBT or row.psbt is None:
            raise Conflict("This transaction was not exported as a PSBT.", code="psbt_mismatch", field="psbt")
        if row.status == PayoutTxStatus.SIGNED and row.raw_tx is not None:
            return await self._broadcast(row.id)  # imported before; send the recorded one again
        if row.status != PayoutTxStatus.BUILT or not payouts:
            raise Conflict("This PSBT was already imported and broadcast, or abandoned.", code="invalid_transition",
                           field="psbt")
        expected = [(p.destination, p.amount_sat) for p in payouts]
        final = await chain.finalize_psbt(row.wallet_id, row.psbt, signed, expected, row.change_address)
        async with self._writer.transaction() as session:
            current = await self._tx_row(session, payout_tx_id)
            if current.status != PayoutTxStatus.BUILT:
                raise Conflict("This PSBT was imported meanwhile.", code="invalid_transition", field="psbt")
            current.status, current.raw_tx, current.txid = str(PayoutTxStatus.SIGNED), final.raw_tx, final.txid
            current.fee_sat = final.fee_sat
        self._checkpoint("recorded")
        return await self._broadcast(payout_tx_id)

    # -- recording and broadcasting ---------------------------------------------------------------
    async def _record(self, wallet_id: str, payout_ids: list[str], built: BuiltTx, *, status: PayoutTxStatus,
                      replaces: str | None = None) -> str:
        """One transaction: the payout_tx row (raw + txid for a signed one) and the payouts pointing to it."""
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            rows = (await session.scalars(select(PayoutRow).where(PayoutRow.id.in_(payout_ids)))).all()
            for row in rows:
                if replaces is None:
                    if row.payout_tx_id is not None or row.status != PayoutStatus.APPROVED:
                        raise Conflict(f"Payout {row.id} is being paid already.", code="payout_not_approved",
                                       field="payout_ids")
                    check_payout_transition(PayoutStatus(row.status), PayoutStatus.IN_PROGRESS)
                elif row.payout_tx_id != replaces:
                    raise Conflict("This transaction was replaced meanwhile.", code="cannot_bump", field="fee")
            tx = PayoutTxRow(id=new_id("ptx"), wallet_id=wallet_id, kind=str(PayoutTxKind(built.kind)), status=str(status),
                             psbt=built.psbt_base64, raw_tx=built.raw_tx, txid=built.txid, fee_sat=built.fee_sat,
                             fee_rate=built.fee_rate, replaces_id=replaces, change_address=built.change_address,
                             created_at=now, broadcast_at=None, confirmed_at=None, height=0)
            session.add(tx)
            await session.flush()
            for row in rows:
                row.payout_tx_id = tx.id
                if replaces is None:
                    row.status = str(PayoutStatus.IN_PROGRESS)
            return tx.id

    async def _broadcast(self, payout_tx_id: str) -> PayoutTx:
        """Send the recorded raw transaction. A refusal or an outage leaves it recorded (signed): the watch
        sends it again; the error is kept on its payouts for the merchant to see."""
        chain = self._require_chain()
        async with self._writer.read() as session:
            row = await self._tx_row(session, payout_tx_id)
        assert row.raw_tx is not None
        await chain.hold(row.wallet_id, [row.raw_tx])
        try:
            await chain.broadcast(row.raw_tx)
        except (BroadcastFailed, NotConnected) as exc:
            logger.warning("payout tx %s not broadcast now (%s); kept recorded, sent again later", row.id, exc.code)
            await self._note_error(row.id, str(exc))
            raise
        self._checkpoint("broadcast")
        return await self._mark_broadcast(row.id)

    async def _mark_broadcast(self, payout_tx_id: str) -> PayoutTx:
        now = datetime.now(UTC)
        async with self._writer.transaction() as session:
            row = await self._tx_row(session, payout_tx_id)
            if row.status == PayoutTxStatus.SIGNED:
                row.status, row.broadcast_at = str(PayoutTxStatus.BROADCAST), now
                if row.replaces_id is not None:
                    older = await session.get(PayoutTxRow, row.replaces_id)
                    if older is not None and older.status in (PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST):
                        older.status = str(PayoutTxStatus.REPLACED)  # still watched until one version confirms
            events: list[DomainEvent] = []
            for payout in (await session.scalars(select(PayoutRow).where(PayoutRow.payout_tx_id == row.id))).all():
                payout.error = None
                if payout.status == PayoutStatus.IN_PROGRESS:
                    payout.status = str(PayoutStatus.BROADCAST)
                    events.append(PayoutBroadcast(await invoice_of(session, payout.refund_id), payout.store_id,
                                                  payout_id=payout.id, amount_sat=payout.amount_sat,
                                                  refund_id=payout.refund_id, payout_tx_id=row.id,
                                                  txid=row.txid or ""))
            await add_events(session, events, now=now)
            return to_payout_tx(row)

    async def _note_error(self, payout_tx_id: str, message: str) -> None:
        async with self._writer.transaction() as session:
            for payout in (await session.scalars(select(PayoutRow).where(PayoutRow.payout_tx_id == payout_tx_id))).all():
                payout.error = message[:500]

    # -- reading ---------------------------------------------------------------------------------
    async def _approved(self, payout_ids: Sequence[str]) -> tuple[WalletRow, list[PayoutRow]]:
        ids = list(dict.fromkeys(payout_ids))
        if not 1 <= len(ids) <= MAX_PAYOUTS_PER_CALL:
            raise ValidationError(f"Pay from 1 to {MAX_PAYOUTS_PER_CALL} payouts at once.", code="invalid_count",
                                  field="payout_ids")
        async with self._writer.read() as session:
            found = {r.id: r for r in (await session.scalars(select(PayoutRow).where(PayoutRow.id.in_(ids)))).all()}
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"Payout {missing[0]} not found.", code="payout_not_found")
            rows = [found[i] for i in ids]
            for row in rows:
                if row.status != PayoutStatus.APPROVED or row.payout_tx_id is not None:
                    raise Conflict(f"Payout {row.id} is {row.status.replace('_', ' ')}; only approved payouts are paid.",
                                   code="payout_not_approved", field="payout_ids")
            if len({r.wallet_id for r in rows}) != 1:
                raise ValidationError("One transaction pays from one wallet; choose payouts of the same wallet.",
                                      code="mixed_wallets", field="payout_ids")
            wallet = await session.get(WalletRow, rows[0].wallet_id)
            assert wallet is not None
            return wallet, rows

    @staticmethod
    async def _tx_row(session: AsyncSession, payout_tx_id: str) -> PayoutTxRow:
        row = await session.get(PayoutTxRow, payout_tx_id)
        if row is None:
            raise NotFound(f"Payout transaction {payout_tx_id} not found.", code="payout_tx_not_found")
        return row

    async def _in_flight(self, wallet_id: str) -> list[PayoutTxRow]:
        async with self._writer.read() as session:
            return list((await session.scalars(select(PayoutTxRow).where(
                PayoutTxRow.wallet_id == wallet_id, PayoutTxRow.status.in_([*IN_FLIGHT, PayoutTxStatus.BUILT])))).all())

    async def _in_flight_raw(self, wallet_id: str) -> list[str]:
        return [r.raw_tx for r in await self._in_flight(wallet_id) if r.raw_tx]

    async def _in_flight_outpoints(self, wallet_id: str) -> list[str]:
        return [o for r in await self._in_flight(wallet_id) for o in outpoints_spent(r.raw_tx or r.psbt or "")]

    async def _coins(self, desc: WalletDescriptor, wallet_id: str) -> tuple[dict[str, tuple[bool, int]], int]:
        """Addresses that may hold this wallet's coins (invoices that were paid, change of payout txs) and the
        next unused change index."""
        async with self._writer.read() as session:
            paid = select(PaymentRow.invoice_id).union(select(ClosedInvoicePaymentRow.invoice_id))
            found = (await session.execute(
                select(AddressRow.address, AddressRow.derivation_index)
                .join(InvoiceRow, InvoiceRow.address == AddressRow.address)
                .where(AddressRow.wallet_id == wallet_id, InvoiceRow.id.in_(paid)))).all()
            changes = set((await session.scalars(select(PayoutTxRow.change_address).where(
                PayoutTxRow.wallet_id == wallet_id, PayoutTxRow.change_address.is_not(None)))).all())
        coins: dict[str, tuple[bool, int]] = {address: (False, index) for address, index in found}
        index = 0
        while True:  # change indexes are handed out in order, one per exported PSBT
            address = derive_address(desc, index, change=True)
            if address not in changes:
                return coins, index
            coins[address] = (True, index)
            index += 1

    def _descriptor(self, wallet: WalletRow) -> WalletDescriptor:
        return WalletDescriptor(network=self._network, kind="multisig" if wallet.kind == "multisig" else "xpub",
                                keys=tuple(wallet.public_keys), threshold=wallet.threshold,
                                script_type=wallet.script_type)

    def _require_chain(self) -> ChainPort:
        if self._chain is None:
            raise Conflict("The chain is not running.", code="chain_unavailable")
        return self._chain


__all__ = ["PayoutExecutor", "PayoutRefused"]
