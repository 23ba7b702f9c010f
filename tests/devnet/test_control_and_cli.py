"""The HTTP control endpoint, the CLI (in-process and ``python -m app.devnet``) and persistence."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.devnet import Devnet
from app.devnet.cli import configure_parser, run
from app.devnet.control_server import ControlServer, create_control_app

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
REPO = Path(__file__).resolve().parents[2]


async def test_control_endpoints(devnet: Devnet, aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_control_app(devnet))
    status = await (await client.get("/status")).json()
    assert status["tip_height"] == devnet.tip_height and status["faucet_address"] == devnet.faucet.address

    reply = await client.post("/pay", json={"address": ADDRESS, "sat": 10_000, "rbf": True})
    txid = (await reply.json())["txid"]
    assert txid in devnet.ledger.mempool
    bumped = (await (await client.post("/replace", json={"txid": txid})).json())["txid"]
    assert bumped in devnet.ledger.mempool and txid not in devnet.ledger.mempool
    mined = await (await client.post("/mine", json={"n": 2})).json()
    assert len(mined["block_hashes"]) == 2 and mined["tip_height"] == devnet.tip_height
    reorged = await (await client.post("/reorg", json={"depth": 2})).json()
    assert len(reorged["block_hashes"]) == 3
    assert (await (await client.post("/fee_rate", json={"sat_per_vbyte": 7})).json())["fee_rate_sat_vb"] == 7
    funded = await (await client.post("/fund", json={"address": ADDRESS, "sat": 5_000})).json()
    assert devnet.ledger.chain.find_tx(funded["txid"]) is not None
    payment = (await (await client.post("/pay", json={"address": ADDRESS, "sat": 7_000, "rbf": False})).json())
    ds = await (await client.post("/double_spend", json={"txid": payment["txid"], "to_address": ADDRESS})).json()
    assert devnet.ledger.chain.tip.txs[1].txid == ds["txid"]
    again = (await (await client.post("/pay", json={"address": ADDRESS, "sat": 7_000})).json())["txid"]
    assert (await (await client.post("/drop", json={"txid": again})).json())["evicted"] == [again]

    # errors are JSON with a code
    for path, body, status_code, code in [
        ("/pay", {"address": "nonsense", "sat": 1}, 400, "invalid_address"),
        ("/pay", {"address": ADDRESS}, 400, "bad_request"),
        ("/pay", {"address": ADDRESS, "sat": "10"}, 400, "bad_request"),
        ("/pay", {"address": ADDRESS, "sat": True}, 400, "bad_request"),
        ("/drop", {"txid": "00" * 32}, 404, "not_found"),
        ("/broadcast", {"hex": "00"}, 400, "tx_rejected"),
    ]:
        reply = await client.post(path, json=body)
        assert reply.status == status_code, path
        assert (await reply.json())["error"]["code"] == code
    reply = await client.post("/pay", data=b"{not json", headers={"Content-Type": "application/json"})
    assert reply.status == 400 and (await reply.json())["error"]["code"] == "bad_request"
    reply = await client.get("/nowhere")
    assert reply.status == 404 and "error" in await reply.json()

    assert (await (await client.post("/server/stop")).json()) == {"serving": False}
    assert not devnet.server.is_serving
    assert (await (await client.post("/server/start")).json())["serving"] is True


async def test_cli_subcommands_talk_to_the_control_url(devnet: Devnet, capsys: pytest.CaptureFixture[str]) -> None:
    control = ControlServer(devnet)
    await control.start()
    parser = __import__("argparse").ArgumentParser()
    configure_parser(parser)

    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(run, parser.parse_args(["--control", control.url, *argv]))

    try:
        height = devnet.tip_height
        assert await cli("pay", ADDRESS, "12345", "--no-rbf") == 0
        [txid] = list(devnet.ledger.mempool.entries)
        assert not devnet.ledger.mempool.get(txid).tx.signals_rbf
        assert await cli("mine", "3") == 0
        assert devnet.tip_height == height + 3
        assert await cli("reorg", "1") == 0
        assert devnet.tip_height == height + 4
        assert await cli("fee-rate", "9") == 0 and devnet.fee_rate_sat_vb == 9
        assert await cli("status") == 0
        assert f'"tip_height": {devnet.tip_height}' in capsys.readouterr().out
        assert await cli("drop", "00" * 32) == 1
        assert "not in the mempool" in capsys.readouterr().err
    finally:
        await control.stop()
    assert await cli("status") == 1  # control endpoint gone
    assert "cannot reach" in capsys.readouterr().err


async def test_python_m_app_devnet_serves_until_sigterm(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.devnet", "--control-port", "0", "--datadir", str(tmp_path), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        lines = []
        while len(lines) < 2:
            line = await asyncio.wait_for(proc.stdout.readline(), 20)  # type: ignore[union-attr]
            assert line, "devnet exited early"
            lines.append(line.decode())
        assert lines[0].startswith("Electrum server: 127.0.0.1:") and lines[0].strip().endswith(":t")
        assert lines[1].startswith("Control URL: http://127.0.0.1:")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    assert (tmp_path / "devnet.json").exists()


async def test_datadir_keeps_chain_and_mempool_across_restarts(tmp_path: Path) -> None:
    async with Devnet(datadir=tmp_path, premine_blocks=105) as first:
        await first.pay(ADDRESS, 10_000)
        await first.mine(2)
        pending = await first.pay(ADDRESS, 20_000)
        await first.set_fee_rate(5)
        tip, height = first.tip_hash, first.tip_height
    async with Devnet(datadir=tmp_path, premine_blocks=105) as second:
        assert (second.tip_hash, second.tip_height) == (tip, height)
        assert pending in second.ledger.mempool and second.fee_rate_sat_vb == 5
        await second.mine(1)
        assert second.ledger.chain.find_tx(pending) is not None
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
