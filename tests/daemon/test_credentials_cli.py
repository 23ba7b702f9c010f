"""`redwaves daemon credentials [--rotate]` as a headless merchant runs it (a subprocess, its own keyring)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.config import load_settings
from app.instance_lock import InstanceLock

ROOT = Path(__file__).resolve().parents[2]


def _cli(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDWAVES_", "DBUS_"))}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "home" / "share"),
               REDWAVES_DATA_DIR=str(tmp_path / "data"), PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    return subprocess.run([sys.executable, "-m", "app", "daemon", "credentials", "--network", "regtest", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _pair(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    return fields["login"].strip(), fields["password"].strip()


def test_print_then_rotate(tmp_path):
    first = _pair(_cli(tmp_path))
    assert first[0] == "redwaves" and len(first[1]) == 32
    assert _pair(_cli(tmp_path)) == first  # generated once, then read back
    rotated = _cli(tmp_path, "--rotate")
    assert _pair(rotated)[0] == "redwaves" and _pair(rotated)[1] != first[1]
    assert "next start" in rotated.stderr and "daemon on at http://127.0.0.1:5000" in rotated.stderr
    assert _pair(_cli(tmp_path)) == _pair(rotated)


def test_rotate_while_running_says_restart(tmp_path):
    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest"})
    lock = InstanceLock(settings.lock_path)
    lock.acquire()  # what a running RedWaves holds
    try:
        rotated = _cli(tmp_path, "--rotate")
    finally:
        lock.release()
    _pair(rotated)
    assert "RedWaves is running and keeps the old password until it restarts" in rotated.stderr
