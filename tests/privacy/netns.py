"""A network namespace joined to the host by one veth pair, and a raw capture of what leaves it.

`Namespace` (root only): lo up, IPv6 off, ``ns_ip``/30 on the namespace end, ``host_ip``/30 on the
host end, a default route via the host (so a packet to anywhere shows on the veth instead of failing
with "network unreachable" inside), and /etc/netns/<name>/resolv.conf naming ``host_ip`` as the
resolver (``ip netns exec`` bind-mounts it), so a DNS query from inside also has to cross the veth.

`Capture`: an AF_PACKET socket (stdlib only) on the host end, recording every frame that came from the
namespace (not the ones the host sent into it), parsed down to IPv4/TCP/UDP ports and TCP flags.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ETH_IPV4, ETH_ARP, ETH_IPV6 = 0x0800, 0x0806, 0x86DD
TCP, UDP = 6, 17
SYN, ACK = 0x02, 0x10


class NamespaceUnavailable(Exception):
    """Network namespaces cannot be made here (not root, no iproute2, no kernel support)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=check)


class Namespace:
    def __init__(self, tag: str) -> None:
        n = os.getpid() % 10000
        self.name = f"rw{tag}{n}"
        self.host_if, self.ns_if = f"rw{tag}h{n}", f"rw{tag}n{n}"
        third = 20 + os.getpid() % 200
        fourth = {"t": 0, "d": 4}.get(tag, 8)
        self.host_ip, self.ns_ip = f"10.213.{third}.{fourth + 1}", f"10.213.{third}.{fourth + 2}"
        self._etc = Path("/etc/netns") / self.name

    def create(self) -> None:
        if os.geteuid() != 0 or shutil.which("ip") is None:
            raise NamespaceUnavailable("needs root and iproute2's `ip` to make a network namespace")
        made = _ip("netns", "add", self.name, check=False)
        if made.returncode != 0:
            raise NamespaceUnavailable(f"`ip netns add` failed: {made.stderr.strip()}")
        try:
            self._wire()
        except (subprocess.CalledProcessError, OSError) as exc:
            self.delete()
            detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else exc
            raise NamespaceUnavailable(f"could not wire the namespace: {detail}") from exc

    def _wire(self) -> None:
        inside = ("netns", "exec", self.name)
        ipv6_off = "for k in all default; do echo 1 > /proc/sys/net/ipv6/conf/$k/disable_ipv6; done"
        _ip(*inside, "sh", "-c", ipv6_off)  # `ip netns exec` runs any command; /proc/sys/net is per namespace
        _ip(*inside, "ip", "link", "set", "lo", "up")
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        host_ipv6 = Path(f"/proc/sys/net/ipv6/conf/{self.host_if}/disable_ipv6")
        if host_ipv6.exists():
            host_ipv6.write_text("1")
        _ip("link", "set", self.ns_if, "netns", self.name)
        _ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip(*inside, "ip", "addr", "add", f"{self.ns_ip}/30", "dev", self.ns_if)
        _ip(*inside, "ip", "link", "set", self.ns_if, "up")
        _ip(*inside, "ip", "route", "add", "default", "via", self.host_ip)
        self._etc.mkdir(parents=True, exist_ok=True)
        (self._etc / "resolv.conf").write_text(f"nameserver {self.host_ip}\noptions timeout:1 attempts:1\n")

    def delete(self) -> None:
        _ip("netns", "del", self.name, check=False)  # takes the veth pair with it
        _ip("link", "del", self.host_if, check=False)
        shutil.rmtree(self._etc, ignore_errors=True)

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]


@dataclass(frozen=True)
class Frame:
    at: float  # time.monotonic()
    ethertype: int
    src: str = ""
    dst: str = ""
    proto: int = 0
    sport: int = 0
    dport: int = 0
    flags: int = 0

    @property
    def is_syn(self) -> bool:
        return self.proto == TCP and self.flags & SYN != 0 and self.flags & ACK == 0

    def describe(self) -> str:
        if self.ethertype != ETH_IPV4:
            return f"ethertype 0x{self.ethertype:04x}"
        kind = {TCP: "tcp", UDP: "udp"}.get(self.proto, f"ip proto {self.proto}")
        return f"{kind} {self.src}:{self.sport} -> {self.dst}:{self.dport}"


def parse_frame(data: bytes, at: float) -> Frame:
    (ethertype,) = struct.unpack("!H", data[12:14])
    if ethertype != ETH_IPV4 or len(data) < 34:
        return Frame(at, ethertype)
    ip = data[14:]
    header = (ip[0] & 0x0F) * 4
    proto = ip[9]
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    sport = dport = flags = 0
    if proto in (TCP, UDP) and len(ip) >= header + 4:
        sport, dport = struct.unpack("!HH", ip[header:header + 4])
        if proto == TCP and len(ip) >= header + 14:
            flags = ip[header + 13]
    return Frame(at, ethertype, src, dst, proto, sport, dport, flags)


class Capture:
    """Frames arriving on ``ifname`` from the far end (here: everything the namespace sent)."""

    def __init__(self, ifname: str) -> None:
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind((ifname, 0))
        self._sock.settimeout(0.2)
        self.frames: list[Frame] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"capture-{ifname}", daemon=True)

    def __enter__(self) -> Capture:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)  # the last frames still in the socket's queue
        self._stop.set()
        self._thread.join(2.0)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, address = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] != PACKET_OUTGOING:
                self.frames.append(parse_frame(data, time.monotonic()))

    def ip_frames(self) -> list[Frame]:
        return [f for f in self.frames if f.ethertype == ETH_IPV4]

    def dns(self) -> list[Frame]:
        return [f for f in self.ip_frames() if f.proto in (TCP, UDP) and 53 in (f.sport, f.dport)]
