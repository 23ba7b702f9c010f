"""The PyInstaller one-folder bundle starts without the venv and serves a healthy /health."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("pyinstaller", path=str(ROOT / ".venv" / "bin")) is None,
                    reason="pyinstaller is not installed in .venv (requirements/dev.txt)")
def test_bundle_builds_and_serves_health(tmp_path):
    dist = tmp_path / "bundle"
    build = subprocess.run([str(ROOT / "packaging" / "build-bundle.sh"), str(dist)], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    exe = dist / "redwaves" / "redwaves"
    assert exe.exists()
    # No venv on PATH, no PYTHONPATH: the bundle carries its own Python, Electrum and Qt plugins.
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    assert any((dist / "redwaves").rglob("libqoffscreen.so")) or any((dist / "redwaves").rglob("libqxcb.so"))
    assert any((dist / "redwaves").rglob("electrum/wordlist/english.txt"))
    proc = subprocess.Popen([str(exe), "serve", "--network", "regtest", "--devnet", "--port", "0",
                             "--data-dir", str(tmp_path / "data")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            match = re.search(r"private\s+(http://\S+)", line)
            url = match.group(1) if match else None
        assert url, proc.stderr.read() if proc.poll() is not None else "no URL printed"
        health = {}
        while time.monotonic() < deadline:
            with urllib.request.urlopen(url + "/health", timeout=10) as resp:
                health = json.loads(resp.read())
            if health["chain"]["connected"]:
                break
            time.sleep(0.5)
        assert health["status"] == "ok" and health["chain"]["connected"] and health["network"] == "regtest"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0
    assert not os.path.exists(tmp_path / "data" / "regtest" / "redwaves.lock") or \
        (tmp_path / "data" / "regtest" / "redwaves.lock").read_text() == ""
