"""What Electrum watches for a watch-only wallet: the addresses RedWaves still monitors, no more.

A watch-only RedWaves wallet is an Electrum *imported-address* wallet (no keys): RedWaves derives
every receive address itself (``derivation.py``, checked here against Electrum's own derivation),
imports an address when it may soon be paid (an open invoice, the look-ahead) and removes it when
the invoice's monitoring ends. Start-up therefore subscribes the monitored set, whatever the shop's
history. A removed address loses its cached history here only: the payments RedWaves recorded stay
in SQLite, and ``address_view`` reports an address that is not watched as incomplete, which the
engine never reconciles (it is not "no payments").

Electrum 4.3.4 cannot unsubscribe an address from the server before the next start
(``SynchronizerBase`` has no removal); ``tracking.py`` drops any history the server still pushes for
an address that left, so it is not re-added to the wallet.
Everything here runs on Electrum's loop thread, except ``electrum_address`` (pure).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from electrum import bitcoin, keystore
from electrum.transaction import multisig_script
from electrum.wallet import Abstract_Wallet

from app.chain.keys import WalletDescriptor
from app.chain.wallets import IMPORTED, WATCH_CHUNK, subscribe


def is_imported(wallet: Abstract_Wallet) -> bool:
    return bool(wallet.wallet_type == IMPORTED)


def electrum_address(desc: WalletDescriptor, index: int) -> str:
    """Receive address ``index`` as Electrum's own deterministic wallets derive it (~1 ms)."""
    pubkeys = [keystore.from_xpub(key).derive_pubkey(0, index).hex() for key in desc.watch_keys]
    if desc.kind == "multisig":
        script = multisig_script(sorted(pubkeys), desc.threshold or 1)
        return str(bitcoin.redeem_script_to_address(desc.script_type, script))
    return str(bitcoin.pubkey_to_address(desc.script_type, pubkeys[0]))


def watched(wallet: Abstract_Wallet) -> set[str]:
    return set(wallet.db.get_imported_addresses())


async def import_addresses(wallet: Abstract_Wallet, addresses: Sequence[str]) -> int:
    """Add (and subscribe) the addresses not watched yet, in chunks, yielding between them."""
    added = 0
    for start in range(0, len(addresses), WATCH_CHUNK):
        fresh: list[str] = []
        with wallet.lock:
            for address in addresses[start:start + WATCH_CHUNK]:
                if not wallet.db.has_imported_address(address):
                    wallet.db.add_imported_address(address, {})
                    fresh.append(address)
        await subscribe(wallet, fresh)
        added += len(fresh)
        await asyncio.sleep(0)
    return added


def remove_addresses(wallet: Abstract_Wallet, addresses: Collection[str]) -> int:
    """Stop watching: forget the addresses' cached history and the transactions only they referred to
    (Electrum's ``Imported_Wallet.delete_address``, done for a batch in one pass over the history)."""
    adb = wallet.adb
    with wallet.lock, adb.lock:
        gone = {a for a in addresses if wallet.db.has_imported_address(a)}
        if not gone:
            return 0
        dropped: set[str] = set()
        kept: set[str] = set()
        for address in wallet.db.get_history():
            target = dropped if address in gone else kept
            target.update(txid for txid, _height in adb.get_address_history(address))
        for address in gone:
            wallet.db.remove_addr_history(address)
            wallet.db.remove_imported_address(address)
        for txid in dropped - kept:
            adb._remove_transaction(txid)
    wallet.save_db()  # throttled (wallets.throttle_saves)
    return len(gone)
