"""Electrum callbacks -> RedWaves chain events. Everything here runs on Electrum's loop thread.

Event mapping:

* server history of an address changed (our hook on ``AddressSynchronizer.receive_history_callback``,
  which Electrum's Synchronizer calls with the server's new history) -> that address
* ``adb_added_tx`` / ``adb_added_verified_tx`` / ``adb_removed_verified_tx`` -> every watched
  address the transaction pays
* those addresses are re-read after a short coalescing delay; :class:`AddressesChanged` names the
  ones whose COMPLETE view's outputs differ from what was last emitted, and carries those views
  (with the header tip of the same pass) so the engine need not read them again. Incomplete views
  are kept and re-checked on the next Electrum event (``adb_set_up_to_date`` at the latest).
* ``blockchain_updated`` -> :class:`TipChanged` when our header tip moves
* ``status`` / ``network_updated`` / sync changes -> :class:`ConnectionChanged` when
  (connected, server, synced, error) changes
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from electrum.address_synchronizer import AddressSynchronizer
from electrum.wallet import Abstract_Wallet

from app.chain import wallets as wallet_files
from app.chain import watch_set
from app.chain.callbacks import CallbackHub
from app.chain.keys import WalletDescriptor
from app.chain.lightning import LightningNode
from app.chain.models import (
    AddressesChanged,
    AddressView,
    ChainEvent,
    ChainState,
    ConnectionChanged,
    TipChanged,
)
from app.chain.runtime import ElectrumRuntime
from app.core.payments import ObservedOutput

FLUSH_DELAY_S = 0.01  # coalescing window for address events (a burst becomes one event)
OFFLINE = ChainState(connected=False, server=None, tip_height=None, synced=False, pending_requests=0,
                     error=None)
ELECTRUM_EVENTS = ("adb_added_tx", "adb_added_verified_tx", "adb_removed_verified_tx", "adb_set_up_to_date",
                   "blockchain_updated", "network_updated", "status")


@dataclass
class TrackedWallet:
    """Per-wallet bookkeeping; every field but ``wallet``/``desc`` is touched on Electrum's thread only."""

    wallet: Abstract_Wallet
    desc: WalletDescriptor
    emitted: dict[str, tuple[ObservedOutput, ...]] = field(default_factory=dict)  # address -> outputs last emitted
    dirty: set[str] = field(default_factory=set)
    retry: set[str] = field(default_factory=set)  # seen incomplete; re-check on next flush
    lightning: LightningNode | None = None  # the wallet's Lightning node (gate + paid hook installed)


