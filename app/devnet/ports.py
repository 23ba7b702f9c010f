"""The embedded devnet's ports, kept in ``<network_dir>/devnet/ports.json`` so they stay the same across runs.

A demo funds outside wallets and runs ``redwaves devnet pay`` against the control URL: both must not
move between two ``serve --devnet`` runs. The first run takes the control CLI's default port
(``DEFAULT_CONTROL_PORT``) if it is free and any free Electrum port; later runs reuse the stored ports,
or pick new ones (and store them) only when a stored one is taken by another program.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path

from app.devnet.cli import DEFAULT_CONTROL_PORT

PORTS_FILE = "ports.json"


@dataclass(frozen=True)
class DevnetPorts:
    electrum: int
    control: int

    def save(self, devnet_dir: Path) -> None:
        devnet_dir.mkdir(parents=True, exist_ok=True)
        path = devnet_dir / PORTS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"electrum": self.electrum, "control": self.control}) + "\n")
        tmp.replace(path)


def _bindable(port: int) -> bool:
    """As the servers bind (SO_REUSEADDR): a port the previous run left in TIME_WAIT is still ours."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(avoid: int = 0) -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port != avoid:
            return port


def _stored(devnet_dir: Path) -> tuple[int | None, int | None]:
    try:
        data = json.loads((devnet_dir / PORTS_FILE).read_text())
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    ports = [data.get(name) for name in ("electrum", "control")]
    valid = [p if isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 else None for p in ports]
    return valid[0], valid[1]


def choose_ports(devnet_dir: Path) -> DevnetPorts:
    """The stored ports when they are free, else new ones (not written: ``save`` once the instance lock is held)."""
    electrum, control = _stored(devnet_dir)
    if control is None or not _bindable(control):
        control = DEFAULT_CONTROL_PORT if _bindable(DEFAULT_CONTROL_PORT) else _free_port()
    if electrum is None or electrum == control or not _bindable(electrum):
        electrum = _free_port(avoid=control)
    return DevnetPorts(electrum=electrum, control=control)
