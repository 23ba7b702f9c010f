"""ChainWatcher: RedWaves' only door to Electrum.

Runs Electrum 4.3.4 on its own loop thread (``runtime.py``), opens watch-only or hot wallets,
makes Electrum subscribe to the receive addresses RedWaves allocated, and turns Electrum's
callbacks into plain :data:`ChainEvent` objects delivered on the app's loop.

Event mapping (all bookkeeping happens on Electrum's thread, delivery on the app's loop):

* server history of an address changed (our hook on ``receive_history_callback``) -> that address
* ``adb_added_tx`` / ``adb_added_verified_tx`` / ``adb_removed_verified_tx`` -> every watched
  address the transaction pays
* those addresses are re-read after a short coalescing delay; an :class:`AddressesChanged` is
  emitted for the ones whose COMPLETE view's outputs differ from what we last emitted. Incomplete
  views are kept and re-checked on the next Electrum event (``adb_set_up_to_date`` at the latest).
* ``blockchain_updated`` -> :class:`TipChanged` when our header tip moves
* ``status`` / ``network_updated`` / sync changes -> :class:`ConnectionChanged` when
  (connected, server, synced, error) changes
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from electrum.network import TxBroadcastError
from electrum.transaction import PartialTxOutput, Transaction
from electrum.util import InvalidPassword, NotEnoughFunds
from electrum.wallet import Abstract_Wallet

from app.chain import wallets as wallet_files
from app.chain.callbacks import CallbackHub
from app.chain.errors import (BroadcastFailed, CannotPay, ChainNotRunning, NotConnected, WalletNotOpen,
                              WrongPassword)
from app.chain.keys import WalletDescriptor, derive_addresses
from app.chain.models import (AddressesChanged, AddressView, ChainEvent, ChainSettings, ChainState,
                              ConnectionChanged, TipChanged)
from app.chain.runtime import ElectrumRuntime

__all__ = ["AddressView", "AddressesChanged", "ChainEvent", "ChainSettings", "ChainState", "ChainWatcher",
           "ConnectionChanged", "TipChanged"]

logger = logging.getLogger(__name__)

FLUSH_DELAY_S = 0.02
WATCH_CHUNK = 200
_OFFLINE = ChainState(connected=False, server=None, tip_height=None, synced=False, pending_requests=0,
                      error=None)


@dataclass
class _OpenWallet:
    """Per-wallet bookkeeping; every field but ``wallet``/``desc`` is touched on Electrum's thread only."""

    wallet: Abstract_Wallet
    desc: WalletDescriptor
    emitted: dict[str, tuple] = field(default_factory=dict)  # address -> outputs last emitted
    dirty: set[str] = field(default_factory=set)
    retry: set[str] = field(default_factory=set)  # seen incomplete; re-check on next flush


