"""ChainWatcher: RedWaves' only door to Electrum.

Runs Electrum 4.3.4 on its own loop thread (``runtime.py``), opens watch-only or hot wallets,
makes Electrum subscribe to the receive addresses RedWaves allocated, and turns Electrum's
callbacks into plain :data:`ChainEvent` objects (``tracking.py``) delivered on the app's loop.
A watcher is single-use: start() once, stop() once (stop is idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from electrum.network import TxBroadcastError
from electrum.transaction import PartialTxOutput, Transaction
from electrum.util import InvalidPassword, NotEnoughFunds
from electrum.wallet import Abstract_Wallet

from app.chain import fees as chain_fees
from app.chain import payouts as chain_payouts
from app.chain import psbt as chain_psbt
from app.chain import unspent as chain_unspent
from app.chain import wallets as wallet_files
from app.chain import watch_set
from app.chain.callbacks import CallbackHub
from app.chain.errors import (
    BroadcastFailed,
    CannotPay,
    ChainNotRunning,
    LightningError,
    NotConnected,
    WalletMismatch,
    WalletNotOpen,
    WrongPassword,
)
from app.chain.history_probe import HistoryProbe, probe_history
from app.chain.keys import WalletDescriptor, derive_addresses
from app.chain.lightning import MAX_FUNDING_SAT, LightningNode
from app.chain.models import (
    AddressesChanged,
    AddressView,
    ChainEvent,
    ChainSettings,
    ChainState,
    ChannelView,
    ConnectionChanged,
    LightningInvoice,
    LightningNodeInfo,
    LightningPaid,
    LightningPayResult,
    TipChanged,
    TxFee,
)
from app.chain.runtime import ElectrumRuntime
from app.chain.server_reader import ServerReader
from app.chain.tracking import EventTracker, TrackedWallet

__all__ = ["AddressView", "AddressesChanged", "ChainEvent", "ChainSettings", "ChainState", "ChainWatcher",
           "ConnectionChanged", "TipChanged"]

logger = logging.getLogger(__name__)
LISTEN_WAIT_S = 5.0



class ChainWatcher:
    def __init__(self, settings: ChainSettings, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._settings = settings
        self._subscribers: list[Callable[[ChainEvent], None]] = []
        self._loop = loop
        self._runtime = ElectrumRuntime(settings)
        self._hub = CallbackHub()
        self._tracker = EventTracker(self._runtime, self._hub, self._deliver)
        self._running = False
        self._stopped = False
        self._lightning_id: str | None = None  # the shop's Lightning node (enable_lightning)

    # -- lifecycle -----------------------------------------------------------------------------

    def start_loop(self) -> None:
        """Start Electrum's loop thread now (synchronously): call before ``qasync.run()``."""
        self._runtime.start_loop()

    async def start(self) -> None:
        if self._running or self._stopped:
            return
        self._loop = self._loop or asyncio.get_running_loop()
        self._runtime.start_loop()
        self._tracker.register()
        try:
            await self._runtime.start_daemon()
        except BaseException:
            await self.stop()
            raise
        self._running = True
        await self._runtime.call(self._tracker.check_state)
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
            self._tracker.clear()

    def state(self) -> ChainState:
        """Latest snapshot (immutable; safe from any thread)."""
        return self._tracker.state

    @property
    def wallets_dir(self) -> Path:
        """Electrum wallet files live in ``<datadir>/[<testnet|signet|regtest>/]wallets/<wallet_id>``."""
        if self._runtime.config is not None:
            return Path(self._runtime.config.path) / "wallets"
        sub = "" if self._settings.network == "mainnet" else self._settings.network
        return self._settings.datadir / sub / "wallets"

    # -- wallets -------------------------------------------------------------------------------

    async def open_wallet(self, wallet_id: str, desc: WalletDescriptor, *, password: str | None = None) -> None:
        """Create the Electrum wallet file on first use, open it otherwise, and start syncing it."""
        self._require_running()
        if wallet_id in self._tracker.wallets:
            if self._tracker.wallets[wallet_id].desc.fingerprint != desc.fingerprint:
                raise WalletMismatch(f"wallet {wallet_id!r} is already open with other keys")
            return
        wallets_dir = self.wallets_dir
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
        await self._runtime.call(self._tracker.attach, wallet_id, wallet, desc)
        logger.info("wallet %s opened (%s, %s, fingerprint %s)", wallet_id, desc.kind, desc.script_type,
                    desc.fingerprint)

    async def watch(self, wallet_id: str, addresses: Mapping[int, str], *, exclusive: bool = False) -> None:
        """Subscribe receive addresses (derivation index -> address, as RedWaves derived them).

        Watch-only wallets watch exactly what they are given (``watch_set.py``); with ``exclusive``
        every other address leaves the watch set (start-up: the monitored set and the look-ahead).
        A hot (seed) wallet keeps Electrum's deterministic wallet, which must know every address it
        ever received on to spend from it: it watches receive indexes 0..max(addresses) and never
        drops one. No wallet-file write per call: Electrum saves when the wallet is next up to date,
        and on stop; losing that write is harmless, RedWaves re-calls watch() at start-up.
        """
        entry = self._entry(wallet_id)
        if not addresses:
            if exclusive and watch_set.is_imported(entry.wallet):
                await self._runtime.call(lambda: watch_set.remove_addresses(entry.wallet, watch_set.watched(entry.wallet)))
            return
        if not watch_set.is_imported(entry.wallet):
            await self._extend_receive_chain(entry, max(addresses))
            return
        lowest = min(addresses)
        reference = await asyncio.to_thread(watch_set.electrum_address, entry.desc, lowest)
        if reference != addresses[lowest]:
            raise RuntimeError("address derivation differs from Electrum's; refusing to watch")
        wanted = [addresses[i] for i in sorted(addresses)]
        if exclusive:
            keep = set(wanted)
            removed = await self._runtime.call(
                lambda: watch_set.remove_addresses(entry.wallet, watch_set.watched(entry.wallet) - keep))
            if removed:
                logger.info("wallet %s: %d addresses no longer monitored left the watch set", wallet_id, removed)
        added = await self._runtime.run(watch_set.import_addresses(entry.wallet, wanted))
        if added:
            logger.debug("wallet %s: %d addresses joined the watch set", wallet_id, added)

    async def unwatch(self, wallet_id: str, addresses: Collection[str]) -> None:
        """Monitoring ended: these addresses leave the watch set (not subscribed at the next start).
        Their stored payments are RedWaves' business (SQLite); a hot wallet keeps every address."""
        entry = self._entry(wallet_id)
        if not addresses or not watch_set.is_imported(entry.wallet):
            return
        wanted = set(addresses)

        def remove() -> None:  # on Electrum's thread, where the tracker's bookkeeping lives
            watch_set.remove_addresses(entry.wallet, wanted)
            for address in wanted:
                entry.emitted.pop(address, None)
            entry.retry -= wanted

        await self._runtime.call(remove)

    def watched_addresses(self, wallet_id: str) -> frozenset[str]:
        """What Electrum watches for this wallet now (for a hot wallet: its whole receive chain)."""
        wallet = self._entry(wallet_id).wallet
        if watch_set.is_imported(wallet):
            return frozenset(watch_set.watched(wallet))
        return frozenset(wallet.get_receiving_addresses())

    async def _extend_receive_chain(self, entry: TrackedWallet, up_to_index: int) -> None:
        start = entry.wallet.db.num_receiving_addresses()
        if up_to_index < start:
            return
        # Derive with our fast path off both loops; Electrum would take ~1 ms per address.
        derived = await asyncio.to_thread(derive_addresses, entry.desc, start, up_to_index + 1 - start)
        await self._runtime.run(wallet_files.add_receive_addresses(entry.wallet, start, derived))

    def address_view(self, wallet_id: str, address: str) -> AddressView:
        """Thread-safe read of the current view (Electrum's db methods take its locks)."""
        return wallet_files.address_view(self._entry(wallet_id).wallet, address)

    async def address_views(self, wallet_id: str, addresses: Iterable[str]) -> list[AddressView]:
        wallet = self._entry(wallet_id).wallet
        wanted = list(addresses)
        return await self._runtime.call(lambda: [wallet_files.address_view(wallet, a) for a in wanted])

    async def tx_fees(self, wallet_id: str, txids: Iterable[str]) -> dict[str, TxFee]:
        """Fee and vsize of transactions in the wallet (parents fetched from the server if needed);
        a txid whose fee cannot be computed now is left out."""
        wallet = self._entry(wallet_id).wallet
        network = self._runtime.running_daemon().network
        wanted = list(txids)

        async def compute() -> dict[str, TxFee]:
            found = {txid: await chain_fees.tx_fee(wallet, network, txid) for txid in wanted}
            return {txid: fee for txid, fee in found.items() if fee is not None}

        return await self._runtime.run(compute())

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
            txid: str = tx.txid()
        except Exception as exc:  # noqa: BLE001 - electrum's parser raises many types
            raise BroadcastFailed(f"Not a valid transaction ({type(exc).__name__}).") from None
        network = self._runtime.running_daemon().network
        if not network.is_connected():
            raise NotConnected("Not connected to a bitcoin server.")
        try:
            await self._runtime.run(network.broadcast_transaction(tx))
        except TxBroadcastError as exc:
            raise BroadcastFailed(exc.get_message_for_gui()) from None
        except (TimeoutError, ConnectionError) as exc:
            raise NotConnected(f"Broadcast failed: {type(exc).__name__}") from None
        return txid

    async def fee_estimates(self) -> dict[int, int]:
        """Target blocks -> fee rate in sat/kvB (Electrum's unit; divide by 1000 for sat/vB).

        Empty until the server answered ``blockchain.estimatefee`` (Electrum asks every 60 s).
        """
        self._require_running()
        config = self._runtime.running_daemon().config
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
            raw_tx: str = tx.serialize()
            return raw_tx

        try:
            raw = await asyncio.to_thread(build)
        except NotEnoughFunds:
            raise CannotPay("Not enough funds.") from None
        except InvalidPassword:
            raise WrongPassword("The wallet password is wrong.") from None
        return await self.broadcast(raw)

    async def set_route(self, server: str | None, *, oneserver: bool, proxy: str | None) -> None:
        """Switch Electrum to ``server`` (None: public servers) through ``proxy`` ("socks5:host:port"), live;
        wallets stay open and resync from the new server (app/chain/runtime.py ``switch_network``)."""
        self._require_running()
        await self._runtime.switch_network(server, oneserver=oneserver, proxy=proxy)
        self._settings = self._runtime.settings

    def _deliver(self, event: ChainEvent) -> None:
        """Hop from Electrum's thread to the app's loop."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        try:
            loop.call_soon_threadsafe(self._dispatch, event)
        except RuntimeError:  # loop closed between the check and the call
            logger.debug("dropped %s: app loop closed", type(event).__name__)

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on the app's loop for every chain event; returns the unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _dispatch(self, event: ChainEvent) -> None:
        if self._stopped:
            return
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a subscriber bug must not kill event delivery
                logger.exception("chain event subscriber %r failed for %s", callback, type(event).__name__)

    # -- helpers -------------------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self._running or self._runtime.daemon is None:
            raise ChainNotRunning("chain watcher is not running")

    def _entry(self, wallet_id: str) -> TrackedWallet:
        self._require_running()
        try:
            return self._tracker.wallets[wallet_id]
        except KeyError:
            raise WalletNotOpen(f"wallet {wallet_id!r} is not open") from None

    # -- Lightning (app/chain/lightning.py; docs/chain.md "Lightning") --------------------------------

    async def enable_lightning(self, wallet_id: str, *, password: str | None) -> LightningNodeInfo:
        """Make this hot p2wpkh wallet the shop's Lightning node: Electrum's node key from the seed
        (written to the wallet file at once), the node started on our Network with the gate and the
        paid hook, and the wallet's saves never throttled again. Idempotent."""
        entry = self._entry(wallet_id)
        if entry.desc.kind != "seed" or not entry.wallet.can_have_lightning():
            raise LightningError("Lightning needs a hot wallet (a seed) of the native segwit kind (p2wpkh).",
                                 code="lightning_needs_p2wpkh_hot")
        if not entry.wallet.has_lightning():
            try:
                await asyncio.to_thread(entry.wallet.check_password, password)
            except InvalidPassword:
                raise WrongPassword("The wallet password is wrong.") from None
        node = await self._runtime.call(self._tracker.start_lightning, wallet_id, password)
        self._lightning_id = wallet_id
        if self._settings.lightning_listen:  # Electrum binds in a task it spawned: give it a moment
            for _ in range(int(LISTEN_WAIT_S / 0.05)):
                if node.lnworker.listen_server is not None:
                    break
                await asyncio.sleep(0.05)
            if node.lnworker.listen_server is None:
                logger.warning("lightning node of %s is not listening on %s (see Electrum's log)", wallet_id,
                               self._settings.lightning_listen)
        logger.info("lightning node runs on wallet %s", wallet_id)
        return await self.lightning_info(wallet_id)

    def disable_lightning(self, wallet_id: str) -> None:
        """This wallet is no longer the shop's node (no new BOLT11s through it). Its node keeps running
        while the wallet is open, so its channels stay watched (a closed channel's sweep included)."""
        if self._lightning_id == wallet_id:
            self._lightning_id = None

    def lightning_wallet(self) -> str | None:
        """The wallet whose node is the shop's (``enable_lightning`` this session), or None."""
        wallet_id = self._lightning_id
        if wallet_id is None or not self._running or wallet_id not in self._tracker.wallets:
            return None
        return wallet_id

    async def lightning_info(self, wallet_id: str) -> LightningNodeInfo:
        node = self._node(wallet_id)
        s = self._settings
        return await self._runtime.call(node.info, listen=s.lightning_listen or None, gossip=s.lightning_gossip,
                                        incoming_allowed=s.lightning_allow_incoming)

    async def add_lightning_invoice(self, wallet_id: str, amount_sat: int, *, message: str,
                                    expires_at: datetime) -> LightningInvoice:
        """A BOLT11 for ``amount_sat`` whose expiry is ``expires_at`` (the gate refuses it after that)."""
        node = self._node(wallet_id)
        if amount_sat <= 0:
            raise ValueError("amount_sat must be positive")
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware (UTC)")
        info = await self.lightning_info(wallet_id)
        if info.can_receive_sat < amount_sat:
            raise LightningError(f"The node can receive {info.can_receive_sat:,} sat now, not {amount_sat:,}.",
                                 code="not_enough_inbound")
        return await self._runtime.call(node.add_invoice, amount_sat, message, expires_at)

    async def withdraw_lightning_invoice(self, wallet_id: str, payment_hash: str) -> bool:
        """The gate refuses this hash from now on; False: it is already paid."""
        node = self._node(wallet_id)
        return await self._runtime.call(node.withdraw, payment_hash.lower())

    async def lightning_paid(self, wallet_id: str, payment_hashes: Iterable[str]) -> list[LightningPaid]:
        """Those of ``payment_hashes`` that are paid (Electrum's status PR_PAID or settled received HTLCs)."""
        node = self._node(wallet_id)
        wanted = [h.lower() for h in payment_hashes]
        return await self._runtime.call(node.paid, wanted)

    async def open_channel(self, wallet_id: str, connect: str, amount_sat: int, *, push_sat: int = 0,
                           password: str | None) -> ChannelView:
        """Fund a channel to ``nodeid@host:port`` (broadcast now; OPEN after 3 blocks)."""
        node = self._node(wallet_id)
        if amount_sat > MAX_FUNDING_SAT:
            raise LightningError(f"A channel holds at most {MAX_FUNDING_SAT:,} sat.", code="amount_too_large")
        try:
            await asyncio.to_thread(node.wallet.check_password, password)
        except InvalidPassword:
            raise WrongPassword("The wallet password is wrong.") from None
        return await self._runtime.run(node.open_channel(connect.strip(), amount_sat, push_sat, password))

    async def close_channel(self, wallet_id: str, channel_id: str, *, force: bool) -> str:
        """Cooperative close (the peer must be online) or force close; the closing txid."""
        node = self._node(wallet_id)
        return await self._runtime.run(node.close_channel(channel_id.lower(), force=force))

    async def lnpay(self, wallet_id: str, bolt11: str, *, password: str | None,
                    timeout_s: float = 60) -> LightningPayResult:
        """Pay a BOLT11 from the node (Electrum's ``lnpay``); a failed payment is a result, not an error."""
        node = self._node(wallet_id)
        try:
            await asyncio.to_thread(node.wallet.check_password, password)
        except InvalidPassword:
            raise WrongPassword("The wallet password is wrong.") from None
        return await self._runtime.run(node.pay(bolt11.strip(), timeout_s))

    async def channel_backup(self, wallet_id: str, channel_id: str) -> str:
        """Electrum's static channel backup (``export_channel_backup``) of one channel."""
        node = self._node(wallet_id)
        return await self._runtime.call(node.channel_backup, channel_id.lower())

    def _node(self, wallet_id: str) -> LightningNode:
        node = self._entry(wallet_id).lightning
        if node is None:
            raise LightningError("Lightning is off for this wallet.", code="lightning_off")
        return node

    # -- history probe (closed invoices) -----------------------------------------------------------

    async def probe_history(self, addresses: Iterable[str]) -> HistoryProbe:
        """Ask the server for these addresses' histories without subscribing (app/chain/history_probe.py):
        payments to them, mined ones SPV-checked against our headers. NotConnected when offline."""
        self._require_running()
        network = self._runtime.running_daemon().network
        return await self._runtime.run(probe_history(network, list(addresses)))

    # -- payouts (app/chain/payouts.py, psbt.py, unspent.py) -------------------------------------------

    async def unspent(self, wallet_id: str, addresses: Mapping[str, tuple[bool, int]]) -> list[chain_unspent.Utxo]:
        """Coins at these addresses (address -> (change, index)), from the server, not subscribed;
        heights SPV-checked. NotConnected when offline."""
        self._entry(wallet_id)
        coins, _parents = await self._read_unspent(addresses)
        return coins

    async def _read_unspent(self, addresses: Mapping[str, tuple[bool, int]]
                            ) -> tuple[list[chain_unspent.Utxo], dict[str, Transaction]]:
        network = self._runtime.running_daemon().network

        async def read() -> tuple[list[chain_unspent.Utxo], dict[str, Transaction]]:
            reader = ServerReader(network)
            return await chain_unspent.unspent(reader, addresses), reader.transactions

        return await self._runtime.run(read())

    async def build_payout(self, wallet_id: str, outputs: list[tuple[str, int]], fee_rate: Decimal, *,
                           password: str | None = None, coins: Mapping[str, tuple[bool, int]] | None = None,
                           change_index: int | None = None, exclude: Collection[str] = ()) -> chain_payouts.BuiltTx:
        """Hot wallet: a signed transaction (not broadcast). Watch-only: an unsigned PSBT spending coins
        at ``coins`` (address -> (change, index)) with change to change index ``change_index``.
        ``exclude``: outpoints ("txid:vout") spent by recorded payouts that are not final yet."""
        entry = self._entry(wallet_id)
        locktime = max(0, self._runtime.running_daemon().network.get_local_height())
        if entry.desc.kind == "seed":
            return await asyncio.to_thread(chain_payouts.build_hot, entry.wallet, outputs, fee_rate,
                                           password=password, exclude=exclude, locktime=locktime)
        if coins is None or change_index is None:
            raise ValueError("a watch-only payout needs the coins' addresses and a change index")
        found, parents = await self._read_unspent(coins)
        usable = [coin for coin in found if coin.outpoint not in exclude]
        config = self._runtime.running_daemon().config
        return await asyncio.to_thread(chain_psbt.build_psbt, entry.desc, config, usable, parents, outputs, fee_rate,
                                       change_index=change_index, locktime=locktime)

    async def bump_fee(self, wallet_id: str, raw_tx: str, fee_rate: Decimal, *, password: str | None,
                       change_address: str | None) -> chain_payouts.BuiltTx:
        """Hot wallets: an RBF replacement keeping every payout output, the extra fee from the change."""
        entry = self._entry(wallet_id)
        if entry.desc.kind != "seed":
            raise chain_payouts.PayoutRefused("A watch-only payout is bumped by exporting a new PSBT.",
                                              code="cannot_bump")
        return await asyncio.to_thread(chain_payouts.bump_hot, entry.wallet, raw_tx, fee_rate, password=password,
                                       change_address=change_address)

    async def hold(self, wallet_id: str, raw_txs: list[str]) -> None:
        """A hot wallet learns recorded payout transactions (as local ones) so their coins count as spent."""
        entry = self._entry(wallet_id)
        if entry.desc.kind == "seed" and raw_txs:
            await self._runtime.call(chain_payouts.hold, entry.wallet, raw_txs)

    async def finalize_psbt(self, wallet_id: str, unsigned_b64: str, signed: str | bytes,
                            expected: list[tuple[str, int]], change_address: str | None) -> chain_payouts.FinalTx:
        """Refuses (PayoutRefused psbt_mismatch / psbt_incomplete / psbt_invalid) anything but the exported
        inputs paying exactly ``expected`` plus ``change_address``; returns the raw transaction."""
        entry = self._entry(wallet_id)
        config = self._runtime.running_daemon().config
        return await asyncio.to_thread(chain_psbt.finalize_psbt, entry.desc, config, unsigned_b64, signed, expected,
                                       change_address)

    async def tx_status(self, txid: str, addresses: Iterable[str]) -> chain_unspent.TxStatus:
        """Where ``txid`` is now, from the server's histories of ``addresses`` (outputs it pays), not
        subscribed; 'mined' only with a merkle proof checked against our headers."""
        self._require_running()
        network = self._runtime.running_daemon().network
        wanted = list(addresses)

        async def read() -> chain_unspent.TxStatus:
            try:
                reader = ServerReader(network)
                return await chain_unspent.tx_status(reader, txid, wanted)
            except (NotConnected, TimeoutError, ConnectionError):
                return chain_unspent.TxStatus(txid=txid, state="unknown")

        return await self._runtime.run(read())
