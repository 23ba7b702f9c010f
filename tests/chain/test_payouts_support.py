"""Helpers for the payout tests (no tests here): Debian's Electrum CLI as a separate signer process.

Debian's python3-electrum ships Electrum's launcher as /usr/lib/python3/dist-packages/electrum/electrum
(the `electrum` package installs the same script as /usr/bin/electrum). Run it with the system python
and ``-P`` so the script's own folder (which holds electrum's ``logging.py``) is not put first on
sys.path. ``--offline``: the signer never talks to any server.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ELECTRUM_SCRIPT = Path("/usr/lib/python3/dist-packages/electrum/electrum")
# An Electrum "segwit" seed (m/0', p2wpkh) and its account key on regtest: the watch-only wallet
# RedWaves holds is the vpub; only the separate Electrum process below ever sees the seed.
SIGNER_SEED = "protect damp catalog dice liar extend survey lesson panic father middle curious"
SIGNER_VPUB = ("vpub5VD2Qq49appxdwtYGetAqDkQmzYVHytzvQ2yE71ZeGqkoX7PjQmbswSyMiBq9xfMPdq7vacytT54BxmdmvB8iCQ"
               "znYVSjgdmpGnD5E1KdvM")


def electrum_cli(home: Path, wallet: Path, *args: str, timeout_s: float = 60.0) -> str:
    cmd = ["/usr/bin/python3", "-P", str(ELECTRUM_SCRIPT), "--regtest", "--offline", "-D", str(home),
           "-w", str(wallet), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)  # noqa: S603
    if done.returncode != 0:
        raise AssertionError(f"electrum {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip()


def debian_electrum_sign(workdir: Path, psbt_base64: str, seed: str = SIGNER_SEED) -> str:
    """Restore ``seed`` into a fresh wallet file of Debian's Electrum and sign the PSBT there."""
    home, wallet = workdir / "electrum-home", workdir / "signer-wallet"
    if not wallet.exists():
        restored = json.loads(electrum_cli(home, wallet, "restore", seed))
        assert restored["path"] == str(wallet)
    assert electrum_cli(home, wallet, "getmpk") == SIGNER_VPUB
    return electrum_cli(home, wallet, "signtransaction", psbt_base64)
