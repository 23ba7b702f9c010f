"""The shop's Lightning node: Electrum 4.3.4's own ``LNWallet`` inside a hot p2wpkh wallet, in-process.

Everything in :class:`LightningNode` runs on Electrum's loop thread (the HTLC switch lives there).
RedWaves adds two things to the node, per instance (docs/chain.md "Lightning"):

* **the gate**: Electrum 4.3.4 fulfils an HTLC after its BOLT11 expired and pays out twice for one
  invoice (lnpeer.py ``maybe_fulfill_htlc`` leaves both checks undone: its comments say the expiry
  is not checked and a second payment is not refused). When ``maybe_fulfill_htlc`` asks ``lnworker.get_payment_info`` about a payment hash RedWaves
  issued, the gate answers None (Electrum then fails the HTLC back with
  incorrect_or_unknown_payment_details) once the invoice's deadline passed or it was withdrawn, and
  for a hash already paid once none of the HTLCs that paid it is pending any more (those may still
  settle: a restart between deciding and fulfilling, the other parts of a multi-part payment). Every
  other caller (sweeps, history) sees Electrum's record unchanged.
* **the paid hook**: ``lnworker.set_request_status(hash, PR_PAID)`` is where Electrum decides to
  fulfil; for a hash RedWaves issued it emits :class:`LightningPaid` (amount = the HTLCs of the set).

RedWaves' record of what it issued lives in the wallet file (``ISSUED_KEY``), written with Electrum's.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from electrum.interface import GracefulDisconnect
from electrum.invoices import PR_PAID, Invoice
from electrum.lnchannel import Channel
from electrum.lnpeer import Peer
from electrum.lnutil import (
    LN_MAX_FUNDING_SAT,
    LOCAL,
    RECEIVED,
    REMOTE,
    ConnStringFormatError,
    HandshakeFailed,
    LightningPeerConnectionClosed,
    LNPeerAddr,
    PaymentFailure,
    UpdateAddHtlc,
    extract_nodeid,
    format_short_channel_id,
    split_host_port,
)
from electrum.util import NotEnoughFunds
from electrum.wallet import Abstract_Wallet

from app.chain.errors import LightningError
from app.chain.models import (
    ChannelView,
    LightningInvoice,
    LightningNodeInfo,
    LightningPaid,
    LightningPayResult,
)

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 90.0  # connect + channel negotiation (Electrum's own p2p timeout is 30 s per step)
CLOSE_TIMEOUT_S = 60.0
UNREACHABLE = (OSError, TimeoutError, LightningPeerConnectionClosed, HandshakeFailed, GracefulDisconnect,
               ConnStringFormatError)

MAX_FUNDING_SAT = int(LN_MAX_FUNDING_SAT)  # 16,777,215 sat: no wumbo channels in 4.3.4
# payment hash hex -> [deadline unix s, withdrawn 0|1, paid_at unix s | None, ["channel_id:htlc_id" that paid it]]
ISSUED_KEY = "redwaves_lightning_issued"
_FULFIL_DECISION = Peer.maybe_fulfill_htlc.__code__


class LightningNode:
    """One wallet's Electrum Lightning node with RedWaves' gate and paid hook (Electrum's thread)."""

    def __init__(self, wallet_id: str, wallet: Abstract_Wallet, deliver: Callable[[LightningPaid], None],
                 guard: Callable[[str, Callable[..., object]], Callable[..., None]]) -> None:
        assert wallet.lnworker is not None
        self.wallet_id = wallet_id
        self.wallet = wallet
        self.lnworker = wallet.lnworker
        self._deliver = deliver
        self._guard = guard
        self._issued: Any = wallet.db.get_dict(ISSUED_KEY)  # Electrum's StoredDict: saved with the wallet
        self._payment_info = self.lnworker.get_payment_info
        self._set_request_status = self.lnworker.set_request_status
        self.refused = 0  # HTLCs the gate refused since start (diagnostics, tests)

    def install(self) -> LightningNode:
        """Wrap this node's get_payment_info (gate) and set_request_status (paid hook); before it starts."""
        self.lnworker.get_payment_info = self._gated_payment_info
        self.lnworker.set_request_status = self._on_request_status
        return self

    # -- the gate --------------------------------------------------------------------------------

    def _gated_payment_info(self, payment_hash: bytes) -> Any:
        info = self._payment_info(payment_hash)
        if info is None or sys._getframe(1).f_code is not _FULFIL_DECISION:
            return info
        try:
            allowed = self._may_fulfil(payment_hash, info)
        except Exception:  # noqa: BLE001 - a bug here must not kill Electrum's HTLC switch
            logger.exception("lightning gate failed; %s", "fulfilling (already paid)" if info.status == PR_PAID
                             else "refusing the HTLC")
            allowed = info.status == PR_PAID
        if not allowed:
            self.refused += 1
            logger.info("lightning gate: refused an HTLC for %s… (expired, withdrawn or paid)", payment_hash.hex()[:16])
            return None
        return info

    def _may_fulfil(self, payment_hash: bytes, info: Any) -> bool:
        record = self._issued.get(payment_hash.hex())
        if record is None:
            # asked as the final recipient about a hash RedWaves never issued (no request of Electrum's own
            # exists in a RedWaves wallet): refused, so nothing is received that no invoice accounts for
            return False
        deadline, withdrawn, paid_at, paid_by = _fields(record)
        if info.status == PR_PAID:  # only the HTLCs that paid it (pending when it was decided) may settle
            return paid_at is None or any(key in paid_by for key, _htlc in self._pending_received(payment_hash))
        return not withdrawn and time.time() < deadline

    def _pending_received(self, payment_hash: bytes) -> Iterator[tuple[str, UpdateAddHtlc]]:
        """("channel_id:htlc_id", HTLC) of the received HTLCs for this hash not yet fulfilled or failed
        (the HTLC switch's ``unfulfilled_htlcs``)."""
        for chan in self.lnworker.channels.values():
            for htlc_id in list(chan.unfulfilled_htlcs):
                htlc = chan.hm.get_htlc_by_id(REMOTE, htlc_id)
                if htlc.payment_hash == payment_hash:
                    yield f"{chan.channel_id.hex()}:{int(htlc_id)}", htlc

    # -- the paid hook ---------------------------------------------------------------------------

    def _on_request_status(self, payment_hash: bytes, status: int) -> None:
        try:
            paid = self._newly_paid(payment_hash, status)
        except Exception:  # noqa: BLE001 - never break Electrum's HTLC switch; lightning_paid() finds it later
            logger.exception("lightning paid hook failed for %s…", payment_hash.hex()[:16])
            paid = None
        self._set_request_status(payment_hash, status)  # saves the wallet file (never throttled for Lightning)
        if paid is not None:
            logger.info("lightning: %s… paid, %d msat", paid.payment_hash[:16], paid.amount_msat)
            self._guard("lightning_paid", self._deliver)(paid)

    def _newly_paid(self, payment_hash: bytes, status: int) -> LightningPaid | None:
        """Electrum is about to mark a hash RedWaves issued PR_PAID (and fulfil it): note who paid it."""
        key = payment_hash.hex()
        record = self._issued.get(key)
        before = self._payment_info(payment_hash)
        if record is None or status != PR_PAID or before is None or before.status == PR_PAID:
            return None
        now = time.time()
        pending = list(self._pending_received(payment_hash))
        amount = sum(h.amount_msat for _key, h in pending) or int(before.amount_msat or 0)
        preimage = self.lnworker.get_preimage(payment_hash)
        deadline, withdrawn, _paid_at, _paid_by = _fields(record)
        self._issued[key] = [deadline, withdrawn, now, [k for k, _h in pending]]  # saved with Electrum's status
        return LightningPaid(wallet_id=self.wallet_id, payment_hash=key, amount_msat=int(amount),
                             preimage=preimage.hex() if preimage else "", settled_at=datetime.fromtimestamp(now, UTC))

    # -- invoices --------------------------------------------------------------------------------

    def add_invoice(self, amount_sat: int, message: str, expires_at: datetime) -> LightningInvoice:
        expiry_s = int(expires_at.timestamp() - time.time())
        if expiry_s < 1:
            raise ValueError("expires_at is not in the future")
        lnaddr, bolt11 = self.lnworker.create_invoice(amount_msat=amount_sat * 1000, message=message,
                                                      expiry=expiry_s, fallback_address=None, write_to_disk=False)
        key = lnaddr.paymenthash.hex()
        self._issued[key] = [expires_at.timestamp(), 0, None, []]
        self.wallet.save_db()
        return LightningInvoice(bolt11=bolt11, payment_hash=key, expires_at=expires_at)

    def withdraw(self, payment_hash: str) -> bool:
        record = self._issued.get(payment_hash)
        info = self._payment_info(bytes.fromhex(payment_hash))
        if info is not None and info.status == PR_PAID:
            return False
        if record is not None and not record[1]:
            deadline, _withdrawn, paid_at, paid_by = _fields(record)
            self._issued[payment_hash] = [deadline, 1, paid_at, paid_by]
            self.wallet.save_db()
        return True

    def paid(self, payment_hashes: Iterable[str]) -> list[LightningPaid]:
        settled = self.lnworker.get_payments(status="settled")
        found = []
        for key in payment_hashes:
            payment_hash = bytes.fromhex(key)
            info = self._payment_info(payment_hash)
            received = [h.htlc.amount_msat for h in settled.get(payment_hash, ()) if h.direction == RECEIVED]
            if not received and (info is None or info.status != PR_PAID):
                continue
            amount = sum(received) or sum(h.amount_msat for _k, h in self._pending_received(payment_hash)) \
                or int(getattr(info, "amount_msat", 0) or 0)
            record = self._issued.get(key)
            paid_at = record[2] if record is not None and record[2] is not None else time.time()
            preimage = self.lnworker.get_preimage(payment_hash)
            found.append(LightningPaid(wallet_id=self.wallet_id, payment_hash=key, amount_msat=int(amount),
                                       preimage=preimage.hex() if preimage else "",
                                       settled_at=datetime.fromtimestamp(paid_at, UTC)))
        return found

    def gate_record(self, payment_hash: str) -> list[Any] | None:
        """[deadline, withdrawn, paid_at] as stored (tests, diagnostics)."""
        record = self._issued.get(payment_hash)
        return list(record) if record is not None else None

    # -- channels and payments (coroutines on Electrum's loop) ------------------------------------

    async def open_channel(self, connect: str, amount_sat: int, push_sat: int, password: str | None) -> ChannelView:
        """Fund a channel from this wallet's coins (signed with ``password``) to ``nodeid@host:port``."""
        if amount_sat > MAX_FUNDING_SAT:
            raise LightningError(f"A channel holds at most {MAX_FUNDING_SAT:,} sat.", code="amount_too_large")
        try:
            node_id, rest = extract_nodeid(connect)
        except ConnStringFormatError:
            rest, node_id = None, b""
        if rest is None:
            raise LightningError("Give the peer as nodeid@host:port.", code="invalid_node_uri")
        try:
            funding_tx = self.lnworker.mktx_for_open_channel(
                coins=self.wallet.get_spendable_coins(None), funding_sat=amount_sat, node_id=node_id, fee_est=None)
        except NotEnoughFunds:
            raise LightningError("The wallet has not enough confirmed coins for this channel.",
                                 code="not_enough_funds") from None
        try:
            chan, _tx = await asyncio.wait_for(self.lnworker._open_channel_coroutine(
                connect_str=connect, funding_tx=funding_tx, funding_sat=amount_sat, push_sat=push_sat,
                password=password), OPEN_TIMEOUT_S)
        except UNREACHABLE as exc:
            raise LightningError(f"The peer could not be reached ({type(exc).__name__}).",
                                 code="peer_unreachable") from None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being cancelled
            # the connection failed: Electrum cancels the peer's `initialized` future when it cleans up
            raise LightningError("The peer could not be reached (connection closed).", code="peer_unreachable") from None
        except Exception as exc:  # noqa: BLE001 - Electrum raises bare Exception when the peer refuses
            logger.warning("channel open to %s… refused: %r", connect[:16], exc)
            raise LightningError("The peer refused the channel.", code="channel_refused") from None
        if not list(chan.get_peer_addresses()):  # the peer was already connected to us (inbound): keep its address
            host, port = split_host_port(rest)
            chan.add_or_update_peer_addr(LNPeerAddr(host, int(port), node_id))
        logger.info("channel %s… opened to %s…, %d sat (push %d)", chan.channel_id.hex()[:16], connect[:16],
                    amount_sat, push_sat)
        return channel_view(chan)

    async def close_channel(self, channel_id: str, *, force: bool) -> str:
        chan = self.channel(channel_id)
        if chan is None:
            raise LightningError("No such channel.", code="channel_not_found")
        try:
            if force:
                txid: str = await self.lnworker.force_close_channel(chan.channel_id)
            else:
                txid = await asyncio.wait_for(self.lnworker.close_channel(chan.channel_id), CLOSE_TIMEOUT_S)
        except KeyError:  # lnworker._peers[...]: the peer is not connected
            raise LightningError("The peer is offline: close cooperatively later, or force close.",
                                 code="peer_unreachable") from None
        except UNREACHABLE as exc:
            raise LightningError(f"The peer did not answer ({type(exc).__name__}).", code="peer_unreachable") from None
        logger.info("channel %s… %s close: %s", channel_id[:16], "force" if force else "cooperative", txid)
        return txid

    async def pay(self, bolt11: str, timeout_s: float) -> LightningPayResult:
        try:
            lnaddr = self.lnworker._check_invoice(bolt11)
            invoice = Invoice.from_bech32(bolt11)
        except Exception as exc:  # noqa: BLE001 - lndecode raises many types
            raise LightningError(f"Not a payable BOLT11 invoice ({exc}).", code="invalid_bolt11") from None
        payment_hash = lnaddr.paymenthash
        self.wallet.save_invoice(invoice)
        try:
            success, log = await asyncio.wait_for(self.lnworker.pay_invoice(bolt11), timeout_s)
        except PaymentFailure as exc:
            return pay_failure(payment_hash.hex(), str(exc))
        except TimeoutError:
            return pay_failure(payment_hash.hex(), f"no answer within {timeout_s:g} s; the payment may still settle")
        if not success:
            reason = log[-1].formatted_tuple()[-1] if log else "no route"
            return pay_failure(payment_hash.hex(), str(reason))
        preimage = self.lnworker.get_preimage(payment_hash)
        return LightningPayResult(payment_hash=payment_hash.hex(), preimage=preimage.hex() if preimage else None,
                                  success=True, error=None)

    def channel_backup(self, channel_id: str) -> str:
        chan = self.channel(channel_id)
        if chan is None:
            raise LightningError("No such channel.", code="channel_not_found")
        if not list(chan.get_peer_addresses()):
            raise LightningError("This channel's peer never told its address (it opened the channel to the shop), "
                                 "so no static backup can reach it.", code="backup_unavailable")
        try:
            return str(self.lnworker.export_channel_backup(chan.channel_id))
        except struct.error:  # lnutil ImportedChannelBackupStorage.to_bytes writes the port as a signed int16
            raise LightningError("Electrum 4.3.4 cannot back up a channel whose peer port is above 32767.",
                                 code="backup_unavailable") from None

    # -- views -----------------------------------------------------------------------------------

    def info(self, *, listen: str | None, gossip: bool, incoming_allowed: bool) -> LightningNodeInfo:
        lnworker = self.lnworker
        channels = tuple(channel_view(chan) for chan in lnworker.channels.values())
        return LightningNodeInfo(
            wallet_id=self.wallet_id, node_id=lnworker.node_keypair.pubkey.hex(),
            listen=listen if lnworker.listen_server is not None else None, gossip=gossip,
            incoming_allowed=incoming_allowed and not lnworker.has_recoverable_channels(),
            can_receive_sat=int(lnworker.num_sats_can_receive()), can_send_sat=int(lnworker.num_sats_can_send()),
            channels=channels, peers=lnworker.num_peers())

    def channel(self, channel_id: str) -> Channel | None:
        try:
            return self.lnworker.get_channel_by_id(bytes.fromhex(channel_id))
        except ValueError:
            return None


def _fields(record: Any) -> tuple[float, int, float | None, list[str]]:
    deadline, withdrawn, paid_at, *rest = record
    return float(deadline), int(withdrawn), paid_at, list(rest[0]) if rest else []


def channel_view(chan: Channel) -> ChannelView:
    closing = chan.get_closing_height()
    closing_txid = closing[0] if closing else chan.unconfirmed_closing_txid
    return ChannelView(
        channel_id=chan.channel_id.hex(),
        short_id=format_short_channel_id(chan.short_channel_id) if chan.short_channel_id else None,
        peer_id=chan.node_id.hex(), state=chan.get_state().name,
        initiator="local" if chan.constraints.is_initiator else "remote",
        capacity_sat=int(chan.constraints.capacity),
        local_sat=chan.balance(LOCAL) // 1000, remote_sat=chan.balance(REMOTE) // 1000,
        can_send_sat=chan.available_to_spend(LOCAL) // 1000 if chan.is_open() else 0,
        can_receive_sat=chan.available_to_spend(REMOTE) // 1000 if chan.is_open() else 0,
        funding_txid=chan.funding_outpoint.txid, closing_txid=closing_txid)


def pay_failure(payment_hash: str, error: str) -> LightningPayResult:
    return LightningPayResult(payment_hash=payment_hash, preimage=None, success=False, error=error)
