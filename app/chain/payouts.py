"""Payout transactions from hot (seed) wallets: build, sign, fee bump. Never broadcasts.

One transaction pays many outputs (a batch); the fee rate is what the caller chose (sat/vB,
Decimal); every input signals RBF (BIP125); change goes to a fresh change address of the wallet
(Electrum's deterministic chain 1, which a hot wallet keeps watching). The signed raw transaction and
its txid are returned WITHOUT broadcasting: the executor (app/services/refunds/executor.py) records
them first. ``hold`` tells the wallet about a recorded transaction (an Electrum *local* transaction),
so the next payout never picks the coins it spends.

Fee bump: Debian's Electrum 4.3.4 disables ``Abstract_Wallet.bump_fee``, so the replacement is built
here: same inputs, every payout output unchanged, the extra fee taken from the change output only,
re-signed. Refused (code ``cannot_bump``) without change, or when the change cannot pay it.
Runs on a worker thread (signing is CPU work); Electrum objects never leave app/chain.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from electrum.transaction import PartialTransaction, PartialTxInput, PartialTxOutput, Transaction
from electrum.util import InvalidPassword, NotEnoughFunds
from electrum.wallet import Abstract_Wallet

from app.chain.errors import WrongPassword
from app.core.errors import UserFacingError, ValidationError

logger = logging.getLogger(__name__)
MIN_RELAY_SAT_VB = Decimal(1)
MAX_FEE_RATE_SAT_VB = Decimal(5000)


class PayoutRefused(UserFacingError):
    """A payout transaction cannot be built, bumped or accepted; ``code`` says why:
    insufficient_funds, cannot_bump, cannot_sign, psbt_invalid, psbt_mismatch,
    psbt_incomplete."""

    code = "payout_refused"
    http_status = 409


@dataclass(frozen=True)
class TxInput:
    txid: str
    vout: int
    value_sat: int
    address: str

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True)
class BuiltTx:
    """A payout transaction. Hot: ``raw_tx`` signed (not broadcast). PSBT: ``psbt_base64`` unsigned,
    ``raw_tx`` None. ``outputs``: every output in order, change included (``change_address``)."""

    kind: Literal["hot", "psbt"]
    txid: str
    raw_tx: str | None
    psbt_base64: str | None
    fee_sat: int
    vsize: int
    fee_rate: Decimal  # fee_sat / vsize, sat/vB, 2 decimals
    inputs: tuple[TxInput, ...]
    outputs: tuple[tuple[str, int], ...]
    change_address: str | None
    change_sat: int


@dataclass(frozen=True)
class FinalTx:
    """A complete (signed) transaction ready to broadcast."""

    txid: str
    raw_tx: str
    fee_sat: int
    vsize: int


def check_fee_rate(fee_rate: Decimal) -> Decimal:
    if not MIN_RELAY_SAT_VB <= fee_rate <= MAX_FEE_RATE_SAT_VB:
        raise ValidationError(f"The fee rate must be between {MIN_RELAY_SAT_VB} and {MAX_FEE_RATE_SAT_VB} sat/vB.",
                              code="invalid_fee_rate", field="fee")
    return fee_rate


def fee_for(vsize: int | float | Decimal, fee_rate: Decimal) -> int:
    return int((Decimal(vsize) * fee_rate).to_integral_value(rounding=ROUND_CEILING))


def payout_outputs(outputs: Sequence[tuple[str, int]]) -> list[PartialTxOutput]:
    if not outputs:
        raise PayoutRefused("Nothing to pay.", code="insufficient_funds")
    return [PartialTxOutput.from_address_and_value(address, int(sat)) for address, sat in outputs]


def describe(tx: PartialTransaction, *, kind: Literal["hot", "psbt"], change_address: str | None) -> BuiltTx:
    """The plain record of ``tx`` (input values must be known)."""
    vsize = tx.estimated_size()
    fee = tx.get_fee()
    assert fee is not None  # every input's value is known: we built it
    outputs = tuple((str(o.address), int(o.value)) for o in tx.outputs())
    change_sat = sum(sat for address, sat in outputs if change_address and address == change_address)
    inputs = tuple(TxInput(txid=i.prevout.txid.hex(), vout=i.prevout.out_idx, value_sat=int(i.value_sats() or 0),
                           address=str(i.address)) for i in tx.inputs())
    complete = tx.is_complete()
    return BuiltTx(kind=kind, txid=str(tx.txid()), raw_tx=tx.serialize() if complete else None,
                   psbt_base64=None if complete else tx.serialize(), fee_sat=fee, vsize=vsize,
                   fee_rate=(Decimal(fee) / Decimal(vsize)).quantize(Decimal("0.01")), inputs=inputs,
                   outputs=outputs, change_address=change_address if change_sat else None, change_sat=change_sat)


def _hot_coins(wallet: Abstract_Wallet, exclude: Collection[str]) -> list[PartialTxInput]:
    """Spendable coins: confirmed, or change of our own transactions; never one in ``exclude``."""
    coins = wallet.get_spendable_coins(None, nonlocal_only=False)
    return [c for c in coins if c.prevout.to_str() not in exclude
            and ((c.block_height or 0) > 0 or wallet.is_change(c.address))]


def build_hot(wallet: Abstract_Wallet, outputs: Sequence[tuple[str, int]], fee_rate: Decimal, *,
              password: str | None, exclude: Collection[str] = (), locktime: int = 0) -> BuiltTx:
    """Build and sign one transaction paying ``outputs``; nothing is broadcast or stored."""
    if wallet.is_watching_only():
        raise PayoutRefused("This wallet is watch-only; export a PSBT to sign it elsewhere.", code="cannot_sign")
    fee_rate = check_fee_rate(fee_rate)
    coins = _hot_coins(wallet, exclude)
    try:
        tx = wallet.make_unsigned_transaction(coins=coins, outputs=payout_outputs(outputs),
                                              fee=lambda size: fee_for(size, fee_rate), rbf=True)
    except NotEnoughFunds:
        total = sum(sat for _a, sat in outputs)
        raise PayoutRefused(f"Not enough confirmed funds to pay {total} sat plus the fee.",
                            code="insufficient_funds") from None
    tx.locktime = locktime
    tx.set_rbf(True)
    change = next((o.address for o in tx.outputs() if wallet.is_change(o.address)), None)
    exact_fee(tx, fee_rate, change)
    _sign(wallet, tx, password)
    if not tx.is_complete():
        raise PayoutRefused("The wallet could not sign every input.", code="cannot_sign")
    return describe(tx, kind="hot", change_address=change)


def exact_fee(tx: PartialTransaction, fee_rate: Decimal, change_address: str | None) -> None:
    """Electrum's coin chooser over-estimates the size (~10 % for p2wpkh); give the excess back to the
    change so the fee is the rate chosen for the transaction's own (dummy-signature) size."""
    fee = tx.get_fee()
    target = fee_for(tx.estimated_size(), fee_rate)
    change = next((o for o in tx.outputs() if change_address and o.address == change_address), None)
    if change is not None and fee is not None and fee > target:
        change.value = int(change.value) + fee - target
        tx.invalidate_ser_cache()


