"""The daemon's wire protocol over a real loopback listener: auth, JSON-RPC shapes, spec, events."""

from __future__ import annotations

import asyncio
import base64
import json
from types import SimpleNamespace

import aiohttp
import pytest

from app.chain.models import TipChanged
from app.secrets import SecretStore
from app.services.compat.bitcart.service import daemon_credentials
from tests.conftest import TEST_VPUB
from tests.integration.helpers import wait_for, wait_synced

pytestmark = pytest.mark.slow

def segwit_tx_hex() -> str:
    """One P2WPKH-style input (72 + 33 byte witness), one output: 82 base bytes, 192 in all -> 110 vbytes."""
    tx = (b"\x02\x00\x00\x00" + b"\x00\x01" + b"\x01" + b"\x11" * 32 + b"\x00\x00\x00\x00" + b"\x00"
          + b"\xfd\xff\xff\xff" + b"\x01" + (50_000).to_bytes(8, "little") + b"\x16\x00\x14" + b"\x22" * 20
          + b"\x02" + b"\x48" + b"\x30" * 72 + b"\x21" + b"\x02" * 33 + b"\x00\x00\x00\x00")
    return tx.hex()


def _auth(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


@pytest.fixture
async def http(daemon_env):
    async with aiohttp.ClientSession(headers=_auth(daemon_env.login, daemon_env.password)) as session:

        async def rpc(method, params=None, *, req_id=1, body=None, headers=None):
            payload = body if body is not None else json.dumps(
                {"jsonrpc": "2.0", "id": req_id, "method": method, "params": [] if params is None else params})
            async with session.post(daemon_env.url + "/", data=payload, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=20)) as resp:
                assert resp.status == 200
                return await resp.json()

        yield SimpleNamespace(session=session, rpc=rpc)


async def test_credentials_are_generated_once_and_kept_in_keyring(daemon_env):
    again = daemon_credentials(SecretStore(daemon_env.runtime.settings.network))
    assert again.login == daemon_env.login and again.password.reveal() == daemon_env.password
    assert len(daemon_env.password) >= 24 and "***" in repr(again) and daemon_env.password not in repr(again)
    rotated = daemon_credentials(SecretStore(daemon_env.runtime.settings.network), regenerate=True)
    assert rotated.password.reveal() != daemon_env.password


async def test_auth_parse_and_unknown_method_errors(daemon_env, http):
    async with aiohttp.ClientSession() as anonymous:
        for headers in ({}, _auth(daemon_env.login, "wrong"), {"Authorization": "Basic !!!"}):
            async with anonymous.post(daemon_env.url + "/", data="{}", headers=headers) as resp:
                assert await resp.json() == {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Unauthorized"},
                                             "id": None}
            async with anonymous.get(daemon_env.url + "/spec", headers=headers) as resp:
                assert (await resp.json())["error"]["code"] == -32600
    browser = {"Origin": "http://evil.example"}
    assert (await http.rpc("getinfo", headers=browser))["error"]["code"] == -32600
    assert (await http.rpc("x", body="{not json"))["error"] == {"code": -32700, "message": "Parse error"}
    assert (await http.rpc("x", body="[]"))["error"]["code"] == -32600
    assert (await http.rpc("nope", req_id=7)) == {"jsonrpc": "2.0", "id": 7,
                                                  "error": {"code": -32601, "message": "Procedure not found"}}
    assert (await http.rpc("", body=json.dumps({"id": 3})))["error"]["code"] == -32601
    assert (await http.rpc("add_request", ["0.001"]))["error"] == {"code": -32000, "message": "Wallet not loaded"}
    assert (await http.rpc("get_updates", []))["error"]["code"] == -32000
    assert (await http.rpc("validatekey", ["a", "b", "c"]))["error"]["code"] == -32014
    assert (await http.rpc("get_tx_size", ["zz"]))["error"]["code"] == -32014


async def test_spec(http, daemon_env):
    async with http.session.get(daemon_env.url + "/spec") as resp:
        spec = await resp.json()
    assert isinstance(spec["version"], str) and spec["capabilities"] == {"lightning": False}
    codes = {int(code) for code in spec["exceptions"]}
    assert {-32700, -32600, -32601} | set(range(-32014, -31999)) <= codes
    assert spec["exceptions"]["-32600"] == {"exc_name": "UnauthorizedError", "docstring": "Unauthorized"}
    assert spec["exceptions"]["-32000"]["exc_name"] == "WalletNotLoadedError"
    assert all(isinstance(code, int) for code in spec["electrum_map"].values())


