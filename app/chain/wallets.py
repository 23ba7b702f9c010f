"""Electrum wallet files from descriptors, and the per-address view RedWaves reconciles on.

Electrum only WATCHES addresses here: RedWaves allocates receive indexes itself (SQLite) and
never uses Electrum's request store or its paid/unpaid logic.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from electrum import keystore
from electrum.bitcoin import address_to_scripthash
from electrum.simple_config import SimpleConfig
from electrum.storage import WalletStorage
from electrum.transaction import Transaction
from electrum.wallet import Abstract_Wallet, Wallet
from electrum.wallet_db import WalletDB

from app.chain.errors import WalletFileError, WalletMismatch
from app.chain.keys import WalletDescriptor
from app.chain.models import AddressView
from app.core.payments import ObservedOutput

logger = logging.getLogger(__name__)

_WALLET_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_SEED_TYPE = {"p2pkh": "standard", "p2wpkh": "segwit"}
IMPORTED = "imported"  # Electrum's wallet_type of an imported-address wallet


def wallet_path(wallets_dir: Path, wallet_id: str) -> Path:
    if not _WALLET_ID.match(wallet_id) or wallet_id.startswith("."):
        raise ValueError(f"wallet id must match {_WALLET_ID.pattern}: {wallet_id!r}")
    return wallets_dir / wallet_id


def _keystore(desc: WalletDescriptor) -> keystore.KeyStore:
    """The keystore of a hot (seed) wallet."""
    if desc.derivation is None:
        return keystore.from_seed(desc.keys[0], None)
    root = keystore.bip39_to_seed(desc.keys[0], "")
    xtype = keystore.xtype_from_derivation(desc.derivation)
    return keystore.from_bip43_rootseed(root, desc.derivation, xtype=xtype)


def create_wallet(path: Path, desc: WalletDescriptor, *, config: SimpleConfig | None, password: str | None,
                  gap_limit: int) -> Abstract_Wallet:
    """Write a new Electrum wallet file for ``desc``: an imported-address watch-only wallet for public
    keys (RedWaves adds and removes the addresses it monitors, see ``watch_set.py``), a deterministic
    one for a hot (seed) wallet, encrypted with ``password``."""
    if desc.kind != "seed":
        return _create_imported(path, desc, config=config)
    if not password:
        raise ValueError("a hot (seed) wallet needs a password to encrypt its file")
    storage = WalletStorage(str(path))
    if storage.file_exists():
        raise FileExistsError(path)
    db = WalletDB("", manual_upgrades=False)
    db.put("wallet_type", "standard")
    db.put("keystore", _keystore(desc).dump())
    if desc.derivation is None:
        db.put("seed_type", _SEED_TYPE[desc.script_type])
    db.put("gap_limit", gap_limit)
    db.put("redwaves_fingerprint", desc.fingerprint)
    wallet = Wallet(db, storage, config=config)
    wallet.update_password(old_pw=None, new_pw=password, encrypt_storage=True)  # encrypts keystore and file
    _write_now(db, storage)  # the seed exists nowhere else
    return wallet


def _write_now(db: WalletDB, storage: WalletStorage) -> None:
    """Write the file now, from any thread: ``WalletDB.write`` silently does nothing on a daemon
    thread, and the GUI's executor (qasync) runs its workers as daemon threads."""
    with db.lock:
        storage.write(db.dump(human_readable=not storage.is_encrypted()))
        db.set_modified(False)


def _create_imported(path: Path, desc: WalletDescriptor, *, config: SimpleConfig | None) -> Abstract_Wallet:
    """An empty imported-address watch-only wallet (no keys at all), written to ``path``.
    Written to a temporary name first and renamed over ``path`` (the migration replaces a file)."""
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    db = WalletDB("", manual_upgrades=False)
    db.put("wallet_type", IMPORTED)
    db.put("redwaves_fingerprint", desc.fingerprint)
    _write_now(db, WalletStorage(str(temporary)))
    os.replace(temporary, path)
    return load_wallet(path, desc, config=config, password=None)


