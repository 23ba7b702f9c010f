"""``redwaves devnet``: serve a devnet, or drive a running one through its control URL."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_CONTROL_PORT = 18555
CONTROL_ENV = "REDWAVES_DEVNET_CONTROL"
HTTP_TIMEOUT_S = 30.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``devnet`` on a parent's ``add_subparsers()`` object."""
    parser = subparsers.add_parser("devnet", help="local regtest chain with an Electrum server")
    configure_parser(parser)
    return parser


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="Electrum TCP port (default: any free port)")
    parser.add_argument("--control-port", type=int, default=DEFAULT_CONTROL_PORT, help="HTTP control port")
    parser.add_argument("--datadir", type=Path, default=None, help="keep the chain in this directory")
    parser.add_argument("--control", default=os.environ.get(CONTROL_ENV, f"http://127.0.0.1:{DEFAULT_CONTROL_PORT}"),
                        help=f"control URL of a running devnet (env {CONTROL_ENV})")
    commands = parser.add_subparsers(dest="devnet_command")
    cmd = commands.add_parser("pay", help="pay an address from the faucet")
    cmd.add_argument("address")
    cmd.add_argument("sat", type=int)
    cmd.add_argument("--no-rbf", action="store_true")
    cmd.add_argument("--fee-rate", type=int, default=None, help="sat/vB")
    cmd = commands.add_parser("fund", help="pay and mine one block")
    cmd.add_argument("address")
    cmd.add_argument("sat", type=int)
    cmd = commands.add_parser("mine", help="mine blocks (the mempool goes in the first)")
    cmd.add_argument("n", type=int, nargs="?", default=1)
    cmd.add_argument("--to", dest="to_address", default=None)
    cmd = commands.add_parser("reorg", help="replace the last DEPTH blocks")
    cmd.add_argument("depth", type=int)
    cmd.add_argument("--include", nargs="*", default=None, help="re-mine only these txids")
    cmd.add_argument("--new-blocks", type=int, default=None)
    cmd = commands.add_parser("replace", help="RBF-replace a faucet tx (fee bump, or new outputs)")
    cmd.add_argument("txid")
    cmd.add_argument("--to", nargs=2, action="append", metavar=("ADDRESS", "SAT"), default=None)
    cmd.add_argument("--fee", type=int, default=None)
    cmd = commands.add_parser("double-spend", help="spend a faucet tx's inputs elsewhere and mine it")
    cmd.add_argument("txid")
    cmd.add_argument("address")
    cmd.add_argument("--no-mine", action="store_true")
    cmd = commands.add_parser("drop", help="evict a tx (and descendants) from the mempool")
    cmd.add_argument("txid")
    cmd = commands.add_parser("fee-rate", help="set the fee rate served to wallets")
    cmd.add_argument("sat_per_vbyte", type=int)
    commands.add_parser("status", help="tip, mempool, faucet")
    commands.add_parser("stop-server", help="simulate an outage of the Electrum server")
    commands.add_parser("start-server", help="end the outage")


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "devnet_command", None)
    if command is None:
        return asyncio.run(serve(args))
    try:
        answer = _call(args.control, *_request_for(args))
    except ControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    return 0


def _request_for(args: argparse.Namespace) -> tuple[str, dict[str, Any] | None]:
    command = args.devnet_command
    if command == "pay":
        return "/pay", {"address": args.address, "sat": args.sat, "rbf": not args.no_rbf, "fee_rate": args.fee_rate}
    if command == "fund":
        return "/fund", {"address": args.address, "sat": args.sat}
    if command == "mine":
        return "/mine", {"n": args.n, "to_address": args.to_address}
    if command == "reorg":
        return "/reorg", {"depth": args.depth, "include": args.include, "new_blocks": args.new_blocks}
    if command == "replace":
        outputs = [[a, int(s)] for a, s in args.to] if args.to else None
        return "/replace", {"txid": args.txid, "outputs": outputs, "fee": args.fee}
    if command == "double-spend":
        return "/double_spend", {"txid": args.txid, "to_address": args.address, "mine": not args.no_mine}
    if command == "drop":
        return "/drop", {"txid": args.txid}
    if command == "fee-rate":
        return "/fee_rate", {"sat_per_vbyte": args.sat_per_vbyte}
    if command == "stop-server":
        return "/server/stop", {}
    if command == "start-server":
        return "/server/start", {}
    return "/status", None


class ControlError(Exception):
    pass


def _call(base_url: str, path: str, body: dict[str, Any] | None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url.rstrip("/") + path, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310 - loopback URL
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = str(exc)
        raise ControlError(message) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ControlError(f"cannot reach the devnet at {base_url}: {exc}") from None


async def serve(args: argparse.Namespace) -> int:
    from app.devnet.control_server import ControlServer
    from app.devnet.devnet import Devnet

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    devnet = Devnet(port=args.port, datadir=args.datadir)
    control = ControlServer(devnet, port=args.control_port)
    try:
        await devnet.start()
        await control.start()
        print(f"Electrum server: {devnet.server_string}", flush=True)
        print(f"Control URL: {control.url}", flush=True)
        print(f"Faucet: {devnet.faucet.address}  tip height: {devnet.tip_height}", flush=True)
        await stop.wait()
    finally:
        await control.stop()
        await devnet.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devnet", description="RedWaves devnet")
    configure_parser(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(args)
