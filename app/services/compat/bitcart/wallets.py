"""Wallets loaded through the Bitcart-compatible daemon: an xpub -> a RedWaves wallet + a hidden store.

A Bitcart client names its wallet in every call (``xpub``). The first time a key is seen it is
validated, matched to a RedWaves wallet by fingerprint (added if new) and given one hidden BTC store
(``Store.checkout == {"daemon": True, "daemon_wallet_id": ...}``, archived so the merchant's store
lists skip it) in which every daemon request becomes an ordinary RedWaves invoice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.errors import UserFacingError, ValidationError
from app.core.limits import MAX_KEY_TEXT_CHARS, check_text
from app.core.records import Store
from app.services.catalog.stores import StoreService
from app.services.wallets.wallets import WalletService

logger = logging.getLogger(__name__)

DAEMON_MARK = "daemon"
DAEMON_WALLET = "daemon_wallet_id"
DAEMON_STORE_SETTINGS: dict[str, Any] = {"speed_policy": 1, "expiry_s": 900, "monitoring_s": 86400,
                                         "underpaid_tolerance_pct": "0"}


class WalletNotLoaded(UserFacingError):
    code = "wallet_not_loaded"


@dataclass(frozen=True)
class DaemonWallet:
    key: str  # the key text exactly as the client names it (Bitcart's wallet key); never log it
    wallet_id: str
    store_id: str
    fingerprint: str


def wallet_key(spec: object) -> tuple[str, dict[str, Any]]:
    """Bitcart's ``xpub`` argument: a string, or a dict with ``xpub`` and options (``diskless``...)."""
    options: dict[str, Any] = {}
    if isinstance(spec, dict):
        options = {k: v for k, v in spec.items() if k != "xpub"}
        spec = spec.get("xpub")
    if not isinstance(spec, str) or not spec.strip():
        raise ValidationError("xpub must be a non-empty string.", code="invalid_xpub", field="xpub")
    check_text(spec, MAX_KEY_TEXT_CHARS, "xpub")  # before any decoding (quadratic in the length)
    return spec.strip(), options


def is_daemon_store(store: Store) -> bool:
    return bool(store.checkout.get(DAEMON_MARK))


class DaemonWallets:
    """The cache of loaded daemon wallets (Bitcart's ``self.wallets``), keyed by the client's key text."""

    def __init__(self, wallets: WalletService, stores: StoreService, *,
                 synced: Callable[[], bool] | None = None, sync_wait_s: float = 5.0) -> None:
        self._wallets = wallets
        self._stores = stores
        self._synced = synced
        self._sync_wait_s = sync_wait_s
        self._loaded: dict[str, DaemonWallet] = {}
        self._lock = asyncio.Lock()

    def get(self, key: str) -> DaemonWallet:
        try:
            return self._loaded[key]
        except KeyError:
            raise WalletNotLoaded("Wallet not loaded") from None

    def loaded(self) -> list[DaemonWallet]:
        return list(self._loaded.values())

    def by_store(self, store_id: str) -> list[DaemonWallet]:
        return [w for w in self._loaded.values() if w.store_id == store_id]

    async def load(self, spec: object) -> DaemonWallet:
        key, _options = wallet_key(spec)  # diskless & co: RedWaves wallets always live in SQLite
        cached = self._loaded.get(key)
        if cached is not None:
            return cached
        async with self._lock:  # two first calls with one new key must not add the wallet twice
            if key not in self._loaded:
                self._loaded[key] = await self._resolve(key)
        return self._loaded[key]

    def close(self, key: str) -> bool:
        """Forget the key (Bitcart's close_wallet). The RedWaves wallet, store and invoices stay."""
        return self._loaded.pop(key, None) is not None

    async def daemon_store_ids(self) -> set[str]:
        return {s.id for s in await self._stores.list(include_archived=True) if is_daemon_store(s)}

    async def _resolve(self, key: str) -> DaemonWallet:
        # InvalidKey -> the client's LoadingWalletError; parsing (~1 ms a key, ~10 ms a seed) runs off the loop
        desc = await asyncio.to_thread(self._wallets.validate_keys, key)
        wallet = next((w for w in await self._wallets.list() if w.fingerprint == desc.fingerprint), None)
        if wallet is None:
            wallet = await self._wallets.add_wallet(f"Daemon wallet {desc.fingerprint[:8]}", key)
            await self._wait_synced()
        store = await self._store_for(wallet.id, desc.fingerprint)
        logger.info("daemon wallet loaded: wallet %s, store %s (fingerprint %s)", wallet.id, store.id,
                    desc.fingerprint)
        return DaemonWallet(key=key, wallet_id=wallet.id, store_id=store.id, fingerprint=desc.fingerprint)

    async def _wait_synced(self) -> None:
        """Like Bitcart, let a newly added wallet catch up before answering (bounded: offline is fine).

        ChainState.synced drops only at Electrum's next callback after open_wallet, so first give it
        a moment to drop, then wait for it to come back."""
        synced = self._synced
        if synced is None:
            return
        # ChainState has no change notification to await; poll it (bounded) instead.
        await _poll_until(lambda: not synced(), timeout_s=min(0.5, self._sync_wait_s), step_s=0.02)
        await _poll_until(synced, timeout_s=self._sync_wait_s, step_s=0.05)

    async def _store_for(self, wallet_id: str, fingerprint: str) -> Store:
        for store in await self._stores.list(include_archived=True):
            if is_daemon_store(store) and store.checkout.get(DAEMON_WALLET) == wallet_id:
                return store
        return await self._stores.create(
            f"Daemon requests {fingerprint[:8]}", default_currency="BTC", wallet_ids=[wallet_id],
            checkout={DAEMON_MARK: True, DAEMON_WALLET: wallet_id}, archived=True, **DAEMON_STORE_SETTINGS)


async def _poll_until(predicate: Callable[[], bool], *, timeout_s: float, step_s: float) -> None:
    for _ in range(max(1, int(timeout_s / step_s))):
        if predicate():
            return
        await asyncio.sleep(step_s)
