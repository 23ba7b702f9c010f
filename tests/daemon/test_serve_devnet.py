"""`serve --devnet`: its control URL is printed, works with `redwaves devnet pay`, and its ports stay put."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.devnet.ports import PORTS_FILE, DevnetPorts, choose_ports

ROOT = Path(__file__).resolve().parents[2]
TEST_ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDWAVES_")}
    env.update(REDWAVES_DATA_DIR=str(data_dir), REDWAVES_DAEMON_PORT="0")
    return env


def _serve_once(data_dir: Path) -> tuple[int, str, str]:
    """Start `serve --devnet`, read the printed devnet lines, pay through the control URL, stop it."""
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--network", "regtest", "--devnet", "--port", "0"],
                            cwd=ROOT, env=_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    watchdog = threading.Timer(120, proc.kill)  # bounds the reads below if serve hangs
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # bounded by the timeout below
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        electrum = re.search(r"devnet\s+127\.0\.0\.1:(\d+):t", text)
        control = re.search(r"devnet control (http://127\.0\.0\.1:\d+)", text)
        assert electrum and control, text
        paid = subprocess.run([sys.executable, "-m", "app", "devnet", "--control", control.group(1), "pay",
                               TEST_ADDRESS, "5000"], cwd=ROOT, env=_env(data_dir), capture_output=True, text=True,
                              timeout=60)
        assert paid.returncode == 0, paid.stderr
        return int(electrum.group(1)), control.group(1), json.loads(paid.stdout)["txid"]
    finally:
        watchdog.cancel()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_two_runs_print_the_same_ports_and_the_control_url_pays(tmp_path):
    first = _serve_once(tmp_path)
    second = _serve_once(tmp_path)
    assert first[:2] == second[:2] and first[2] != second[2]
    stored = json.loads((tmp_path / "regtest" / "devnet" / PORTS_FILE).read_text())
    assert stored["electrum"] == first[0] and first[1].endswith(f":{stored['control']}")


def test_a_taken_port_is_replaced(tmp_path):
    chosen = choose_ports(tmp_path)
    chosen.save(tmp_path)
    assert choose_ports(tmp_path) == chosen  # stored and free: the same
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", chosen.electrum))
        taken.listen()
        moved = choose_ports(tmp_path)
    assert moved.control == chosen.control and moved.electrum != chosen.electrum
    (tmp_path / PORTS_FILE).write_text("not json")
    assert isinstance(choose_ports(tmp_path), DevnetPorts)
