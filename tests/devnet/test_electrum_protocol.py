"""The Electrum-protocol server over raw TCP: answers, errors, batches, subscriptions, robustness."""

from __future__ import annotations

import asyncio
import hashlib
import json

from app.devnet import Devnet
from app.devnet.addresses import address_to_script, scripthash
from app.devnet.blocks import GENESIS_HASH
from app.devnet.hashes import hash_to_hex, sha256d
from tests.devnet.raw_client import RawClient

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


async def test_handshake_and_headers(devnet: Devnet) -> None:
    client = await RawClient.connect(devnet.port)
    try:
        assert await client.result("server.version", "electrum/4.3.4", "1.4") == ["RedWaves devnet 0.1", "1.4"]
        tip = await client.result("blockchain.headers.subscribe")
        assert tip["height"] == devnet.tip_height
        assert hash_to_hex(sha256d(bytes.fromhex(tip["hex"]))) == devnet.tip_hash
        genesis = await client.result("blockchain.block.header", 0)
        assert hash_to_hex(sha256d(bytes.fromhex(genesis))) == GENESIS_HASH
        chunk = await client.result("blockchain.block.headers", 0, 2016)
        assert chunk["count"] == devnet.tip_height + 1 and chunk["max"] == 2016
        assert len(chunk["hex"]) == 160 * chunk["count"]
        proof = await client.result("blockchain.block.header", 5, 10)
        assert set(proof) == {"header", "branch", "root"}
        features = await client.result("server.features")
        assert features["genesis_hash"] == GENESIS_HASH
        assert await client.result("server.peers.subscribe") == []
        assert await client.result("blockchain.relayfee") == 0.00001
        assert await client.result("blockchain.estimatefee", 2) == 0.00002
        await devnet.mine(1)
        note = await client.notification("blockchain.headers.subscribe")
        assert note["params"][0]["height"] == devnet.tip_height
    finally:
        await client.close()


async def test_scripthash_status_history_and_notifications(devnet: Devnet) -> None:
    sh = scripthash(address_to_script(ADDRESS))
    watcher, bystander = await RawClient.connect(devnet.port), await RawClient.connect(devnet.port)
    try:
        assert await watcher.result("blockchain.scripthash.subscribe", sh) is None
        txid = await devnet.pay(ADDRESS, 50_000)
        note = await watcher.notification("blockchain.scripthash.subscribe")
        history = await watcher.result("blockchain.scripthash.get_history", sh)
        fee = devnet.ledger.mempool.get(txid).fee_sat
        assert history == [{"tx_hash": txid, "height": 0, "fee": fee}]
        expected = hashlib.sha256(f"{txid}:0:".encode()).hexdigest()
        assert note["params"] == [sh, expected]
        assert await watcher.result("blockchain.scripthash.get_mempool", sh) == history
        assert await watcher.result("blockchain.scripthash.get_balance", sh) == {"confirmed": 0, "unconfirmed": 50_000}
        raw = await watcher.result("blockchain.transaction.get", txid)
        assert hash_to_hex(sha256d(bytes.fromhex(raw))) != txid  # segwit: the wtxid differs from the txid
        assert devnet.transaction(txid).hex == raw

        await devnet.mine(1)
        await watcher.notification("blockchain.scripthash.subscribe")
        height = devnet.tip_height
        assert await watcher.result("blockchain.scripthash.get_history", sh) == [{"tx_hash": txid, "height": height}]
        assert await watcher.result("blockchain.scripthash.listunspent", sh) == [
            {"tx_hash": txid, "tx_pos": 0, "height": height, "value": 50_000}]
        merkle = await watcher.result("blockchain.transaction.get_merkle", txid, height)
        assert merkle["block_height"] == height and merkle["pos"] == 1
        assert await watcher.result("blockchain.transaction.id_from_pos", height, 1) == txid

        # the bystander never subscribed: it gets nothing but its own replies
        assert await bystander.result("server.ping") is None
        assert bystander.notifications == []
        assert await watcher.result("blockchain.scripthash.unsubscribe", sh) is True
    finally:
        await watcher.close()
        await bystander.close()


