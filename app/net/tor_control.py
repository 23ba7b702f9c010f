"""The blocking half of the tor integration: stem calls, run by TorService through asyncio.to_thread.

Nothing here touches the event loop. Every failure becomes a TorError with a code.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import stem
import stem.connection
import stem.control
import stem.process

from app.net.errors import TorError

logger = logging.getLogger(__name__)

_PROGRESS = re.compile(r"PROGRESS=(\d+)")
STOP_WAIT_S = 3.0
PROBE_TIMEOUT_S = 5.0


@dataclass
class TorHandle:
    """One live connection to tor: the controller, and the process when we launched it."""

    controller: stem.control.Controller
    process: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            return False
        return bool(self.controller.is_alive())


def find_tor(tor_cmd: str) -> str:
    path = shutil.which(tor_cmd)
    if path is None:
        raise TorError(f"The tor program was not found ({tor_cmd!r}). Install tor (Debian: apt install tor) or "
                       "set the path to it.", code=TorError.NOT_FOUND, field="tor_cmd")
    return path


def launch(tor_cmd: str, data_dir: Path, *, socks_port: int, control_port: int,
           extra_config: Mapping[str, str]) -> TorHandle:
    """Start our own tor (cookie-authenticated control port on loopback) and connect to it."""
    path = find_tor(tor_cmd)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)  # tor refuses a group/world-readable DataDirectory
    config = {
        "DataDirectory": str(data_dir),
        "SocksPort": f"127.0.0.1:{socks_port}",
        "ControlPort": f"127.0.0.1:{control_port}",
        "CookieAuthentication": "1",
        "AvoidDiskWrites": "1",
        **dict(extra_config),
    }
    try:
        process = stem.process.launch_tor_with_config(config, tor_cmd=path, completion_percent=0,
                                                      take_ownership=True)
    except OSError as exc:
        raise TorError(f"Tor did not start: {exc}", code=TorError.LAUNCH_FAILED) from None
    try:
        controller = _connect(f"127.0.0.1:{control_port}", None)
    except BaseException:
        stop_process(process)
        raise
    return TorHandle(controller, process)


def attach(control_address: str, password: str | None) -> TorHandle:
    """Connect to a tor someone else runs (system tor, Tor Browser) through its control port."""
    return TorHandle(_connect(control_address, password))


def _connect(address: str, password: str | None) -> stem.control.Controller:
    try:
        if address.startswith("unix:") or address.startswith("/"):
            controller = stem.control.Controller.from_socket_file(address.removeprefix("unix:"))
        else:
            host, _, port = address.rpartition(":")
            host = host.strip("[]") or "127.0.0.1"
            socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S).close()  # stem leaks on failure
            controller = stem.control.Controller.from_port(host, int(port))
    except (stem.SocketError, OSError, ValueError) as exc:
        raise TorError(f"Cannot reach tor's control port at {address}: {exc}", code=TorError.CONTROL_UNREACHABLE,
                       field="tor_control") from None
    try:
        controller.authenticate(password=password)
    except (stem.connection.AuthenticationFailure, stem.SocketError) as exc:
        controller.close()
        raise TorError(f"Tor refused our control connection at {address}: {exc}", code=TorError.AUTH_FAILED,
                       field="tor_control_password") from None
    return controller


def add_onion(handle: TorHandle, ports: Mapping[int, str], key: str | None) -> tuple[str, str | None]:
    """Create the ephemeral onion service. ``key`` is "TYPE:BLOB" from an earlier call, or None for a new one.

    Returns (service_id, new_key) where new_key is "ED25519-V3:..." only when tor made a new key.
    """
    key_type, key_content = key.split(":", 1) if key else ("NEW", "ED25519-V3")
    try:
        response = handle.controller.create_ephemeral_hidden_service(
            dict(ports), key_type=key_type, key_content=key_content, await_publication=False)
    except (stem.ControllerError, stem.SocketError) as exc:
        raise TorError(f"Tor could not create the onion service: {exc}", code=TorError.ONION_FAILED) from None
    new_key = f"{response.private_key_type}:{response.private_key}" if response.private_key else None
    return response.service_id, new_key


def remove_onion(handle: TorHandle, service_id: str) -> None:
    try:
        handle.controller.remove_ephemeral_hidden_service(service_id)
    except (stem.ControllerError, stem.SocketError) as exc:
        logger.debug("removing onion service failed: %s", exc)


def _get_info(handle: TorHandle, key: str) -> str:
    try:
        return str(handle.controller.get_info(key))
    except (stem.ControllerError, stem.SocketError) as exc:
        raise TorError(f"Tor's control port stopped answering: {exc}", code=TorError.CONTROL_UNREACHABLE) from None


def current_onions(handle: TorHandle) -> list[str]:
    """Service ids of the onion services this control connection owns (GETINFO onions/current)."""
    return _get_info(handle, "onions/current").split()


def bootstrap_percent(handle: TorHandle) -> int:
    phase = _get_info(handle, "status/bootstrap-phase")
    match = _PROGRESS.search(phase)
    return int(match.group(1)) if match else 0


def socks_address(handle: TorHandle) -> str | None:
    """tor's SOCKS "host:port": its open listener, else its SocksPort setting (DisableNetwork opens none)."""
    listeners = _get_info(handle, "net/listeners/socks").split()
    if listeners:
        return listeners[0].strip('"')
    try:
        configured = (handle.controller.get_conf("SocksPort", "") or "").split()
    except (stem.ControllerError, stem.SocketError):
        return None
    if not configured or configured[0] in ("0", "auto"):
        return None
    return configured[0] if ":" in configured[0] else f"127.0.0.1:{configured[0]}"


def close(handle: TorHandle) -> None:
    """Close the control connection and, for our own tor, end the process (TERM, then KILL)."""
    handle.controller.close()
    if handle.process is not None:
        stop_process(handle.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_WAIT_S)