class ChainWatcher:
    def __init__(self, settings: ChainSettings, *, on_event: Callable[[ChainEvent], None],
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._settings = settings
        self._on_event = on_event
        self._loop = loop
        self._runtime = ElectrumRuntime(settings)
        self._hub = CallbackHub()
        self._wallets: dict[str, _OpenWallet] = {}
        self._by_adb: dict[int, str] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._state = _OFFLINE
        self._state_key: tuple | None = None
        self._tip: int | None = None
        self._running = False
        self._stopped = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start_loop(self) -> None:
        """Start Electrum's loop thread now (synchronously): call before ``qasync.run()``."""
        self._runtime.start_loop()

    async def start(self) -> None:
        if self._running or self._stopped:
            return
        self._loop = self._loop or asyncio.get_running_loop()
        self._runtime.start_loop()
        for event, handler in (
            ("adb_added_tx", self._on_tx_event), ("adb_added_verified_tx", self._on_tx_event),
            ("adb_removed_verified_tx", self._on_tx_event), ("adb_set_up_to_date", self._on_sync_event),
            ("blockchain_updated", self._on_chain_event), ("network_updated", self._on_chain_event),
            ("status", self._on_chain_event),
        ):
            self._hub.register(event, handler)
        try:
            await self._runtime.start_daemon()
        except BaseException:
            await self.stop()
            raise
        self._running = True
        await self._runtime.call(self._check_state)
        logger.info("chain watcher started: network=%s server=%s oneserver=%s proxy=%s",
                    self._settings.network, self._settings.server, self._settings.oneserver,
                    bool(self._settings.proxy))

    async def stop(self) -> None:
        """Save wallets, stop the network and Electrum's thread. Idempotent; < 5 s."""
        if self._stopped:
            return
        self._stopped = True
        self._running = False
        self._hub.unregister_all()
        try:
            await self._runtime.stop()
        finally:
            self._wallets.clear()
            self._by_adb.clear()
            self._state = _OFFLINE

    def state(self) -> ChainState:
        return self._state

    # -- wallets -------------------------------------------------------------------------------

    async def open_wallet(self, wallet_id: str, desc: WalletDescriptor, *, password: str | None = None) -> None:
        """Create the Electrum wallet file on first use, open it otherwise, and start syncing it."""
        self._require_running()
        if wallet_id in self._wallets:
            return
        wallets_dir = self._settings.datadir / "wallets"
        path = wallet_files.wallet_path(wallets_dir, wallet_id)

        def open_file() -> Abstract_Wallet:
            wallets_dir.mkdir(parents=True, exist_ok=True)
            config = self._runtime.config
            if path.exists():
                return wallet_files.load_wallet(path, desc, config=config, password=password)
            return wallet_files.create_wallet(path, desc, config=config, password=password,
                                              gap_limit=self._settings.gap_limit)

        try:
            # File IO and key derivation: on a worker (non-daemon) thread, so writes happen.
            wallet = await asyncio.to_thread(open_file)
        except InvalidPassword:
            raise WrongPassword("The wallet password is wrong.") from None
        await self._runtime.call(self._attach, wallet_id, wallet, desc)
        logger.info("wallet %s opened (%s, %s, fingerprint %s)", wallet_id, desc.kind, desc.script_type,
                    desc.fingerprint)

    def _attach(self, wallet_id: str, wallet: Abstract_Wallet, desc: WalletDescriptor) -> None:
        """On Electrum's thread: hook, baseline, start syncing."""
        entry = _OpenWallet(wallet=wallet, desc=desc)
        for address in wallet.adb.db.get_history():
            if wallet.adb.db.get_addr_history(address):
                entry.emitted[address] = wallet_files.address_view(wallet, address).outputs
        adb = wallet.adb
        original = adb.receive_history_callback
        changed = self._hub.wrap("receive_history", lambda addr: self._mark(wallet_id, {addr}))

        def receive_history_callback(addr: str, hist: Any, tx_fees: Any) -> None:
            original(addr, hist, tx_fees)
            changed(addr)

        adb.receive_history_callback = receive_history_callback
        self._wallets[wallet_id] = entry
        self._by_adb[id(adb)] = wallet_id
        wallet.start_network(self._runtime.daemon.network)
        self._runtime.daemon.add_wallet(wallet)

    async def watch(self, wallet_id: str, up_to_index: int) -> None:
        """Make sure receive addresses 0..up_to_index are in the wallet and subscribed.

        No wallet-file write per call: Electrum saves when the wallet is next up to date, and
        on stop. Losing that write is harmless: RedWaves re-calls watch() at start-up.
        """
        entry = self._entry(wallet_id)
        start = entry.wallet.db.num_receiving_addresses()
        if up_to_index < start:
            return
        # Derive with our fast path off both loops; Electrum would take ~1 ms per address.
        addresses = await asyncio.to_thread(derive_addresses, entry.desc, start, up_to_index + 1 - start)
        created = await self._runtime.run(self._add_addresses(entry, start, addresses))
        if created:
            logger.debug("wallet %s: %d new receive addresses (up to index %d)", wallet_id, created,
                         up_to_index)

    async def _add_addresses(self, entry: _OpenWallet, start: int, addresses: list[str]) -> int:
        """On Electrum's loop: append receive addresses in chunks, yielding between them."""
        wallet = entry.wallet
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
            await self._subscribe(wallet, added)
            added = []
            await asyncio.sleep(0)
        return created

    @staticmethod
    async def _subscribe(wallet: Abstract_Wallet, addresses: list[str]) -> None:
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

    def address_view(self, wallet_id: str, address: str) -> AddressView:
        """Thread-safe read of the current view (Electrum's db methods take its locks)."""
        return wallet_files.address_view(self._entry(wallet_id).wallet, address)

    async def address_views(self, wallet_id: str, addresses: Iterable[str]) -> list[AddressView]:
        wallet = self._entry(wallet_id).wallet
        wanted = list(addresses)
        return await self._runtime.call(lambda: [wallet_files.address_view(wallet, a) for a in wanted])

    async def wallet_balance(self, wallet_id: str) -> tuple[int, int]:
        """(confirmed, unconfirmed) sat, as Electrum counts them (unconfirmed includes local txs)."""
        wallet = self._entry(wallet_id).wallet
        confirmed, unconfirmed, unmatured = await self._runtime.call(wallet.get_balance)
        return int(confirmed), int(unconfirmed + unmatured)

    # -- network services ------------------------------------------------------------------------

    async def broadcast(self, raw_tx_hex: str) -> str:
        self._require_running()
        try:
            tx = Transaction(raw_tx_hex)
            txid = tx.txid()
        except Exception as exc:  # noqa: BLE001 - electrum's parser raises many types
            raise BroadcastFailed(f"Not a valid transaction ({type(exc).__name__}).") from None
        network = self._runtime.daemon.network
        if not network.is_connected():
            raise NotConnected("Not connected to a bitcoin server.")
        try:
            await self._runtime.run(network.broadcast_transaction(tx))
        except TxBroadcastError as exc:
            raise BroadcastFailed(exc.get_message_for_gui()) from None
        except (asyncio.TimeoutError, ConnectionError) as exc:
            raise NotConnected(f"Broadcast failed: {type(exc).__name__}") from None
        return txid

    async def fee_estimates(self) -> dict[int, int]:
        """Target blocks -> fee rate in sat/kvB (Electrum's unit; divide by 1000 for sat/vB).

        Empty until the server answered ``blockchain.estimatefee`` (Electrum asks every 60 s).
        """
        self._require_running()
        config = self._runtime.config
        return await self._runtime.call(lambda: {int(k): int(v) for k, v in config.fee_estimates.items()})

    async def pay_to(self, wallet_id: str, outputs: list[tuple[str, int]], *, fee_rate_sat_vb: float | None,
                     password: str | None) -> str:
        """Hot wallets only: build, sign and broadcast a payment; returns the txid."""
        wallet = self._entry(wallet_id).wallet
        if wallet.is_watching_only():
            raise CannotPay("This wallet is watch-only; it cannot sign.")

        def build() -> str:
            outs = [PartialTxOutput.from_address_and_value(a, int(v)) for a, v in outputs]
            tx = wallet.create_transaction(outs, feerate=fee_rate_sat_vb, rbf=True, password=password)
            return tx.serialize()

        try:
            raw = await asyncio.to_thread(build)
        except NotEnoughFunds:
            raise CannotPay("Not enough funds.") from None
        except InvalidPassword:
            raise WrongPassword("The wallet password is wrong.") from None
        return await self.broadcast(raw)

    # -- Electrum-thread handlers -------------------------------------------------------------------

    def _on_tx_event(self, adb: Any, txid: str) -> None:
        wallet_id = self._by_adb.get(id(adb))
        if wallet_id is None:
            return
        self._mark(wallet_id, wallet_files.addresses_of_tx(self._wallets[wallet_id].wallet, txid))

    def _on_sync_event(self, adb: Any) -> None:
        wallet_id = self._by_adb.get(id(adb))
        if wallet_id is not None and self._wallets[wallet_id].retry:
            self._schedule_flush()
        self._check_state()

    def _on_chain_event(self, *args: Any) -> None:
        self._check_state()

    def _mark(self, wallet_id: str, addresses: set[str]) -> None:
        entry = self._wallets.get(wallet_id)
        if entry is None or not addresses:
            return
        entry.dirty |= addresses
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_handle is None and self._runtime.loop is not None:
            self._flush_handle = self._runtime.loop.call_later(FLUSH_DELAY_S, self._hub.wrap("flush", self._flush))

    def _flush(self) -> None:
        self._flush_handle = None
        for wallet_id, entry in list(self._wallets.items()):
            candidates = entry.dirty | entry.retry
            entry.dirty = set()
            changed = set()
            for address in candidates:
                view = wallet_files.address_view(entry.wallet, address)
                if not view.complete:
                    entry.retry.add(address)
                    continue
                entry.retry.discard(address)
                if entry.emitted.get(address, ()) != view.outputs:
                    entry.emitted[address] = view.outputs
                    changed.add(address)
            if changed:
                self._deliver(AddressesChanged(addresses=frozenset(changed), wallet_id=wallet_id))
        self._check_state()

    def _check_state(self) -> None:
        daemon = self._runtime.daemon
        if daemon is None or daemon.network is None:
            return
        network = daemon.network
        server = network.default_server
        height = network.get_local_height()
        tip = height if height > 0 else None
        adbs = [e.wallet.adb for e in self._wallets.values()]
        pending = 0
        for adb in adbs:
            sent, answered = adb.get_history_sync_state_details()
            pending += max(0, sent - answered)
        connected = network.is_connected()
        state = ChainState(connected=connected, server=str(server) if server else None, tip_height=tip,
                           synced=connected and all(adb.is_up_to_date() for adb in adbs),
                           pending_requests=pending, error=self._hub.last_failure)
        self._state = state
        if tip is not None and tip != self._tip:
            self._tip = tip
            self._deliver(TipChanged(height=tip))
        key = (state.connected, state.server, state.synced, state.error)
        if key != self._state_key:
            self._state_key = key
            self._deliver(ConnectionChanged(state=state))

    def _deliver(self, event: ChainEvent) -> None:
        """Hop from Electrum's thread to the app's loop."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        try:
            loop.call_soon_threadsafe(self._dispatch, event)
        except RuntimeError:  # loop closed between the check and the call
            logger.debug("dropped %s: app loop closed", type(event).__name__)

    def _dispatch(self, event: ChainEvent) -> None:
        if self._stopped:
            return
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a subscriber bug must not kill event delivery
            logger.exception("on_event handler failed for %s", type(event).__name__)

    # -- helpers -------------------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self._running or self._runtime.daemon is None:
            raise ChainNotRunning("chain watcher is not running")

    def _entry(self, wallet_id: str) -> _OpenWallet:
        self._require_running()
        try:
            return self._wallets[wallet_id]
        except KeyError:
            raise WalletNotOpen(f"wallet {wallet_id!r} is not open") from None