def _sign(wallet: Abstract_Wallet, tx: PartialTransaction, password: str | None) -> None:
    try:
        wallet.sign_transaction(tx, password)
    except InvalidPassword:
        raise WrongPassword("The wallet password is wrong.") from None


def hold(wallet: Abstract_Wallet, raw_txs: Sequence[str]) -> None:
    """Make recorded payout transactions known to the wallet (local until the server lists them),
    so their coins are spent in Electrum's eyes. On Electrum's loop."""
    for raw in raw_txs:
        tx = Transaction(raw)
        if wallet.adb.get_transaction(tx.txid()) is None:
            wallet.adb.add_transaction(tx, allow_unrelated=True)


def bump_hot(wallet: Abstract_Wallet, raw_tx: str, fee_rate: Decimal, *, password: str | None,
             change_address: str | None) -> BuiltTx:
    """An RBF replacement of ``raw_tx``: same inputs and payout outputs, more fee from the change."""
    fee_rate = check_fee_rate(fee_rate)
    tx = PartialTransaction.from_tx(Transaction(raw_tx))
    tx.add_info_from_wallet(wallet)
    tx.remove_signatures()
    old_fee = tx.get_fee()
    if old_fee is None:
        raise PayoutRefused("The wallet does not know this transaction's coins.", code="cannot_bump")
    change_index = _change_output(wallet, tx, change_address)
    vsize = tx.estimated_size()
    # BIP125: the replacement pays more in total and at least the relay fee for its own size.
    new_fee = max(fee_for(vsize, fee_rate), old_fee + fee_for(vsize, MIN_RELAY_SAT_VB))
    extra = new_fee - old_fee
    outputs = tx.outputs()
    change_left = int(outputs[change_index].value) - extra
    if change_left < wallet.dust_threshold():
        raise PayoutRefused(f"The change ({outputs[change_index].value} sat) cannot pay {extra} sat more fee; "
                            "the payouts stay as they are.", code="cannot_bump")
    outputs[change_index].value = change_left
    bumped = PartialTransaction.from_io(tx.inputs(), outputs, locktime=tx.locktime, version=tx.version,
                                        BIP69_sort=False)
    bumped.set_rbf(True)
    bumped.add_info_from_wallet(wallet)
    _sign(wallet, bumped, password)
    if not bumped.is_complete():
        raise PayoutRefused("The wallet could not sign every input.", code="cannot_sign")
    return describe(bumped, kind="hot", change_address=str(outputs[change_index].address))


def _change_output(wallet: Abstract_Wallet, tx: PartialTransaction, change_address: str | None) -> int:
    for index, out in enumerate(tx.outputs()):
        if (change_address and out.address == change_address) or (not change_address and wallet.is_change(out.address)):
            return index
    raise PayoutRefused("This transaction has no change output to take a higher fee from.", code="cannot_bump")


def _parse_any(raw_or_psbt: str) -> Transaction:
    from electrum.transaction import tx_from_any

    return tx_from_any(raw_or_psbt)


def outpoints_spent(raw_or_psbt: str) -> list[str]:
    """The "txid:vout" a raw transaction or a PSBT spends (pure)."""
    if not raw_or_psbt:
        return []
    return [txin.prevout.to_str() for txin in _parse_any(raw_or_psbt).inputs()]


def tx_outputs(raw_or_psbt: str) -> list[tuple[str, int]]:
    """(address, sat) of every output, in order (pure)."""
    return [(str(o.address), int(o.value)) for o in _parse_any(raw_or_psbt).outputs()]
