"""The current Bitcart SDK (requirements/sdk-current.txt, its own venv: .venv-sdk-current) as a separate
client process against RedWaves' daemon: floats computed as SDK users do, a request read back, and an
error's text as the SDK shows it. The project venv's SDK (1.18) is covered by test_sdk.py."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import TEST_VPUB

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk-current" / "bin" / "python"

CLIENT = textwrap.dedent("""
    import asyncio, json, platform, sys
    from importlib.metadata import version
    from bitcart import BTC

    async def main(url, user, password, xpub):
        btc = BTC(rpc_url=url, rpc_user=user, rpc_pass=password, xpub=xpub)
        out = {"sdk": version("bitcart"), "python": platform.python_version()}
        try:
            created = await btc.add_request(0.0001 + 2 / 1e8, "computed float", expire=15)
            out["created"] = {k: str(created[k]) for k in ("request_id", "amount_sat", "amount_BTC", "address")}
            out["read"] = str((await btc.get_request(created["request_id"]))["amount_sat"])
            try:
                await btc.add_request(-1, "negative")
            except Exception as exc:
                out["error"] = [type(exc).__name__, str(exc)]
        finally:
            await btc.server.close()  # 1.19's name (1.18: _close)
        print(json.dumps(out))

    asyncio.run(main(*sys.argv[1:]))
""")


@pytest.mark.skipif(not SDK_PYTHON.exists(), reason="no .venv-sdk-current: packaging/bootstrap.sh dev makes it")
async def test_the_current_sdk_creates_reads_and_reports_errors(daemon_env):
    proc = await asyncio.create_subprocess_exec(
        str(SDK_PYTHON), "-c", CLIENT, daemon_env.url, daemon_env.login, daemon_env.password, TEST_VPUB,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    out = json.loads(stdout.decode().strip().splitlines()[-1])
    assert out["sdk"].startswith("1.19")
    assert out["created"]["amount_sat"] == "10002" and out["read"] == "10002"  # Electrum's rounding
    invoice = await daemon_env.runtime.services.invoices.get(out["created"]["request_id"])
    assert invoice.amount_due_sat == 10002 and invoice.address == out["created"]["address"]
    name, message = out["error"]
    assert name and "amount" in message.lower()  # our sentence reaches the SDK's exception
