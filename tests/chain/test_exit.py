"""A process that forgets ChainWatcher.stop() must still exit, and still save its wallets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from app.chain.keys import derive_addresses, set_network, parse_wallet_keys
    set_network("regtest")
    from electrum import bip32, constants
    from app.chain.watcher import ChainSettings, ChainWatcher

    async def main():
        node = bip32.BIP32Node.from_rootseed(b"\\x07" * 32, xtype="p2wpkh")
        vpub = node.subkey_at_private_derivation("m/84'/1'/0'").convert_to_public().to_xpub()
        w = ChainWatcher(ChainSettings(network="regtest", datadir=Path(sys.argv[1]),
                                       server="127.0.0.1:1:t", oneserver=True))
        w.subscribe(print)
        await w.start()
        desc = parse_wallet_keys(vpub, "regtest")
        await w.open_wallet("forgot", desc)
        await w.watch("forgot", dict(enumerate(derive_addresses(desc, 0, 251))))
        # no w.stop(): the app crashed out of its loop

    asyncio.run(main())
    print("main done", flush=True)
""")


def test_forgotten_stop_does_not_hang_exit(tmp_path: Path) -> None:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=30, cwd=Path(__file__).resolve().parents[2])
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "main done" in proc.stdout
    assert elapsed < 15
    # the wallet file holds the 251 watched addresses (saved by the exit hook)
    import json

    data = json.loads((tmp_path / "regtest" / "wallets" / "forgot").read_text())
    assert data["wallet_type"] == "imported" and len(data["addresses"]) == 251