def load_wallet(path: Path, desc: WalletDescriptor, *, config: SimpleConfig | None,
                password: str | None) -> Abstract_Wallet:
    """Open ``path``. A deterministic watch-only file of an older RedWaves (every address ever handed
    out, subscribed at every start) is replaced by an empty imported wallet: it is only a cache, the
    payments are in SQLite, and the engine imports the monitored addresses right after."""
    storage = WalletStorage(str(path))
    if storage.is_encrypted():
        if not password:
            raise WalletFileError(f"wallet file {path.name} is encrypted and no password was given")
        storage.decrypt(password)  # raises InvalidPassword
    db = WalletDB(storage.read(), manual_upgrades=False)
    if db.requires_split() or db.get_action():
        raise WalletFileError(f"wallet file {path.name} needs manual attention in Electrum")
    stored = db.get("redwaves_fingerprint")
    if stored is not None and stored != desc.fingerprint:
        raise WalletMismatch(f"wallet file {path.name} belongs to other keys "
                             f"({stored} != {desc.fingerprint})")
    if desc.kind != "seed" and db.get("wallet_type") != IMPORTED:
        return _migrate(path, db, desc, config=config)
    wallet = Wallet(db, storage, config=config)
    if stored is None and sorted(wallet.get_master_public_keys()) != sorted(desc.watch_keys):
        raise WalletMismatch(f"wallet file {path.name} belongs to other keys")
    return wallet


def _migrate(path: Path, db: WalletDB, desc: WalletDescriptor, *, config: SimpleConfig | None) -> Abstract_Wallet:
    stores = [db.get(name) for name in ("keystore", *(f"x{i}/" for i in range(1, 16))) if db.get(name)]
    xpubs = sorted(str(ks.get("xpub")) for ks in stores)
    if not stores or any(ks.get("xprv") or ks.get("seed") for ks in stores):
        raise WalletFileError(f"wallet file {path.name} is not a RedWaves watch-only wallet")
    if db.get("redwaves_fingerprint") is None and xpubs != sorted(desc.watch_keys):
        raise WalletMismatch(f"wallet file {path.name} belongs to other keys")
    receiving = len(db.get("addresses", {}).get("receiving", []))
    wallet = _create_imported(path, desc, config=config)
    logger.info("wallet file %s: deterministic watch-only wallet (%d receive addresses) replaced by an "
                "imported-address wallet that watches monitored invoices only", path.name, receiving)
    return wallet


# -- saving --------------------------------------------------------------------------------------

SAVE_INTERVAL_S = 600.0


def throttle_saves(wallet: Abstract_Wallet, interval_s: float = SAVE_INTERVAL_S) -> None:
    """Coalesce Electrum's wallet-file writes to at most one per `interval_s`, plus one at stop.

    Electrum rewrites the whole wallet file every time the wallet becomes up to date, i.e. after
    every payment; with thousands of watched addresses that blocks Electrum's loop for hundreds of
    milliseconds per payment (bench P3), and the JSON dump holds the GIL, so the GUI thread stalls
    too (bench P7: 145-180 ms with 100,000 watched addresses). For RedWaves the file is only a cache:
    SQLite holds the record and the history is re-fetched from the server after a crash, so saving
    every ten minutes (and at stop) loses nothing.
    Saves run on Electrum's (non-daemon) loop thread, as Electrum requires.

    Not for a wallet with Lightning (docs/chain.md "Lightning"): its channel states, preimages and
    what RedWaves issued are not a cache (broadcasting an old channel state is punished), so every
    save writes at once; ``save_at_once`` ends the throttling when a wallet gains Lightning.
    """
    if wallet.has_lightning():
        return
    original_save, original_stop = wallet.save_db, wallet.stop
    state = _SaveState(last=time.monotonic())
    _THROTTLED[wallet] = state

    def save_now() -> None:
        state.timer = None
        state.last = time.monotonic()
        original_save()

    def save_db() -> None:
        elapsed = time.monotonic() - state.last
        if state.final or state.at_once or elapsed >= interval_s:
            save_now()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on Electrum's loop (e.g. a worker thread): save right away
            save_now()
            return
        if state.timer is None:
            state.timer = loop.call_later(interval_s - elapsed, save_now)

    async def stop() -> None:
        state.final = True
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        await original_stop()

    wallet.save_db = save_db
    wallet.stop = stop


def save_at_once(wallet: Abstract_Wallet) -> None:
    """From now on every Electrum ``save_db`` of this wallet writes at once (it gained Lightning);
    a pending throttled write happens now. On Electrum's loop thread."""
    state = _THROTTLED.get(wallet)
    if state is None:
        return
    state.at_once = True
    if state.timer is not None:
        state.timer.cancel()
        state.timer = None
    wallet.save_db()


@dataclass
class _SaveState:
    last: float  # time.monotonic() of the last write
    timer: asyncio.TimerHandle | None = None
    final: bool = False  # stop() began: every save writes now
    at_once: bool = False  # the wallet gained Lightning: every save writes now


_THROTTLED: weakref.WeakKeyDictionary[Abstract_Wallet, _SaveState] = weakref.WeakKeyDictionary()


# -- receive addresses ---------------------------------------------------------------------------

WATCH_CHUNK = 200