async def test_child_of_unconfirmed_parent_has_height_minus_one(devnet: Devnet) -> None:
    # exhaust confirmed faucet coins is slow; instead spend a mempool output of the faucet directly
    first = await devnet.pay(ADDRESS, 10_000)
    coins = [c for c in devnet.ledger.spendable(devnet.faucet.scripthash) if c.outpoint[0] == first]
    child = devnet.faucet.sign_spend(coins, [devnet.ledger.mempool.get(first).tx.outputs[0]], True, 2)
    devnet.broadcast(child.hex)
    client = await RawClient.connect(devnet.port)
    try:
        history = await client.result("blockchain.scripthash.get_history", scripthash(address_to_script(ADDRESS)))
        assert [(h["tx_hash"], h["height"]) for h in history] == [(first, 0), (child.txid, -1)]
    finally:
        await client.close()


async def test_bad_input_gets_errors_and_server_keeps_serving(devnet: Devnet) -> None:
    bad, good = await RawClient.connect(devnet.port), await RawClient.connect(devnet.port)
    try:
        await bad.send_line(b"this is not json")
        assert (await bad.read_message())["error"]["code"] == -32700
        await bad.send_line(b"\xff\xfe\x00garbage")
        assert (await bad.read_message())["error"]["code"] == -32700
        await bad.send_line(b'"a string"')
        assert (await bad.read_message())["error"]["code"] == -32600
        await bad.send_line(b"[]")
        assert (await bad.read_message())["error"]["code"] == -32600
        await bad.send_line(b'{"id": 1, "params": []}')
        assert (await bad.read_message())["error"]["code"] == -32600
        assert (await bad.call("no.such.method"))["error"]["code"] == -32601
        assert (await bad.call("blockchain.block.header"))["error"]["code"] == -32602
        assert (await bad.call("blockchain.block.header", "x"))["error"]["code"] == -32602
        assert (await bad.call("blockchain.scripthash.get_history", "zz"))["error"]["code"] == -32602
        assert (await bad.call("server.ping", 1, 2, 3))["error"]["code"] == -32602
        assert (await bad.call("blockchain.block.header", 10**6))["error"]["code"] == 1
        reply = await bad.call("blockchain.transaction.broadcast", "00")
        assert reply["error"]["message"].startswith("the transaction was rejected by network rules.\n\nTX decode failed")
        # a batch mixes results and errors, a notification-style request gets no reply
        await bad.send_line(json.dumps([{"jsonrpc": "2.0", "id": 7, "method": "server.ping"},
                                        {"jsonrpc": "2.0", "method": "server.ping"},
                                        {"jsonrpc": "2.0", "id": 8, "method": "nope"}]).encode())
        batch = await bad.read_message()
        assert [(r["id"], "result" in r) for r in batch] == [(7, True), (8, False)]
        # the other client is unaffected
        assert await good.result("server.ping") is None
        # an oversized line ends that session only
        await bad.send_line(b"[" + b" " * 4_100_000 + b"]")
        assert (await bad.read_message())["error"]["code"] == -32600
        assert await good.result("blockchain.headers.subscribe")
    finally:
        await bad.close()
        await good.close()


async def test_disconnected_clients_are_cleaned_up_and_outage(devnet: Devnet) -> None:
    clients = [await RawClient.connect(devnet.port) for _ in range(3)]
    for client in clients:
        await client.result("blockchain.headers.subscribe")
    assert devnet.server.session_count == 3
    for client in clients:
        await client.close()
    for _ in range(100):
        if devnet.server.session_count == 0:
            break
        await asyncio.sleep(0.01)
    assert devnet.server.session_count == 0
    await devnet.mine(1)  # notifying nobody must not fail

    port = devnet.port
    await devnet.stop_server()
    try:
        await RawClient.connect(port)
        raise AssertionError("server should be down")
    except OSError:
        pass
    await devnet.start_server()
    assert devnet.port == port
    client = await RawClient.connect(port)
    assert (await client.result("blockchain.headers.subscribe"))["height"] == devnet.tip_height
    await client.close()
