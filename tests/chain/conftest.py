"""Fixtures for app/chain tests: keys made with Electrum's own bip32 code, a devnet, a watcher."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from app.chain.keys import set_network
from tests.conftest import serving_devnet

set_network("regtest")  # one network per process; every chain test runs on regtest

SEED_A = "cram unit fog crew glass reform stuff cricket guess cable loyal boost"


def account_node(seed: bytes, path: str, xtype: str) -> Any:
    from electrum import bip32

    return bip32.BIP32Node.from_rootseed(seed, xtype=xtype).subkey_at_private_derivation(path)


def xpub_for(seed: bytes, path: str, xtype: str, net: Any = None) -> str:
    return account_node(seed, path, xtype).convert_to_public().to_xpub(net=net)


def xprv_for(seed: bytes, path: str, xtype: str, net: Any = None) -> str:
    return account_node(seed, path, xtype).to_xprv(net=net)


def receive_addresses(desc: Any, up_to_index: int, first: int = 0) -> dict[int, str]:
    """What RedWaves hands ChainWatcher.watch: index -> address, derived with app.chain.keys."""
    from app.chain.keys import derive_addresses

    return dict(zip(range(first, up_to_index + 1), derive_addresses(desc, first, up_to_index + 1 - first), strict=True))


async def wait_until(predicate: Callable[[], Any], timeout_s: float = 15.0, what: str = "condition") -> Any:
    """Poll ``predicate`` on the test loop until truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.02)


def non_daemon_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate()
                  if t is not threading.main_thread() and not t.daemon and t.is_alive()
                  and not t.name.startswith("asyncio_"))  # the test loop's own to_thread pool


@pytest.fixture
async def devnet() -> AsyncIterator[Any]:
    async with serving_devnet(110) as net:
        yield net


@pytest.fixture
def chain_datadir(tmp_path: Path) -> Path:
    return tmp_path / "chain"


@pytest.fixture
async def electrum_runtime(tmp_path: Path) -> AsyncIterator[Any]:
    """Electrum's loop thread alone (wallet objects fire callbacks, which need it)."""
    from app.chain.models import ChainSettings
    from app.chain.runtime import ElectrumRuntime

    runtime = ElectrumRuntime(ChainSettings(network="regtest", datadir=tmp_path / "runtime"))
    runtime.start_loop()
    try:
        yield runtime
    finally:
        await runtime.stop()