async def add_receive_addresses(wallet: Abstract_Wallet, start: int, addresses: list[str]) -> int:
    """On Electrum's loop: append receive addresses in chunks, yielding between them."""
    created = 0
    added: list[str] = []
    for chunk_start in range(0, len(addresses), WATCH_CHUNK):
        with wallet.lock:
            index = wallet.db.num_receiving_addresses()
            for offset, address in enumerate(addresses[chunk_start:chunk_start + WATCH_CHUNK]):
                if start + chunk_start + offset != index:
                    continue  # a concurrent watch() already added it
                if created == 0 and wallet.derive_address(0, index) != address:
                    raise RuntimeError("address derivation differs from Electrum's; refusing to watch")
                wallet.db.add_receiving_address(address)
                added.append(address)
                index += 1
                created += 1
        await subscribe(wallet, added)
        added = []
        await asyncio.sleep(0)
    return created


async def subscribe(wallet: Abstract_Wallet, addresses: list[str]) -> None:
    """``adb.add_address`` for a batch, with one sync-state trigger instead of one per address.

    (Per address, Electrum fires ``adb_set_up_to_date`` -> a wallet coroutine that runs
    ``synchronize`` in a thread, and a thread-safe hop into the synchronizer: ~0.8 ms each.)
    """
    if not addresses:
        return
    adb = wallet.adb
    for address in addresses:
        if not adb.db.get_addr_history(address):
            adb.db.set_addr_history(address, [])
    adb.set_up_to_date(False)
    sync = adb.synchronizer
    if sync is not None:  # otherwise Synchronizer.main() subscribes all addresses when it starts
        for address in addresses:
            await sync._add_address(address)


# -- views ---------------------------------------------------------------------------------------


def address_is_synced(wallet: Abstract_Wallet, address: str) -> bool:
    """Subscribed on the current server, history fetched, no request in flight for it."""
    sync = wallet.adb.synchronizer
    if sync is None:
        return False
    # Electrum mutates these on its loop; membership tests and C-level copies are atomic.
    if address in sync.requested_addrs or address in sync._stale_histories:
        return False
    if any(a == address for a, _status in list(sync.requested_histories)):
        return False
    return address_to_scripthash(address) in sync.scripthash_to_address


def rbf_signalled(tx: Transaction, height: int) -> bool:
    """BIP125 explicit signal; an output whose parent is unconfirmed (height -1) counts as
    replaceable too, since the parent (which we may not have) can be replaced."""
    if height == -1:
        return True
    return any(txin.nsequence < 0xFFFFFFFE for txin in tx.inputs())


def verified_height(wallet: Abstract_Wallet, txid: str, server_height: int) -> int:
    """Server height if the tx's merkle proof was verified at that height, else 0 (unconfirmed)."""
    if server_height <= 0:
        return server_height
    info = wallet.adb.db.get_verified_tx(txid)
    if info is not None and info.height == server_height:
        return server_height
    return 0


def block_time(db: WalletDB, txid: str) -> datetime | None:
    """The timestamp of the header the tx's merkle proof was verified against (Electrum's SPV
    verifier stores it with the proof), as an aware UTC datetime."""
    info = db.get_verified_tx(txid)
    if info is None or not info.timestamp:
        return None
    return datetime.fromtimestamp(int(info.timestamp), UTC)


def address_view(wallet: Abstract_Wallet, address: str) -> AddressView:
    db = wallet.adb.db
    if not wallet.is_mine(address):
        return AddressView(address=address, complete=False, outputs=())
    with wallet.adb.lock:  # one consistent snapshot w.r.t. receive_history_callback / SPV updates
        return _address_view_locked(wallet, db, address)


def _address_view_locked(wallet: Abstract_Wallet, db: WalletDB, address: str) -> AddressView:
    complete = address_is_synced(wallet, address)
    outputs: list[ObservedOutput] = []
    for txid, server_height in db.get_addr_history(address) or ():
        tx = db.get_transaction(txid)
        if tx is None:
            complete = False
            continue
        height = verified_height(wallet, txid, server_height)
        rbf = rbf_signalled(tx, height)
        mined_at = block_time(db, txid) if height > 0 else None
        for vout, txo in enumerate(tx.outputs()):
            if txo.address == address:
                outputs.append(ObservedOutput(txid=txid, vout=vout, amount_sat=txo.value,
                                              height=height, rbf=rbf, block_time=mined_at))
    return AddressView(address=address, complete=complete, outputs=tuple(outputs))


def addresses_of_tx(wallet: Abstract_Wallet, txid: str) -> set[str]:
    """Watched addresses a transaction pays (from the db index, falling back to the tx)."""
    db = wallet.adb.db
    found = set(db.get_txo_addresses(txid))
    tx = db.get_transaction(txid)
    if tx is not None:
        found.update(o.address for o in tx.outputs() if o.address and wallet.is_mine(o.address))
    return found
