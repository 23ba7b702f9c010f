"""The `redwaves` command as a user runs it: a real subprocess, real sockets."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDWAVES_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["QT_QPA_PLATFORM"] = ""
    env["REDWAVES_DATA_DIR"] = str(tmp_path)
    return env


def _run(args, tmp_path, timeout=60):
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=timeout)


def test_help_documents_every_command(tmp_path):
    out = _run(["--help"], tmp_path).stdout
    for command in ("gui", "serve", "pos", "devnet"):
        assert command in out
    for option in ("--network", "--data-dir", "--config"):
        assert option in out
    assert "--devnet" in _run(["serve", "--help"], tmp_path).stdout


def test_bad_config_value_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "config.toml").write_text("private_port = 'eighty'\n")
    result = _run(["serve"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "'private_port'" in result.stderr


def test_without_display_says_how_to_run_headless(tmp_path):
    result = _run([], tmp_path)
    assert result.returncode == 4
    assert "redwaves serve" in result.stderr


class Served:
    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--network", "regtest", "--port", "0", *extra],
            cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = re.search(r"private\s+(http://\S+)", line)
            if match:
                self.url = match.group(1)
                break
        assert self.url, f"no URL printed; stderr: {self.proc.stderr.read() if self.proc.poll() is not None else ''}"

    def stop(self) -> float:
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        elapsed = time.monotonic() - began
        self.close()
        return elapsed

    def close(self) -> None:
        self.stderr_text = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.mark.slow
def test_serve_answers_health_refuses_second_instance_and_stops_cleanly(tmp_path):
    served = Served(tmp_path)
    try:
        with urllib.request.urlopen(served.url + "/health", timeout=10) as resp:
            health = json.loads(resp.read())
        assert health["network"] == "regtest" and health["db"]["ok"] is True
        assert health["chain"]["connected"] is False  # offline: a normal state, not a crash
        second = _run(["serve", "--network", "regtest", "--port", "0"], tmp_path)
        assert second.returncode == 3
        assert f"PID {served.proc.pid}" in second.stderr
    finally:
        elapsed = served.stop()
    assert served.proc.returncode == 0, served.stderr_text[-2000:]
    assert elapsed < 6
    log = (tmp_path / "regtest" / "logs" / "redwaves.log").read_text()
    assert "database ready" in log and "started: " in log  # INFO lines reach the file (Electrum's
    assert " DEBUG " in log and "stopped " in log  # import no longer resets the root logger)
    db = tmp_path / "regtest" / "redwaves.sqlite3"
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not (tmp_path / "regtest" / "redwaves.sqlite3-wal").exists() or \
        (tmp_path / "regtest" / "redwaves.sqlite3-wal").stat().st_size == 0


@pytest.mark.slow
def test_stale_lock_after_sigkill_is_taken_over(tmp_path):
    served = Served(tmp_path)
    served.proc.kill()
    served.proc.wait(timeout=10)
    served.close()
    again = Served(tmp_path)
    try:
        assert again.url
    finally:
        again.stop()
