"""A shopper's Lightning node for tests: Debian's Electrum 4.3.4 as a SEPARATE process (not our code).

``ShopperNode(tmpdir, "127.0.0.1:PORT:t")`` runs ``electrum --regtest daemon`` with its own data
directory, pointed at one Electrum server only (the devnet), gossip off (trampoline and direct
peers), recoverable channels off and a Lightning listen port of its own, so the merchant can open
channels to it too. Every call is bounded by a timeout; use it as a context manager (or call
``stop()`` in a ``finally``) so the daemon never outlives the test.

Run with the system python and ``-P`` (tests/chain/test_payouts_support.py says why).
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import socket
import subprocess
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

PYTHON = "/usr/bin/python3"
ELECTRUM_SCRIPT = "/usr/lib/python3/dist-packages/electrum/electrum"
CALL_TIMEOUT_S = 60.0
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A free port on 127.0.0.1 below 32768: Electrum 4.3.4's static channel backup stores the peer's port
    as a signed 16-bit number (lnutil ImportedChannelBackupStorage.to_bytes), so higher ports break backups."""
    for port in random.sample(range(20_000, 32_000), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


def btc(sat: int) -> str:
    """Electrum's command line takes amounts in BTC."""
    return str(Decimal(sat) / Decimal(100_000_000))


class ElectrumCallFailed(AssertionError):
    def __init__(self, args: tuple[str, ...], returncode: int, output: str) -> None:
        super().__init__(f"electrum {' '.join(args[:1])} failed ({returncode}): {output[-2000:]}")
        self.output = output


class ShopperNode:
    def __init__(self, tmpdir: Path, electrum_server: str, *, listen_port: int | None = None,
                 to_self_delay: int = 144, rpc: bool = False) -> None:
        self.to_self_delay = to_self_delay
        # rpc: the daemon also answers JSON-RPC on 127.0.0.1:rpc_port (``rpc()``: no process per call);
        # the CLI then talks to it over that TCP port too (Electrum reads the port from its lockfile)
        self.rpc_port = free_port() if rpc else None
        self._rpc_auth = ("shopper", secrets.token_hex(16))
        # short: the daemon's unix socket (<home>/regtest/daemon_rpc_socket) must fit in 107 bytes
        self.home = Path(tmpdir) / "e"
        self.server = electrum_server
        self.listen_port = listen_port or free_port()
        self.wallet = self.home / "regtest" / "wallets" / "default_wallet"
        self._started = False

    # -- process ---------------------------------------------------------------------------------

    def call(self, *args: str, timeout_s: float = CALL_TIMEOUT_S, wallet: bool = True) -> Any:
        """One ``electrum`` command against the running daemon; its JSON answer (or text)."""
        cmd = [PYTHON, "-P", ELECTRUM_SCRIPT, "--regtest", "-D", str(self.home)]
        if wallet:
            cmd += ["-w", str(self.wallet)]
        done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout_s,  # noqa: S603
                              check=False)
        out = done.stdout.strip()
        if done.returncode != 0:
            raise ElectrumCallFailed(args, done.returncode, (out + "\n" + done.stderr).strip())
        try:
            return json.loads(out)
        except ValueError:
            return out

    def start(self, seed: str | None = None) -> None:
        """Configure, start the daemon, create (or restore ``seed``) a segwit wallet and load it."""
        self.home.mkdir(parents=True, exist_ok=True)
        for key, value in (("oneserver", "true"), ("auto_connect", "false"), ("server", self.server),
                           ("use_gossip", "false"), ("use_recoverable_channels", "false"),
                           ("lightning_listen", f"127.0.0.1:{self.listen_port}"), ("check_updates", "false"),
                           # the CSV delay this node imposes on its peers' to_local outputs (Electrum's default:
                           # 1008 blocks); 144 keeps a force-close test short
                           ("lightning_to_self_delay", str(self.to_self_delay))):
            self.call("--offline", "setconfig", key, value, wallet=False)
        if self.rpc_port is not None:
            for key, value in (("rpcport", str(self.rpc_port)), ("rpcuser", self._rpc_auth[0]),
                               ("rpcpassword", self._rpc_auth[1])):
                self.call("--offline", "setconfig", key, value, wallet=False)
        if seed is None:
            self.call("--offline", "create", "--seed_type", "segwit")
        else:
            self.call("--offline", "restore", seed)
        self.call("daemon", "-d", wallet=False, timeout_s=START_TIMEOUT_S)
        self._started = True
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.call("load_wallet")
                break
            except ElectrumCallFailed:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def rpc(self, method: str, timeout_s: float = CALL_TIMEOUT_S, wallet: bool = True, **params: Any) -> Any:
        """One JSON-RPC call to the daemon's own RPC port (``ShopperNode(..., rpc=True)``); the default wallet
        is passed as ``wallet`` (unless ``wallet=False``: a command without one). Raises ElectrumCallFailed
        with the daemon's message on an error answer."""
        if self.rpc_port is None:
            raise RuntimeError("ShopperNode(rpc=True) runs the daemon's JSON-RPC port")
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": ({"wallet": str(self.wallet)} if wallet else {}) | params}).encode()
        token = base64.b64encode(":".join(self._rpc_auth).encode()).decode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.rpc_port}/", data=body, method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - 127.0.0.1 only
            answer = json.loads(response.read())
        if answer.get("error"):
            raise ElectrumCallFailed((method,), 1, str(answer["error"].get("message")))
        return answer.get("result")

    def lnpay_rpc(self, bolt11: str, *, timeout_s: float = 30) -> dict[str, Any]:
        """``lnpay`` over the JSON-RPC port (no CLI process): {"success", "payment_hash", "preimage", "log"}."""
        result: dict[str, Any] = self.rpc("lnpay", timeout_s=timeout_s + 30, invoice=bolt11, timeout=int(timeout_s))
        return result

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        try:
            self.call("stop", wallet=False, timeout_s=20)
        except (ElectrumCallFailed, subprocess.TimeoutExpired):
            self._kill()

    def _kill(self) -> None:
        pid_file = self.home / "regtest" / "daemon"
        try:
            pid = json.loads(pid_file.read_text())["pid"] if pid_file.exists() else None
        except (OSError, ValueError, KeyError, TypeError):
            pid = None
        if pid:
            import os
            import signal

            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def __enter__(self) -> ShopperNode:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- wallet and node ---------------------------------------------------------------------------

    def address(self) -> str:
        return str(self.call("getunusedaddress"))

    def balance(self) -> dict[str, str]:
        result: dict[str, str] = self.call("getbalance")
        return result

    def synchronized(self) -> bool:
        return bool(self.call("is_synchronized"))

    def node_id(self) -> str:
        return str(self.call("nodeid")).split("@", 1)[0]

    def connect_string(self) -> str:
        return f"{self.node_id()}@127.0.0.1:{self.listen_port}"

    def open_channel(self, connect: str, sat: int, *, push_sat: int = 0) -> str:
        """The funding outpoint ``txid:index``."""
        args = ["open_channel", connect, btc(sat)]
        if push_sat:
            args += ["--push_amount", btc(push_sat)]
        return str(self.call(*args, timeout_s=90))

    def channels(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("list_channels")
        return result

    def lnpay(self, bolt11: str, *, timeout_s: float = 30) -> dict[str, Any]:
        result: dict[str, Any] = self.call("lnpay", bolt11, "--timeout", str(int(timeout_s)),
                                           timeout_s=timeout_s + 30)
        return result

    def add_request(self, sat: int, *, memo: str = "", expiry_s: int = 3600) -> dict[str, Any]:
        """Electrum's request; ``["lightning_invoice"]`` is the BOLT11 while the wallet has Lightning."""
        result: dict[str, Any] = self.call("add_request", btc(sat), "--memo", memo, "--expiration", str(expiry_s))
        return result

    def close_channel(self, channel_point: str, *, force: bool = False) -> str:
        args = ["close_channel", channel_point] + (["--force"] if force else [])
        return str(self.call(*args, timeout_s=90))
