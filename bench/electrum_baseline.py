"""Electrum 4.3.4's own request creation, measured for comparison with RedWaves (bench P1).

Run in its own process (Electrum's Network is a process singleton):
    python bench/electrum_baseline.py N_DIRECT N_RPC
Prints one JSON line: {"create_request_per_s": ..., "jsonrpc_add_request_per_s": ...}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from electrum import constants

constants.set_regtest()

from electrum import util  # noqa: E402
from electrum.daemon import Daemon  # noqa: E402
from electrum.simple_config import SimpleConfig  # noqa: E402
from electrum.wallet import restore_wallet_from_text  # noqa: E402

VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
        "rf8ZhDYe2jWAqvZVnsc")


def _config(datadir: str, rpc_port: int = 0) -> SimpleConfig:
    return SimpleConfig({"electrum_path": datadir, "regtest": True, "offline": True, "auto_connect": False,
                         "use_exchange_rate": False, "rpcuser": "bench", "rpcpassword": "bench",
                         "rpcport": rpc_port, "rpchost": "127.0.0.1", "rpcsock": "tcp"})


def direct(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(tmp)
        wallet = restore_wallet_from_text(VPUB, path=str(Path(tmp) / "w"), config=config, password=None,
                                          encrypt_file=False, gap_limit=20)["wallet"]
        began = time.perf_counter()
        for i in range(n):
            address = wallet.create_new_address(False)
            wallet.create_request(10_000 + i, f"bench {i}", 900, address)
        return n / (time.perf_counter() - began)


async def _rpc(n: int, port: int, wallet_path: str) -> float:
    import aiohttp

    headers = {"Authorization": aiohttp.BasicAuth("bench", "bench").encode()}
    async with aiohttp.ClientSession(headers=headers) as session:
        async def call(method: str, **params: object) -> object:
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            async with session.post(f"http://127.0.0.1:{port}/", json=body) as resp:
                reply = await resp.json(content_type=None)
            if reply.get("error"):
                raise RuntimeError(reply["error"])
            return reply["result"]

        await call("load_wallet", wallet_path=wallet_path)
        began = time.perf_counter()
        for i in range(n):
            await call("add_request", amount="0.0001", memo=f"bench {i}", expiration=900, force=True,
                       wallet=wallet_path)
        return n / (time.perf_counter() - began)


def jsonrpc(n: int) -> float:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(tmp, port)
        wallet_path = str(Path(tmp) / "w")
        restore_wallet_from_text(VPUB, path=wallet_path, config=config, password=None, encrypt_file=False,
                                 gap_limit=20)
        daemon = Daemon(config, listen_jsonrpc=True)
        time.sleep(0.5)
        rate = asyncio.run(_rpc(n, port, wallet_path))
        asyncio.run_coroutine_threadsafe(daemon.stop(), LOOP[0]).result(10)
        return rate


LOOP: list = []


if __name__ == "__main__":
    n_direct, n_rpc = (int(a) for a in sys.argv[1:3])
    loop, stopping_fut, loop_thread = util.create_and_start_event_loop()
    LOOP.append(loop)
    try:
        print(json.dumps({"create_request_per_s": round(direct(n_direct), 1),
                          "jsonrpc_add_request_per_s": round(jsonrpc(n_rpc), 1)}))
    finally:
        loop.call_soon_threadsafe(stopping_fut.set_result, 1)
        loop_thread.join(timeout=10)
