"""Issue 17 (items 1 and 8): every oversized daemon input is refused fast with a specific JSON-RPC error,
and /health on the private listener keeps answering meanwhile. Before the bounds: `1e999999` took 27 s,
a 40 KB xpub 2.7 s, and "1e400", deep nesting, a non-string `help` argument and bodies over 1 MiB all
answered -32603."""

from __future__ import annotations

import base64
import io
import json

import aiohttp
import pytest

from app.checkout_server.daemon import spec
from tests.api.timing import assert_fast, health_getter, timed_with_health
from tests.conftest import TEST_VPUB

pytestmark = pytest.mark.slow


@pytest.fixture
async def daemon(daemon_env):
    token = base64.b64encode(f"{daemon_env.login}:{daemon_env.password}".encode()).decode()
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"}) as session, \
            aiohttp.ClientSession() as plain:
        health = health_getter(plain, daemon_env.runtime.urls["private"] + "/health")

        async def post(body: bytes) -> dict:
            async with session.post(daemon_env.url + "/", data=io.BytesIO(body),
                                    timeout=aiohttp.ClientTimeout(total=60)) as resp:
                assert resp.status == 200
                return await resp.json()

        async def call(body: bytes, what: str) -> dict:
            timed = await timed_with_health(lambda: post(body), health)
            assert_fast(timed, what)
            return timed.result

        assert "result" in await post(_rpc("getinfo", {"xpub": TEST_VPUB}))  # the wallet is loaded once
        yield call


def _rpc(method: str, params: object) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()


def _raw(method: str, params_json: str) -> bytes:
    return f'{{"jsonrpc": "2.0", "id": 1, "method": "{method}", "params": {params_json}}}'.encode()


def _code(answer: dict) -> int:
    assert "error" in answer, answer
    return answer["error"]["code"]


async def test_huge_numbers_are_refused_before_any_arithmetic(daemon):
    answer = await daemon(_raw("add_request", f'{{"xpub": "{TEST_VPUB}", "amount": 1e999999}}'), "1e999999")
    assert _code(answer) == spec.LIMIT_EXCEEDED and "10^30" in answer["error"]["message"]
    assert _code(await daemon(_rpc("add_request", {"xpub": TEST_VPUB, "amount": "1e400"}), '"1e400"')) \
        == spec.LIMIT_EXCEEDED
    assert _code(await daemon(_rpc("add_request", {"xpub": TEST_VPUB, "amount": "0.001", "expiry": "1e999999"}),
                              "expiry")) == spec.LIMIT_EXCEEDED
    assert _code(await daemon(_raw("add_request", f'{{"xpub": "{TEST_VPUB}", "amount": {"9" * 5000}}}'),
                              "5000 digits")) == spec.LIMIT_EXCEEDED
    assert _code(await daemon(_rpc("add_request", {"xpub": TEST_VPUB, "amount": "1e20"}), "1e20 BTC")) \
        == spec.INVALID_PARAMS  # bounded, then simply more than 21 million bitcoin
    assert _code(await daemon(_rpc("get_default_fee", [10**20]), "fee of a huge size")) == spec.INVALID_PARAMS
    assert _code(await daemon(_raw("add_request", f'{{"xpub": "{TEST_VPUB}", "amount": NaN}}'), "NaN")) \
        == spec.PARSE_ERROR
    ok = await daemon(_rpc("add_request", {"xpub": TEST_VPUB, "amount": "0.001", "expiry": "1e3"}), "normal")
    assert ok["result"]["amount_sat"] == 100_000 and ok["result"]["expiry"] == 1000


async def test_long_keys_are_refused_before_decoding(daemon):
    for key in ("x" * 40_000, "vpub" + "1" * 400_000):
        answer = await daemon(_rpc("getinfo", {"xpub": key}), f"{len(key)}-char xpub")
        assert _code(answer) == spec.LIMIT_EXCEEDED and "xpub" in answer["error"]["message"]
    answer = await daemon(_rpc("getinfo", {"xpub": "vpub" + "1" * 3000}), "3004-char xpub")
    assert _code(answer) == spec.LOADING_WALLET  # within the text bound, but one key is at most 200 chars
    assert (await daemon(_rpc("validatekey", ["vpub" + "1" * 40_000]), "validatekey 40 KB"))["result"] is False
    assert (await daemon(_rpc("validatekey", [TEST_VPUB]), "validatekey"))["result"] is True


async def test_nesting_batches_and_bodies_get_specific_errors(daemon):
    deep = await daemon(_raw("getinfo", "[" * 100_000 + "]" * 100_000), "100,000 levels")
    assert _code(deep) == spec.LIMIT_EXCEEDED and "deeper than 32" in deep["error"]["message"]
    assert _code(await daemon(_raw("getinfo", "[" * 33 + "]" * 33), "33 levels")) == spec.LIMIT_EXCEEDED
    within = await daemon(_raw("help", "[" + "[" * 10 + "]" * 10 + "]"), "11 levels")
    assert _code(within) == spec.INVALID_PARAMS  # parsed, and help refuses a list as its argument
    batch = [{"jsonrpc": "2.0", "id": i, "method": "getinfo"} for i in range(100_000)]
    answer = await daemon(json.dumps(batch).encode(), "100,000-item batch")
    assert _code(answer) == spec.LIMIT_EXCEEDED  # 4.7 MB: refused by its size before reading
    answer = await daemon(json.dumps(batch[:1000]).encode(), "1,000-item batch")  # refused before parsing
    assert answer["error"] == {"code": spec.UNAUTHORIZED,
                               "message": "Invalid Request: expected one JSON-RPC object (no batches)"}
    answer = await daemon(_rpc("getinfo", ["x" * 2_000_000]), "2 MB body")
    assert _code(answer) == spec.LIMIT_EXCEEDED and "larger than" in answer["error"]["message"]


async def test_help_takes_a_method_name(daemon):
    for params in ([["x"]], [{"a": 1}, {}], [5], {"func": 1.5}):  # a trailing object holds named arguments
        answer = await daemon(_rpc("help", params), f"help {params!r}")
        assert answer["error"] == {"code": spec.INVALID_PARAMS, "message": "func must be a method name (a string)"}
    assert (await daemon(_rpc("help", ["add_request"]), "help"))["result"].startswith("add_request(")


async def test_the_spec_lists_the_limit_error(daemon_env):
    assert spec.build_spec()["exceptions"][str(spec.LIMIT_EXCEEDED)]["exc_name"] == "LimitExceededError"
