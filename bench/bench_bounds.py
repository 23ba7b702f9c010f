"""Issue 17 item 1: how fast each oversized input is refused, and /health latency meanwhile.

    .venv/bin/python bench/bench_bounds.py [--repeat 5]

Starts the real Runtime (regtest + embedded devnet, private and daemon listeners on loopback, port 0) in
a temporary data directory, then sends each oversized input ``--repeat`` times over real HTTP while
another task polls the private ``/health`` every 10 ms on the same loop. Prints, per input, the
answer (status / JSON-RPC code), the refusal time (median and worst, ms) and the worst ``/health``
latency seen while it ran; the baseline first. Figures for the closing note of issue 17.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

_HOME = tempfile.mkdtemp(prefix="redwaves-bench-home-")
os.environ.update({"HOME": _HOME, "XDG_DATA_HOME": f"{_HOME}/.local/share", "XDG_CONFIG_HOME": f"{_HOME}/.config",
                   "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"})
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
        "rf8ZhDYe2jWAqvZVnsc")


def _rpc(method: str, params_json: str) -> bytes:
    return f'{{"jsonrpc": "2.0", "id": 1, "method": "{method}", "params": {params_json}}}'.encode()


def daemon_cases() -> list[tuple[str, bytes]]:
    batch = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "getinfo"} for i in range(100_000)]).encode()
    return [
        ("add_request amount 1e999999", _rpc("add_request", f'{{"xpub": "{VPUB}", "amount": 1e999999}}')),
        ('add_request amount "1e400"', _rpc("add_request", f'{{"xpub": "{VPUB}", "amount": "1e400"}}')),
        ('add_request expiry "1e999999"', _rpc("add_request", f'{{"xpub": "{VPUB}", "amount": "0.001", '
                                                              '"expiry": "1e999999"}')),
        ("xpub of 40 KB", _rpc("getinfo", json.dumps({"xpub": "vpub" + "1" * 40_000}))),
        ("xpub of 400 KB", _rpc("getinfo", json.dumps({"xpub": "vpub" + "1" * 400_000}))),
        ("validatekey of 40 KB", _rpc("validatekey", json.dumps(["vpub" + "1" * 40_000]))),
        ("help with a list argument", _rpc("help", '[["x"]]')),
        ("nesting 100,000 deep", _rpc("getinfo", "[" * 100_000 + "]" * 100_000)),
        ("batch of 100,000 (4.7 MB)", batch),
        ("batch of 1,000", json.dumps(json.loads(batch)[:1000]).encode()),
        ("body of 2 MB", _rpc("getinfo", json.dumps(["x" * 2_000_000]))),
    ]


def api_cases(store_id: str) -> list[tuple[str, str, str, bytes]]:
    invoices = f"/api/v1/stores/{store_id}/invoices"
    gf = f"/greenfield/api/v1/stores/{store_id}/invoices"
    return [
        ("REST metadata 1e999999", "POST", invoices, b'{"price": "1.00", "metadata": {"n": 1e999999}}'),
        ("REST metadata 33 deep", "POST", invoices, b'{"price": "1.00", "metadata": ' + b'{"a": ' * 32 + b"1"
         + b"}" * 32 + b"}"),
        ("REST body of 1 MB", "POST", invoices, b" " * 1_000_000),
        ("REST wallet key of 40 KB", "POST", "/api/v1/wallets", json.dumps({"name": "w", "keys": "v" * 40_000}).encode()),
        ("REST PATCH redirect javascript:", "PATCH", f"/api/v1/stores/{store_id}",
         b'{"checkout": {"redirect_url": "javascript:alert(1)"}}'),
        ("Greenfield expirationMinutes 1e999999", "POST", gf,
         b'{"amount": "1", "currency": "USD", "checkout": {"expirationMinutes": 1e999999}}'),
        ("Greenfield ?skip=1e999999", "GET", gf + "?skip=1e999999", b""),
    ]


async def measure(send, health, repeat: int) -> tuple[str, list[float], float]:
    stop = asyncio.Event()
    worst = 0.0

    async def poll() -> None:
        nonlocal worst
        while not stop.is_set():
            started = time.perf_counter()
            await health()
            worst = max(worst, time.perf_counter() - started)
            await asyncio.sleep(0.01)

    poller = asyncio.create_task(poll())
    await asyncio.sleep(0.03)
    times, answer = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await send()
        times.append(time.perf_counter() - started)
    await asyncio.sleep(0.03)
    stop.set()
    await poller
    return answer, times, worst


def row(name: str, answer: str, times: list[float], worst: float) -> str:
    return (f"{name:40s} {answer:>24s} {statistics.median(times) * 1000:8.1f} {max(times) * 1000:8.1f} "
            f"{worst * 1000:10.1f}")


async def main(repeat: int) -> None:
    from app.config import load_settings
    from app.runtime import Runtime
    from app.secrets import SecretStore
    from app.services.compat.bitcart.service import daemon_credentials

    cases = daemon_cases()  # built before the runtime starts (json.dumps of 100,000 items blocks ~0.2 s)
    data = Path(tempfile.mkdtemp(prefix="redwaves-bench-"))
    settings = load_settings({}, {"data_dir": data, "network": "regtest", "devnet": True, "private_port": 0,
                                  "daemon_port": 0})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        services = runtime.services
        private, daemon_url = runtime.urls["private"], runtime.urls["daemon"]
        key = (await services.apikeys.bootstrap()).key.reveal()
        wallet = await services.wallets.add_wallet("bench", VPUB)
        await services.rates.set_manual_rate("USD", "50000")
        store = await services.stores.create("Bench", default_currency="USD", wallet_ids=[wallet.id])
        gf_key = (await services.apikeys.create("gf", ["invoices:write"])).key.reveal()
        credentials = daemon_credentials(SecretStore(settings.network))
        basic = base64.b64encode(f"{credentials.login}:{credentials.password.reveal()}".encode()).decode()
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async def health() -> None:
                async with session.get(private + "/health") as resp:
                    await resp.read()

            async def nothing() -> str:
                await asyncio.sleep(0.05)
                return "-"

            print(f"{'input':40s} {'answer':>24s} {'med ms':>8s} {'max ms':>8s} {'health ms':>10s}")
            print(row("(baseline: /health alone)", *await measure(nothing, health, repeat)))
            await session.post(daemon_url + "/", data=_rpc("getinfo", f'{{"xpub": "{VPUB}"}}'),
                               headers={"Authorization": f"Basic {basic}"})
            for name, body in cases:
                async def send(body: bytes = body) -> str:
                    async with session.post(daemon_url + "/", data=io.BytesIO(body),
                                            headers={"Authorization": f"Basic {basic}"}) as resp:
                        answer = await resp.json()
                    return f"rpc {answer['error']['code']}" if "error" in answer else f"result {answer['result']}"

                print(row(f"daemon {name}", *await measure(send, health, repeat)))
            for name, method, path, body in api_cases(store.id):
                token = f"token {gf_key}" if path.startswith("/greenfield") else f"Bearer {key}"

                async def send_api(method: str = method, path: str = path, body: bytes = body,
                                   token: str = token) -> str:
                    headers = {"Authorization": token, "Content-Type": "application/json"}
                    async with session.request(method, private + path, data=io.BytesIO(body) if body else None,
                                               headers=headers) as resp:
                        payload = await resp.json()
                    code = payload["error"]["code"] if isinstance(payload, dict) and "error" in payload else (
                        payload.get("code") if isinstance(payload, dict) else "problem")
                    return f"{resp.status} {code}"

                print(row(name, *await measure(send_api, health, repeat)))
    finally:
        await runtime.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