class EventTracker:
    """Keeps what was last emitted per address and turns Electrum callbacks into ChainEvents."""

    def __init__(self, runtime: ElectrumRuntime, hub: CallbackHub, deliver: Callable[[ChainEvent], None]) -> None:
        self._runtime = runtime
        self._hub = hub
        self._deliver = deliver
        self.wallets: dict[str, TrackedWallet] = {}  # read from any thread; written on Electrum's
        self._by_adb: dict[int, str] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self.state = OFFLINE  # immutable snapshot, replaced on Electrum's thread, read anywhere
        self._state_key: tuple[bool, str | None, bool, str | None] | None = None
        self._tip: int | None = None
        self._caught_up = False  # every wallet fully synced since the last (re)connect / open

    def register(self) -> None:
        handlers: dict[str, Callable[..., None]] = {"adb_added_tx": self._on_tx_event, "adb_added_verified_tx": self._on_tx_event,
                    "adb_removed_verified_tx": self._on_tx_event, "adb_set_up_to_date": self._on_sync_event}
        for event in ELECTRUM_EVENTS:
            self._hub.register(event, handlers.get(event, self._on_chain_event))

    def clear(self) -> None:
        self.wallets.clear()
        self._by_adb.clear()
        self.state = OFFLINE

    def attach(self, wallet_id: str, wallet: Abstract_Wallet, desc: WalletDescriptor) -> None:
        """On Electrum's thread: hook, baseline, start syncing."""
        self._caught_up = False
        entry = TrackedWallet(wallet=wallet, desc=desc)
        for address in wallet.adb.db.get_history():
            if wallet.adb.db.get_addr_history(address):
                entry.emitted[address] = wallet_files.address_view(wallet, address).outputs
        adb = wallet.adb
        original = adb.receive_history_callback
        changed = self._hub.wrap("receive_history", lambda addr: self._mark(wallet_id, {addr}))

        imported = watch_set.is_imported(wallet)

        def receive_history_callback(addr: str, hist: list[tuple[str, int]], tx_fees: dict[str, int]) -> None:
            # An imported wallet's address that left the watch set this session (Electrum cannot
            # unsubscribe); a hot wallet never drops one, and its Lightning watcher subscribes channel
            # funding addresses the wallet itself does not own: those histories must pass.
            if imported and not wallet.is_mine(addr):
                return
            original(addr, hist, tx_fees)
            changed(addr)

        adb.receive_history_callback = receive_history_callback
        self.wallets[wallet_id] = entry
        self._by_adb[id(adb)] = wallet_id
        if wallet.has_lightning():  # the file has Lightning keys: its node runs, so its channels are watched
            entry.lightning = self._lightning_node(wallet_id, wallet)
        wallet_files.throttle_saves(wallet)  # not for a wallet with Lightning (wallets.py)
        daemon = self._runtime.running_daemon()
        wallet.start_network(daemon.network)
        daemon.add_wallet(wallet)

    def start_lightning(self, wallet_id: str, password: str | None) -> LightningNode:
        """On Electrum's thread: give a running hot p2wpkh wallet its Lightning node (Electrum's
        ``init_lightning``: the node key from the seed) and start it on our Network; idempotent."""
        entry = self.wallets[wallet_id]
        if entry.lightning is not None:
            return entry.lightning
        wallet = entry.wallet
        network = self._runtime.running_daemon().network
        if not wallet.has_lightning():
            # With wallet.network set, init_lightning stops the whole wallet and restarts it, and the
            # restart does not re-register the wallet's callbacks; start only the new LNWallet instead,
            # as Abstract_Wallet.start_network does.
            wallet.network = None
            try:
                wallet.init_lightning(password=password)
            finally:
                wallet.network = network
        entry.lightning = self._lightning_node(wallet_id, wallet)
        wallet_files.save_at_once(wallet)
        wallet.save_db()  # the Lightning key is in the file before the node talks to anybody
        assert wallet.lnworker is not None
        if wallet.lnworker.network is None:
            wallet.lnworker.start_network(network)
        return entry.lightning

    def _lightning_node(self, wallet_id: str, wallet: Abstract_Wallet) -> LightningNode:
        return LightningNode(wallet_id, wallet, self._deliver, self._hub.wrap).install()

    def _on_tx_event(self, adb: AddressSynchronizer, txid: str) -> None:
        wallet_id = self._by_adb.get(id(adb))
        if wallet_id is None:
            return
        self._mark(wallet_id, wallet_files.addresses_of_tx(self.wallets[wallet_id].wallet, txid))

    def _on_sync_event(self, adb: AddressSynchronizer) -> None:
        wallet_id = self._by_adb.get(id(adb))
        if wallet_id is not None and self.wallets[wallet_id].retry:
            self._schedule_flush()
        self.check_state()

    def _on_chain_event(self, *_args: object) -> None:
        self.check_state()

    def _mark(self, wallet_id: str, addresses: set[str]) -> None:
        entry = self.wallets.get(wallet_id)
        if entry is None or not addresses:
            return
        entry.dirty |= addresses
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_handle is None and self._runtime.loop is not None:
            self._flush_handle = self._runtime.loop.call_later(FLUSH_DELAY_S, self._hub.wrap("flush", self._flush))

    def _flush(self) -> None:
        self._flush_handle = None
        tip = self._local_tip()  # headers only move on this thread, so it holds for the whole pass
        for wallet_id, entry in list(self.wallets.items()):
            candidates = entry.dirty | entry.retry
            entry.dirty = set()
            changed: list[AddressView] = []
            for address in candidates:
                view = wallet_files.address_view(entry.wallet, address)
                if not view.complete:
                    entry.retry.add(address)
                    continue
                entry.retry.discard(address)
                if entry.emitted.get(address, ()) != view.outputs:
                    entry.emitted[address] = view.outputs
                    changed.append(view)
            if changed:
                self._deliver(AddressesChanged(addresses=frozenset(v.address for v in changed), wallet_id=wallet_id,
                                               views=tuple(changed), tip_height=tip))
        self.check_state()

    def _local_tip(self) -> int | None:
        daemon = self._runtime.daemon
        if daemon is None or daemon.network is None:
            return None
        height: int = daemon.network.get_local_height()
        return height if height > 0 else None

    def check_state(self) -> None:
        daemon = self._runtime.daemon
        if daemon is None or daemon.network is None:
            return
        network = daemon.network
        server = network.default_server
        height = network.get_local_height()
        tip = height if height > 0 else None
        adbs = [e.wallet.adb for e in self.wallets.values()]
        pending = 0
        for adb in adbs:
            sent, answered = adb.get_history_sync_state_details()
            pending += max(0, sent - answered)
        connected = network.is_connected()
        # "synced" is sticky: it drops on disconnect or a newly opened wallet, not for the brief
        # not-up-to-date spell Electrum goes through on every payment (history, tx, proof).
        if not connected:
            self._caught_up = False
        elif all(adb.is_up_to_date() for adb in adbs):
            self._caught_up = True
        state = ChainState(connected=connected, server=str(server) if server else None, tip_height=tip,
                           synced=connected and self._caught_up,
                           pending_requests=pending, error=self._hub.last_failure)
        self.state = state
        if tip is not None and tip != self._tip:
            self._tip = tip
            self._deliver(TipChanged(height=tip))
        key = (state.connected, state.server, state.synced, state.error)
        if key != self._state_key:
            self._state_key = key
            self._deliver(ConnectionChanged(state=state))

