"""Typed seams between the composition root and the services: what the runtime hands in.

The runtime (app/runtime.py) implements these; tests pass small fakes that satisfy the same
Protocols, so a renamed method fails the type check in both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from app.chain.history_probe import HistoryProbe
from app.chain.keys import WalletDescriptor
from app.chain.models import (
    AddressView,
    ChainEvent,
    ChainState,
    ChannelView,
    LightningInvoice,
    LightningNodeInfo,
    LightningPaid,
    LightningPayResult,
    TxFee,
)
from app.chain.payouts import BuiltTx, FinalTx
from app.chain.unspent import TxStatus, Utxo
from app.core.errors import UserFacingError
from app.net.exposure_state import ExposureState, LanChange, TlsChange, TorChange
from app.net.guarded import StartError
from app.net.tls import CertificateInfo
from app.services.admin.backup import BackupInfo


class ChainPort(Protocol):
    """What the services use of the chain; `app.chain.watcher.ChainWatcher` is the real one."""

    def state(self) -> ChainState: ...

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        """``callback(event)`` on the app's loop for every chain event; returns the unsubscribe."""
        ...

    async def open_wallet(self, wallet_id: str, desc: WalletDescriptor, *, password: str | None = None) -> None: ...

    async def watch(self, wallet_id: str, addresses: Mapping[int, str], *, exclusive: bool = False) -> None:
        """Subscribe these receive addresses (index -> address); ``exclusive``: and no others (start-up)."""
        ...

    async def unwatch(self, wallet_id: str, addresses: Collection[str]) -> None:
        """Monitoring ended: the addresses leave the watch set (a hot wallet keeps all of its own)."""
        ...

    async def address_views(self, wallet_id: str, addresses: Iterable[str]) -> Sequence[AddressView]: ...

    async def wallet_balance(self, wallet_id: str) -> tuple[int, int]: ...

    async def tx_fees(self, wallet_id: str, txids: Iterable[str]) -> dict[str, TxFee]:
        """Fee and vsize of wallet transactions, from their inputs' values; unknown ones left out."""
        ...

    async def broadcast(self, raw_tx_hex: str) -> str: ...

    async def fee_estimates(self) -> dict[int, int]:
        """Confirmation target (blocks) -> fee rate (sat/kvB)."""
        ...

    async def pay_to(self, wallet_id: str, outputs: list[tuple[str, int]], *, fee_rate_sat_vb: float | None,
                     password: str | None) -> str: ...

    async def probe_history(self, addresses: Iterable[str]) -> HistoryProbe:
        """The server's history of these (unwatched) addresses, not subscribed; mined txs SPV-checked."""
        ...

    # payouts (app/chain/payouts.py, psbt.py, unspent.py; app/services/refunds/executor.py uses them)
    async def unspent(self, wallet_id: str, addresses: Mapping[str, tuple[bool, int]]) -> Sequence[Utxo]:
        """Coins at these addresses (address -> (change, index)) from the server, not subscribed; SPV heights."""
        ...

    async def build_payout(self, wallet_id: str, outputs: list[tuple[str, int]], fee_rate: Decimal, *,
                           password: str | None = None, coins: Mapping[str, tuple[bool, int]] | None = None,
                           change_index: int | None = None, exclude: Collection[str] = ()) -> BuiltTx:
        """Hot: signed raw + txid, NOT broadcast. Watch-only: unsigned PSBT from ``coins``, change index given."""
        ...

    async def bump_fee(self, wallet_id: str, raw_tx: str, fee_rate: Decimal, *, password: str | None,
                       change_address: str | None) -> BuiltTx:
        """Hot: an RBF replacement keeping every payout output; PayoutRefused(cannot_bump) if impossible."""
        ...

    async def hold(self, wallet_id: str, raw_txs: list[str]) -> None:
        """A hot wallet treats the coins these recorded transactions spend as spent."""
        ...

    async def finalize_psbt(self, wallet_id: str, unsigned_b64: str, signed: str | bytes,
                            expected: list[tuple[str, int]], change_address: str | None) -> FinalTx:
        """PayoutRefused(psbt_mismatch | psbt_incomplete | psbt_invalid) unless it pays exactly ``expected``."""
        ...

    async def tx_status(self, txid: str, addresses: Iterable[str]) -> TxStatus:
        """Mined (SPV-checked) / mempool / missing / unknown, from the histories of the addresses it pays."""
        ...


class LightningNodePort(Protocol):
    """RedWaves' Lightning node (Electrum's, in-process); `app.chain.watcher.ChainWatcher` is the real one.
    Failures raise `app.chain.errors.LightningError` with a code (docs/lightning.md "Errors")."""

    def lightning_wallet(self) -> str | None:
        """The wallet whose node runs now, or None."""
        ...

    async def enable_lightning(self, wallet_id: str, *, password: str | None) -> LightningNodeInfo: ...

    def disable_lightning(self, wallet_id: str) -> None:
        """No longer the shop's node (no new BOLT11s); its channels stay watched while the wallet is open."""
        ...

    async def lightning_info(self, wallet_id: str) -> LightningNodeInfo: ...

    async def add_lightning_invoice(self, wallet_id: str, amount_sat: int, *, message: str,
                                    expires_at: datetime) -> LightningInvoice: ...

    async def withdraw_lightning_invoice(self, wallet_id: str, payment_hash: str) -> bool:
        """The node refuses this hash from now on; False if it is already paid."""
        ...

    async def lightning_paid(self, wallet_id: str, payment_hashes: Iterable[str]) -> list[LightningPaid]:
        """Those of the hashes that are paid (crash recovery: recorded by the engine if not yet)."""
        ...

    async def open_channel(self, wallet_id: str, connect: str, amount_sat: int, *, push_sat: int = 0,
                           password: str | None) -> ChannelView: ...

    async def close_channel(self, wallet_id: str, channel_id: str, *, force: bool) -> str: ...

    async def lnpay(self, wallet_id: str, bolt11: str, *, password: str | None,
                    timeout_s: float = 60) -> LightningPayResult: ...

    async def channel_backup(self, wallet_id: str, channel_id: str) -> str: ...