async def test_params_as_list_dict_and_list_with_named_tail(http):
    by_list = await http.rpc("add_request", ["0.001", "list", 600, {"xpub": TEST_VPUB}])
    by_dict = await http.rpc("add_request", {"amount": "0.002", "memo": "dict", "xpub": {"xpub": TEST_VPUB,
                                                                                       "diskless": True}})
    mixed = await http.rpc("add_request", ["0.003", {"memo": "mixed", "expiry": 0, "xpub": TEST_VPUB}])
    assert by_list["result"]["message"] == "list" and by_list["result"]["expiry"] == 600
    assert by_dict["result"]["amount_sat"] == 200_000 and by_dict["result"]["expiry"] == 3600  # Electrum's default
    assert mixed["result"]["message"] == "mixed" and mixed["result"]["expiry"] == 7 * 86400
    assert by_list["jsonrpc"] == "2.0" and by_list["id"] == 1 and "error" not in by_list
    listed = await http.rpc("list_requests", {"pending": True, "xpub": TEST_VPUB})
    assert {r["request_id"] for r in listed["result"]} == {by_list["result"]["request_id"],
                                                          by_dict["result"]["request_id"],
                                                          mixed["result"]["request_id"]}
    assert (await http.rpc("list_requests", {"paid": True, "xpub": TEST_VPUB}))["result"] == []
    float_amount = await http.rpc("add_request", {"amount": 0.1, "xpub": TEST_VPUB})  # JSON number, no float maths
    assert float_amount["result"]["amount_sat"] == 10_000_000
    assert (await http.rpc("add_request", {"amount": "0.000000001", "xpub": TEST_VPUB}))["error"]["code"] == -32014
    assert (await http.rpc("add_request", {"xpub": TEST_VPUB}))["error"]["code"] == -32014
    assert (await http.rpc("add_request", ["1", {"xpub": TEST_VPUB, "wallet": "x"}]))["error"]["code"] == -32014


async def test_fees_sizes_and_broadcast(http, daemon_env):
    await wait_synced(daemon_env.runtime)
    assert (await http.rpc("get_tx_size", [segwit_tx_hex()]))["result"] == 110
    fee = (await http.rpc("get_default_fee", [1000]))["result"]
    rate = (await http.rpc("recommended_fee", [2]))["result"]
    assert isinstance(fee, str) and int(round(float(fee) * 1e8)) == (rate or 1000)
    assert (await http.rpc("broadcast", ["00"]))["error"]["code"] == -32603


async def test_websocket_scoped_to_its_wallet_and_polling_capped(daemon_env, http):
    from electrum.bip32 import BIP32Node

    other_vpub = BIP32Node.from_rootseed(b"\x07" * 32, xtype="p2wpkh").subkey_at_private_derivation(
        "m/84'/1'/0'").to_xpub()
    runtime = daemon_env.runtime
    await wait_synced(runtime)
    mine = (await http.rpc("add_request", ["0.0004", {"xpub": TEST_VPUB}]))["result"]
    assert (await http.rpc("getbalance", {"xpub": other_vpub}))["result"]["confirmed"] == "0."
    received: dict[str, list[dict]] = {"mine": [], "other": [], "all": []}

    async def listen(name, xpub):
        async with http.session.ws_connect(daemon_env.url + "/ws") as ws:
            if xpub:
                await ws.send_json({"xpub": xpub})
            async for msg in ws:
                received[name].append(msg.json())

    tasks = [asyncio.create_task(listen("mine", TEST_VPUB)), asyncio.create_task(listen("other", other_vpub)),
             asyncio.create_task(listen("all", None))]
    try:
        await wait_for(lambda: len(daemon_env.daemon.events._subscriptions) == 3
                       and sum(s.wallet_key is not None for s in daemon_env.daemon.events._subscriptions) == 2,
                       what="three websockets")
        await runtime.devnet.pay(mine["address"], 40_000)
        await wait_for(lambda: any(n["updates"][0]["event"] == "new_payment" for n in received["mine"]),
                       what="new_payment on the wallet's socket")
        await wait_for(lambda: any(n["updates"][0]["event"] == "new_payment" for n in received["all"]),
                       what="new_payment on the unscoped socket")
        note = next(n for n in received["mine"] if n["updates"][0]["event"] == "new_payment")
        assert note["wallet"] == TEST_VPUB and note["currency"] == "BTC"
        assert note["updates"][0]["address"] == mine["request_id"] and note["updates"][0]["status"] == 7
        await runtime.devnet.mine(1)
        await wait_for(lambda: any(n["updates"][0]["event"] == "new_block" for n in received["other"]),
                       what="new_block reaches every socket")
        assert all(n["wallet"] is None for n in received["other"])  # nothing of the other wallet
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    await http.rpc("get_updates", {"xpub": TEST_VPUB})
    base = runtime.chain.state().tip_height
    for height in range(base + 1, base + 151):
        daemon_env.daemon.events.on_chain_event(TipChanged(height=height))
    updates = (await http.rpc("get_updates", {"xpub": TEST_VPUB}))["result"]
    assert len(updates) == 100 and updates[-1] == {"event": "new_block", "height": base + 150}
    assert (await http.rpc("close_wallet", {"xpub": TEST_VPUB}))["result"] is True
    assert (await http.rpc("close_wallet", ["unknown-key"]))["result"] is False
