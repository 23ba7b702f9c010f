import io, json, time, asyncio, base64
import aiohttp
import pytest
from tests.conftest import TEST_VPUB

async def test_probe(daemon_env):
    auth = {"Authorization": "Basic " + base64.b64encode(f"{daemon_env.login}:{daemon_env.password}".encode()).decode()}
    async with aiohttp.ClientSession(headers=auth) as s:
        async def raw(body, label):
            t = time.perf_counter()
            async with s.post(daemon_env.url + "/", data=io.BytesIO(body.encode()), timeout=aiohttp.ClientTimeout(total=60)) as r:
                txt = await r.text()
            print(label, round((time.perf_counter()-t)*1000), r.status, txt[:200])
        def rq(method, params):
            return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        await raw(rq("getinfo", {"xpub": TEST_VPUB}), "load")
        await raw(rq("add_request", {"xpub": TEST_VPUB, "amount": "1e400"}), "1e400 str")
        await raw('{"jsonrpc":"2.0","id":1,"method":"add_request","params":{"xpub":"%s","amount":1e400}}' % TEST_VPUB, "1e400 num")
        await raw('{"jsonrpc":"2.0","id":1,"method":"add_request","params":{"xpub":"%s","amount":1e9999}}' % TEST_VPUB, "1e9999 num")
        await raw(rq("add_request", {"xpub": TEST_VPUB, "amount": "0.001", "expiry": "1e9999"}), "expiry")
        await raw(rq("help", [["x"]]), "help list")
        await raw(rq("help", [{"a": 1}, {}]), "help dict")
        await raw('{"a":' * 100000 + '1' + '}' * 100000, "deep")
        await raw(json.dumps([{"jsonrpc": "2.0", "id": i, "method": "getinfo"} for i in range(100000)]), "batch")
        await raw(rq("getinfo", ["x" * 2_000_000]), "2MB")
        await raw(rq("getinfo", {"xpub": "x" * 40000}), "40k xpub")
        await raw(rq("getinfo", {"xpub": "vpub" + "1" * 40000}), "40k xpub b58")
        await raw(rq("validatekey", ["vpub" + "1" * 40000]), "validatekey 40k")
        await raw(rq("get_tx_size", ["00" * 400000]), "txsize 800k")
        await raw('{"jsonrpc":"2.0","id":1,"method":"add_request","params":{"xpub":"%s","amount":1e999999}}' % TEST_VPUB, "1e999999 num")
        await raw(rq("add_request", {"xpub": TEST_VPUB, "amount": "0.001", "expiry": "1e999999"}), "expiry big")
