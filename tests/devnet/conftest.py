"""Shared fixtures: a running Devnet, and real Electrum 4.3.4 (own loop thread) connected to it.

Reuse from another test folder by importing them into its conftest.py:
``from tests.devnet.conftest import devnet, electrum_env  # noqa: F401`` (and ``wait_until``,
``ElectrumEnv``, ``test_keystore_vpub`` as helpers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from app.devnet import Devnet

T = TypeVar("T")
ELECTRUM_STOP_TIMEOUT_S = 15.0
TEST_SEED_WORDS = "cram unit fog crew glass reform stuff cricket guess cable loyal boost"


async def wait_until(predicate: Callable[[], Any], timeout_s: float = 15.0, interval_s: float = 0.02,
                     what: str = "condition") -> Any:
    """Poll ``predicate`` (sync) on the test loop until truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(interval_s)


@pytest.fixture
async def devnet() -> AsyncIterator[Devnet]:
    net = Devnet(premine_blocks=110)
    await net.start()
    try:
        yield net
    finally:
        await net.stop()


@dataclass
class ElectrumEnv:
    """Electrum's config, daemon and network, on Electrum's own loop thread."""

    devnet: Devnet
    config: Any
    daemon: Any
    network: Any
    loop: asyncio.AbstractEventLoop
    datadir: Path

    async def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 20.0) -> T:
        """Run an Electrum coroutine on Electrum's loop and await it from the test loop."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)

    async def wait_connected(self, timeout_s: float = 15.0) -> None:
        await wait_until(lambda: self.network.is_connected()
                         and self.network.get_local_height() == self.devnet.tip_height,
                         timeout_s, what="Electrum connected and synced to the devnet tip")

    def restore_wallet(self, text: str, name: str = "wallet", gap_limit: int = 20) -> Any:
        from electrum.wallet import restore_wallet_from_text

        wallet = restore_wallet_from_text(text, path=str(self.datadir / name), config=self.config,
                                          password=None, encrypt_file=False, gap_limit=gap_limit)["wallet"]
        wallet.start_network(self.network)
        self.daemon.add_wallet(wallet)
        return wallet


def test_keystore_vpub(seed_words: str = TEST_SEED_WORDS) -> tuple[str, str]:
    """(vprv, vpub) of BIP84 account 0 on regtest, derived with Electrum's own bip32 code."""
    from electrum import bip32, constants, keystore
    from electrum.mnemonic import Mnemonic

    constants.set_regtest()
    seed = Mnemonic.mnemonic_to_seed(seed_words, "")
    root = bip32.BIP32Node.from_rootseed(seed, xtype="p2wpkh")
    account = root.subkey_at_private_derivation("m/84'/1'/0'")
    del keystore
    return account.to_xprv(), account.to_xpub()


test_keystore_vpub.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
async def electrum_env(devnet: Devnet, tmp_path: Path) -> AsyncIterator[ElectrumEnv]:
    from electrum import constants, util
    from electrum.daemon import Daemon
    from electrum.simple_config import SimpleConfig

    constants.set_regtest()
    loop, stopping_fut, loop_thread = util.create_and_start_event_loop()
    daemon = None
    try:
        config = SimpleConfig({"electrum_path": str(tmp_path / "electrum"), "regtest": True,
                               "server": devnet.server_string, "oneserver": True, "auto_connect": False,
                               "use_exchange_rate": False, "log_to_file": False})
        daemon = await asyncio.to_thread(Daemon, config, listen_jsonrpc=False)
        env = ElectrumEnv(devnet, config, daemon, daemon.network, loop, tmp_path)
        await env.wait_connected()
        yield env
    finally:
        await _stop_electrum(daemon, loop, stopping_fut, loop_thread)


async def _stop_electrum(daemon: Any, loop: asyncio.AbstractEventLoop, stopping_fut: Any, thread: Any) -> None:
    try:
        if daemon is not None:
            future = asyncio.run_coroutine_threadsafe(daemon.stop(), loop)
            await asyncio.wait_for(asyncio.wrap_future(future), ELECTRUM_STOP_TIMEOUT_S)
    finally:
        loop.call_soon_threadsafe(stopping_fut.set_result, 1)
        await asyncio.to_thread(thread.join, ELECTRUM_STOP_TIMEOUT_S)
        # Electrum keeps process-wide state bound to its (now stopped) loop: reset it so the next
        # test can start a fresh daemon in the same process.
        import electrum.network
        from electrum import util

        electrum.network._INSTANCE = None
        util.callback_mgr.asyncio_loop = None
