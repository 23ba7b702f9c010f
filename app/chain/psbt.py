"""Watch-only payouts: an unsigned PSBT (BIP174) to sign elsewhere, and the strict check of what comes back.

The PSBT is built from the wallet's DESCRIPTOR (``WalletDescriptor``: the xpub, or the cosigners'
xpubs and threshold), never from the Electrum wallet file, which is an imported-address wallet without
keys (docs/chain.md "What Electrum watches"). A throw-away in-memory Electrum deterministic watch-only
wallet holds those keystores; the coins' derivations are given to it as Electrum's own "ephemeral"
address indexes, so nothing is derived for the shop's whole history. Each input carries its full
previous transaction and (segwit) its witness UTXO, its public keys with BIP32 derivations (the
account key's fingerprint and ``m/<change>/<index>`` below it, which Electrum, Sparrow and the
hardware wallets' "xpub fingerprint" matching accept), and redeem/witness scripts; the change output
carries its derivation too, so a signer shows it as change.

``finalize_psbt`` accepts a signed PSBT (base64 text or file bytes) or a signed raw transaction (hex)
only if it spends exactly the exported inputs and pays exactly the approved outputs plus our change:
anything else is refused with code ``psbt_mismatch`` (and a sentence saying what differs), a PSBT
still missing signatures with ``psbt_incomplete``. Nothing is stored here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal

from electrum import keystore
from electrum.simple_config import SimpleConfig
from electrum.transaction import (
    PartialTransaction,
    PartialTxInput,
    Transaction,
    TxOutpoint,
    tx_from_any,
)
from electrum.util import NotEnoughFunds
from electrum.wallet import Abstract_Wallet, Wallet
from electrum.wallet_db import WalletDB

from app.chain.keys import WalletDescriptor, derive_address
from app.chain.payouts import (
    BuiltTx,
    FinalTx,
    PayoutRefused,
    check_fee_rate,
    describe,
    exact_fee,
    fee_for,
    payout_outputs,
)
from app.chain.unspent import Utxo

logger = logging.getLogger(__name__)
RBF_SEQUENCE = 0xFFFFFFFD


def keyed_wallet(desc: WalletDescriptor, config: SimpleConfig) -> Abstract_Wallet:
    """An in-memory (no file, no network) Electrum watch-only wallet with the descriptor's keystores.
    Call ``wallet.unregister_callbacks()`` when done."""
    if desc.kind == "seed":
        raise PayoutRefused("A hot wallet signs itself; a PSBT is for watch-only wallets.", code="cannot_sign")
    db = WalletDB("", manual_upgrades=False)
    if desc.kind == "xpub":
        db.put("wallet_type", "standard")
        db.put("keystore", keystore.from_master_key(desc.watch_keys[0]).dump())
    else:
        db.put("wallet_type", f"{desc.threshold}of{len(desc.watch_keys)}")
        for number, key in enumerate(desc.watch_keys, start=1):
            db.put(f"x{number}/", keystore.from_master_key(key).dump())
    db.put("gap_limit", 1)
    return Wallet(db, None, config=config)


def _txin(coin: Utxo, parent: Transaction) -> PartialTxInput:
    txin = PartialTxInput(prevout=TxOutpoint(txid=bytes.fromhex(coin.txid), out_idx=coin.vout), nsequence=RBF_SEQUENCE)
    txin.utxo = parent  # the full previous tx (BIP174 non-witness UTXO); Electrum adds the witness UTXO
    txin.block_height = coin.height
    return txin


def build_psbt(desc: WalletDescriptor, config: SimpleConfig, coins: Sequence[Utxo],
               parents: Mapping[str, Transaction], outputs: Sequence[tuple[str, int]], fee_rate: Decimal, *,
               change_index: int, locktime: int = 0) -> BuiltTx:
    """An unsigned PSBT paying ``outputs`` from some of ``coins``, change to change index ``change_index``."""
    fee_rate = check_fee_rate(fee_rate)
    change_address = derive_address(desc, change_index, change=True)
    wallet = keyed_wallet(desc, config)
    try:
        known = wallet._ephemeral_addr_to_addr_index  # Electrum's own map for addresses beyond its gap limit
        for coin in coins:
            known[coin.address] = (int(coin.change), coin.index)
        known[change_address] = (1, change_index)
        for address, (change, index) in list(known.items()):
            if wallet.derive_address(change, index) != address:
                raise RuntimeError("address derivation differs from Electrum's; refusing to build a PSBT")
        txins = [_txin(coin, parents[coin.txid]) for coin in coins]
        try:
            tx = wallet.make_unsigned_transaction(coins=txins, outputs=payout_outputs(outputs),
                                                  fee=lambda size: fee_for(size, fee_rate),
                                                  change_addr=change_address, rbf=True)
        except NotEnoughFunds:
            total = sum(sat for _a, sat in outputs)
            raise PayoutRefused(f"Not enough funds to pay {total} sat plus the fee.",
                                code="insufficient_funds") from None
        tx.locktime = locktime
        tx.set_rbf(True)
        exact_fee(tx, fee_rate, change_address)
        if any(not txin.bip32_paths for txin in tx.inputs()):
            raise RuntimeError("an input has no key derivation; refusing to export the PSBT")
        return describe(tx, kind="psbt", change_address=change_address)
    finally:
        wallet.unregister_callbacks()


def _parse_signed(signed: str | bytes) -> Transaction:
    try:
        return tx_from_any(signed.strip() if isinstance(signed, str) else signed)
    except Exception:  # noqa: BLE001 - electrum's parsers raise many types
        raise PayoutRefused("This is not a PSBT or a bitcoin transaction.", code="psbt_invalid",
                            field="psbt") from None


def _mismatch(sentence: str) -> PayoutRefused:
    return PayoutRefused(sentence + " Nothing was broadcast.", code="psbt_mismatch", field="psbt")


def check_outputs(actual: Sequence[tuple[str, int]], expected: Sequence[tuple[str, int]],
                  change_address: str | None) -> None:
    """``actual`` must be ``expected`` (the approved payouts) plus at most one output to our change."""
    wanted = Counter(expected)
    others: list[tuple[str, int]] = []
    for output in actual:
        if wanted[output] > 0:
            wanted[output] -= 1
        else:
            others.append(output)
    missing = [o for o, n in wanted.items() for _ in range(n)]
    approved_addresses = {address for address, _sat in expected}
    for address, sat in others:
        if address in approved_addresses and address != change_address:
            amounts = ", ".join(str(s) for a, s in expected if a == address)
            raise _mismatch(f"It pays {sat} sat to {address}; the approved payout is {amounts} sat.")
    change = [o for o in others if change_address is not None and o[0] == change_address]
    foreign = [o for o in others if o not in change]
    if foreign:
        address, sat = foreign[0]
        raise _mismatch(f"It pays {sat} sat to {address}, which is neither an approved payout nor this "
                        "wallet's change address.")
    if len(change) > 1:
        raise _mismatch("It has more than one change output.")
    if missing:
        address, sat = missing[0]
        raise _mismatch(f"It does not pay the approved {sat} sat to {address}.")


def finalize_psbt(desc: WalletDescriptor, config: SimpleConfig, unsigned_b64: str, signed: str | bytes,
                  expected: Sequence[tuple[str, int]], change_address: str | None) -> FinalTx:
    """Check ``signed`` against what was exported and approved; finalize it to a raw transaction."""
    unsigned = tx_from_any(unsigned_b64)
    assert isinstance(unsigned, PartialTransaction)
    # A parsed PSBT has derivations but no script type / public key list: Electrum learns them back from
    # the derivations that match our keystores (what a cosigner's wallet does before signing).
    wallet = keyed_wallet(desc, config)
    try:
        unsigned.add_info_from_wallet(wallet)
    finally:
        wallet.unregister_callbacks()
    other = _parse_signed(signed)
    mine = [i.prevout.to_str() for i in unsigned.inputs()]
    theirs = [i.prevout.to_str() for i in other.inputs()]
    if sorted(theirs) != sorted(mine):
        raise _mismatch("It spends other coins than the exported PSBT (inputs added, removed or changed).")
    actual = [(str(o.address), int(o.value)) for o in other.outputs()]
    check_outputs(actual, expected, change_address)
    exported = [(str(o.address), int(o.value)) for o in unsigned.outputs()]
    if actual != exported or theirs != mine or other.txid() != unsigned.txid():
        raise _mismatch("Its inputs or outputs are not those of the exported PSBT (order, amounts, version "
                        "or lock time changed).")
    fee = unsigned.get_fee()
    assert fee is not None
    if isinstance(other, PartialTransaction):
        unsigned.combine_with_other_psbt(other)
        unsigned.finalize_psbt()
        if not unsigned.is_complete():
            unsigned_inputs = sum(1 for txin in unsigned.inputs() if not txin.is_complete())
            raise PayoutRefused(f"{unsigned_inputs} of {len(mine)} inputs are not signed yet; sign the PSBT "
                                "with every key needed and import it again.", code="psbt_incomplete", field="psbt")
        final: Transaction = unsigned
    else:
        if not other.is_complete():
            raise PayoutRefused("The transaction is not signed.", code="psbt_incomplete", field="psbt")
        final = other
    raw = final.serialize()
    return FinalTx(txid=str(final.txid()), raw_tx=raw, fee_sat=fee,
                   vsize=Transaction(raw).estimated_size())