class Urls(Protocol):
    """Where this RedWaves is reachable right now (listeners bind late; ports may be chosen by the OS)."""

    def current(self) -> Mapping[str, str]:
        """{"private": "http://127.0.0.1:8470", "public": ..., "shop": ..., "onion": ...}: only what is serving.

        "shop" is the public_url setting (a reverse proxy, a port forward) while the public listener serves."""
        ...

    def invoice_url(self, invoice_id: str, *, store_url: str | None = None) -> str | None:
        """The checkout page a shopper can open (the store's URL, else shop, public, onion, private), or None."""
        ...


class StaticUrls:
    """Fixed URLs (tests, tools without listeners)."""

    def __init__(self, urls: Mapping[str, str] | None = None) -> None:
        self._urls = dict(urls or {})

    def current(self) -> Mapping[str, str]:
        return dict(self._urls)

    def invoice_url(self, invoice_id: str, *, store_url: str | None = None) -> str | None:
        return checkout_url(self._urls, invoice_id, store_url=store_url)


UNSPECIFIED_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})  # bind addresses: nobody can open them


def openable(url: str | None) -> bool:
    """A base URL a browser can open: not a wildcard bind address such as http://0.0.0.0:8471."""
    if not url:
        return False
    host = urlsplit(url).hostname
    return host is not None and host not in UNSPECIFIED_HOSTS and host.strip("[]") not in UNSPECIFIED_HOSTS


def checkout_base(urls: Mapping[str, str], *, store_url: str | None = None, over_tor: bool = False,
                  request_origin: str | None = None) -> str | None:
    """Where shoppers open checkout pages, in order: the store's public URL, the onion when the request came
    over Tor, the configured public URL ("shop"), the public listener's LAN address ("public"), the request's
    own (trusted) origin; then, for links made without a request, the onion and the private listener."""
    candidates = (store_url, urls.get("onion") if over_tor else None, urls.get("shop"), urls.get("public"),
                  request_origin, urls.get("onion"), urls.get("private"))
    return next((base.rstrip("/") for base in candidates if base and openable(base)), None)


def checkout_url(urls: Mapping[str, str], invoice_id: str, *, store_url: str | None = None, over_tor: bool = False,
                 request_origin: str | None = None) -> str | None:
    """The checkout page of `invoice_id` at `checkout_base`, or None when nothing openable is serving."""
    base = checkout_base(urls, store_url=store_url, over_tor=over_tor, request_origin=request_origin)
    return f"{base}/i/{invoice_id}" if base else None


class BackupWriter(Protocol):
    """Writes an encrypted backup while the app runs (blocking: call it through asyncio.to_thread)."""

    def create(self, out_path: Path, passphrase: str) -> BackupInfo: ...


@dataclass(frozen=True)
class PublicStatus:
    """The public (LAN) listener as it is now: what the Settings window and /health show."""

    enabled: bool
    url: str | None = None
    tls: bool = False
    certificate: CertificateInfo | None = None
    problem: StartError | None = None  # why it is not serving (port in use, bad certificate...)


class PublicListenerStatus(Protocol):
    def status(self) -> PublicStatus: ...


class NoPublicListener:
    """For tools and tests without listeners."""

    def status(self) -> PublicStatus:
        return PublicStatus(enabled=False)


class ExposureControl(Protocol):
    """How shoppers reach the checkout, switched live (Settings → Exposure, the wizard's Finish).

    The runtime's ``app.exposure_control.ExposureController`` is the real one: each change is applied
    without restarting (the public listener or tor is stopped/started) and saved to config.toml. A
    failure raises UserFacingError with ``field`` = the setting's name and leaves the old state."""

    def current(self) -> ExposureState: ...

    def subscribe(self, callback: Callable[[ExposureState], None]) -> Callable[[], None]:
        """``callback(state)`` on the app's loop after every change (tor status included)."""
        ...

    async def set_lan(self, enabled: bool) -> None: ...

    async def set_tor(self, enabled: bool) -> None: ...

    async def apply_lan(self, change: LanChange) -> ExposureState: ...

    async def apply_tls(self, change: TlsChange) -> ExposureState: ...

    async def apply_tor(self, change: TorChange) -> ExposureState: ...


class NoListenerToSwitch(UserFacingError):
    code = "no_listener"


class NoExposureControl:
    """For tools and tests without a runtime: nothing serves, so nothing can be switched."""

    MESSAGE = "This RedWaves runs without the checkout server, so there is no listener to switch."

    def current(self) -> ExposureState:
        return ExposureState(available=False)

    def subscribe(self, callback: Callable[[ExposureState], None]) -> Callable[[], None]:
        return lambda: None

    async def set_lan(self, enabled: bool) -> None:
        raise NoListenerToSwitch(self.MESSAGE, field="public_enabled")

    async def set_tor(self, enabled: bool) -> None:
        raise NoListenerToSwitch(self.MESSAGE, field="tor_enabled")

    async def apply_lan(self, change: LanChange) -> ExposureState:
        raise NoListenerToSwitch(self.MESSAGE, field="public_enabled")

    async def apply_tls(self, change: TlsChange) -> ExposureState:
        raise NoListenerToSwitch(self.MESSAGE, field="public_tls")

    async def apply_tor(self, change: TorChange) -> ExposureState:
        raise NoListenerToSwitch(self.MESSAGE, field="tor_enabled")
