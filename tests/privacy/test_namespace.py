"""Proof from a network namespace: what RedWaves sends out, seen on the wire, not inferred from the code.

RedWaves (the real Runtime, tests/privacy/namespace_app.py) runs inside a network namespace whose only
link is a veth pair to the host; its resolver is the host end of the veth, so a DNS query would cross
it too. On the host run the devnet (Electrum protocol), a rates HTTP server, an aiosmtpd SMTP server,
a webhook receiver and (Tor-only test) a recording SOCKS5 relay standing in for tor. A raw AF_PACKET
socket on the host end records every frame that leaves the namespace; before the app starts, a
canary lookup inside the namespace proves that a DNS query would be seen.

The app then does a devnet payment (invoice paid and mined, complete), an e-mail receipt, a signed
webhook and a fiat (USD) invoice that needs a rate. Asserted (docs/exposure.md, "What leaves this machine"):
- Tor-only: every IP packet from the namespace is TCP to the relay; no DNS; the relay was asked for
  exactly {electrum, rates, smtp, webhook}, by name (remote DNS: the names exist nowhere else).
- default mode, own server: new TCP connections only to {own Electrum server, SMTP, webhook, rates};
  rates only after the fiat invoice was asked for; no DNS.
Skipped (with the reason) where network namespaces cannot be made: not root, no iproute2.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from app.devnet.threaded import ThreadedDevnet
from app.net.lan import free_port
from app.services.delivery.webhook_payloads import SIGNATURE_HEADER, verify
from tests.integration.helpers import wait_for
from tests.privacy.namespace_app import BUYER, HOOK_SECRET
from tests.privacy.netns import ETH_ARP, ETH_IPV4, TCP, Capture, Frame, Namespace, NamespaceUnavailable
from tests.privacy.socks_relay import SocksRelay

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NAMES = {"electrum": "electrum.rw.test", "rates": "rates.rw.test", "smtp": "smtp.rw.test", "webhook": "hooks.rw.test"}
STEP_TIMEOUT_S = 45.0


@dataclass
class Peers:
    """The services RedWaves talks to, on the host side of the veth."""

    host: str
    ports: dict[str, int] = field(default_factory=dict)
    rate_requests: list[float] = field(default_factory=list)  # time.monotonic() of each GET
    hooks: list[tuple[bool, bytes]] = field(default_factory=list)  # (signature valid, body)
    mail: list[Any] = field(default_factory=list)  # aiosmtpd envelopes

    async def start(self, stack: AsyncExitStack, tmp_path: Path) -> None:
        devnet = ThreadedDevnet(host=self.host, port=0, datadir=tmp_path / "devnet")
        await devnet.start()
        stack.push_async_callback(devnet.stop)
        self.devnet = devnet
        self.ports["electrum"] = devnet.port
        self.ports["rates"] = await self._http(stack, "GET", "/rates", self._rates)
        self.ports["webhook"] = await self._http(stack, "POST", "/hook", self._hook)
        self.ports["smtp"] = free_port(self.host)
        controller = Controller(self, hostname=self.host, port=self.ports["smtp"])
        controller.start()
        stack.callback(controller.stop)

    async def _http(self, stack: AsyncExitStack, method: str, path: str, handler: Any) -> int:
        app = web.Application()
        app.router.add_route(method, path, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        return int(runner.addresses[0][1])

    async def _rates(self, request: web.Request) -> web.Response:
        self.rate_requests.append(time.monotonic())
        return web.Response(text='{"bitcoin": {"usd": 50000}}', content_type="application/json")

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.hooks.append((verify(HOOK_SECRET, body, request.headers.get(SIGNATURE_HEADER, "")), body))
        return web.Response(text="ok")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.mail.append(envelope)
        return "250 OK"


class App:
    """The RedWaves subprocess in the namespace; stdin/stdout carry the scenario's steps."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path, log_file: Any) -> None:
        self.proc, self.log, self._log_file = proc, log, log_file

    async def event(self, name: str, timeout_s: float = STEP_TIMEOUT_S) -> dict[str, Any]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = await asyncio.wait_for(self.proc.stdout.readline(), left)
            except TimeoutError:
                break
            if not line:
                break
            if line.startswith(b"RW "):
                event: dict[str, Any] = json.loads(line[3:])
                if event["event"] == name:
                    return event
        tail = self.log.read_text(errors="replace")[-4000:]
        raise AssertionError(f"RedWaves never reported {name!r} within {timeout_s:g} s; its log ends:\n{tail}")

    async def send(self, word: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(word.encode() + b"\n")
        await self.proc.stdin.drain()

    async def close(self) -> None:
        if self.proc.returncode is None:
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log_file.close()


async def start_app(ns: Namespace, tmp_path: Path, settings: dict[str, Any], cfg: dict[str, Any]) -> App:
    config = tmp_path / "app.json"
    config.write_text(json.dumps({"settings": {"data_dir": str(tmp_path / "data"), **settings}, **cfg}))
    log = tmp_path / "app.log"
    log_file = log.open("wb")
    proc = await asyncio.create_subprocess_exec(
        *ns.command(sys.executable, "-m", "tests.privacy.namespace_app", str(config)), cwd=REPO,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log_file)
    return App(proc, log, log_file)


def dns_canary(ns: Namespace, capture: Capture) -> float:
    """A lookup from inside must show on the capture (else "no DNS seen" would prove nothing)."""
    probe = "import socket\ntry: socket.getaddrinfo('canary.rw.test', 80)\nexcept OSError: pass"
    subprocess.run(ns.command(sys.executable, "-c", probe), timeout=20, check=True)
    deadline = time.monotonic() + 5
    while not capture.dns() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert capture.dns(), "the capture saw no DNS query from the canary lookup: the proof would be blind"
    return time.monotonic()


async def run_scenario(app: App, peers: Peers) -> float:
    """Payment, receipt, webhook, then the fiat invoice; returns when the fiat step was asked for."""
    await app.event("synced")
    pay = await app.event("pay")
    await peers.devnet.pay(pay["address"], pay["sat"])
    await peers.devnet.mine(1)
    await app.event("complete")
    await wait_for(lambda: peers.mail and any(ok for ok, _ in peers.hooks), timeout_s=STEP_TIMEOUT_S,
                   what="the e-mail receipt and a signed webhook")
    assert [m.rcpt_tos for m in peers.mail] == [[BUYER]], "one e-mail receipt to the buyer"
    assert any(ok for ok, _ in peers.hooks) and all(ok for ok, _ in peers.hooks), "signed webhooks arrived"
    assert peers.rate_requests == [], "no rate was fetched before a fiat price needed one"
    fiat_at = time.monotonic()
    await app.send("fiat")
    fiat = await app.event("fiat")
    assert fiat["sat"] == 25_000, "12.50 USD at 50000 USD/BTC"
    await app.send("stop")
    await app.event("stopped")
    return fiat_at


def after(frames: list[Frame], t0: float) -> list[Frame]:
    return [f for f in frames if f.at > t0]


@pytest.fixture
def namespace(request: pytest.FixtureRequest):
    ns = Namespace(request.param)
    try:
        ns.create()
    except NamespaceUnavailable as exc:
        pytest.skip(f"network namespaces unavailable: {exc}")
    try:
        yield ns
    finally:
        ns.delete()


@pytest.mark.parametrize("namespace", ["t"], indirect=True)
async def test_tor_only_every_packet_goes_to_the_socks_endpoint(namespace: Namespace, tmp_path: Path) -> None:
    ns = namespace
    async with AsyncExitStack() as stack:
        peers = Peers("127.0.0.1")
        await peers.start(stack, tmp_path)
        relay = SocksRelay(ns.host_ip, names={name: "127.0.0.1" for name in NAMES.values()})
        await relay.start()
        stack.push_async_callback(relay.stop)
        with Capture(ns.host_if) as capture:
            t0 = await asyncio.to_thread(dns_canary, ns, capture)
            settings = {"tor_only": True, "tor_socks": relay.address,
                        "electrum_server": f"{NAMES['electrum']}:{peers.ports['electrum']}:t",
                        "rates_url": f"http://{NAMES['rates']}:{peers.ports['rates']}/rates"}
            app = await start_app(ns, tmp_path, settings, {
                "smtp_host": NAMES["smtp"], "smtp_port": peers.ports["smtp"],
                "webhook_url": f"http://{NAMES['webhook']}:{peers.ports['webhook']}/hook"})
            stack.push_async_callback(app.close)
            await run_scenario(app, peers)
            await app.close()
    frames = after(capture.frames, t0)
    packets = [f for f in frames if f.ethertype == ETH_IPV4]
    print("tor-only:", len(packets), "IPv4 packets from the namespace;",
          sorted({f.describe().split(" -> ")[1] for f in packets}), "asked of the relay:", sorted(set(relay.destinations)))
    assert packets, "the capture saw the app's traffic"
    strays = [f.describe() for f in packets if (f.proto, f.dst, f.dport) != (TCP, ns.host_ip, relay.port)]
    assert strays == [], "every IP packet from the namespace goes to the SOCKS endpoint"
    assert {f.ethertype for f in frames} <= {ETH_IPV4, ETH_ARP}, "nothing but IPv4 and ARP (IPv6 is off)"
    assert after(capture.dns(), t0) == []
    expected = {(NAMES[k], peers.ports[k]) for k in ("electrum", "rates", "smtp", "webhook")}
    assert set(relay.destinations) == expected


@pytest.mark.parametrize("namespace", ["d"], indirect=True)
async def test_default_mode_contacts_only_what_the_settings_name(namespace: Namespace, tmp_path: Path) -> None:
    ns = namespace
    async with AsyncExitStack() as stack:
        peers = Peers(ns.host_ip)
        await peers.start(stack, tmp_path)
        with Capture(ns.host_if) as capture:
            t0 = await asyncio.to_thread(dns_canary, ns, capture)
            settings = {"electrum_server": f"{ns.host_ip}:{peers.ports['electrum']}:t",
                        "rates_url": f"http://{ns.host_ip}:{peers.ports['rates']}/rates"}
            app = await start_app(ns, tmp_path, settings, {
                "smtp_host": ns.host_ip, "smtp_port": peers.ports["smtp"],
                "webhook_url": f"http://{ns.host_ip}:{peers.ports['webhook']}/hook"})
            stack.push_async_callback(app.close)
            fiat_at = await run_scenario(app, peers)
            await app.close()
    frames = after(capture.frames, t0)
    packets = [f for f in frames if f.ethertype == ETH_IPV4]
    opened = {(f.dst, f.dport): f.at for f in reversed(packets) if f.is_syn}  # first SYN per destination
    print("default:", len(packets), "IPv4 packets from the namespace; connections opened to",
          sorted(opened), "rate fetch", round(min(peers.rate_requests) - fiat_at, 3), "s after the fiat step")
    endpoints = {(ns.host_ip, peers.ports[k]) for k in ("electrum", "rates", "smtp", "webhook")}
    assert set(opened) == endpoints, "connections only to the own server, rates, SMTP and the webhook"
    strays = [f.describe() for f in packets if f.proto != TCP or (f.dst, f.dport) not in endpoints]
    assert strays == []
    assert opened[(ns.host_ip, peers.ports["rates"])] > fiat_at, "rates only once a fiat price needed one"
    assert after(capture.dns(), t0) == []
    assert {f.ethertype for f in frames} <= {ETH_IPV4, ETH_ARP}
