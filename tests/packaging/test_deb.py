"""The Debian package builds, carries what it promises, and its postinst makes a working venv."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not available")
def test_deb_builds_and_configures_offline(tmp_path):
    built = subprocess.run([str(ROOT / "packaging" / "deb" / "build-deb.sh"), str(tmp_path / "dist")], cwd=ROOT,
                           capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, built.stderr[-3000:]
    deb = Path(built.stdout.strip().splitlines()[-1])
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends"], capture_output=True, text=True,
                            check=True).stdout
    assert "redwaves" in fields and "python3-electrum" in fields and "tor" in fields
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    subprocess.run(["dpkg-deb", "-e", str(deb), str(root / "DEBIAN")], check=True)
    assert (root / "usr/share/applications/redwaves.desktop").exists()
    assert (root / "opt/redwaves/app/app/__main__.py").exists()
    env = {**os.environ, "DPKG_ROOT": str(root), "PIP_NO_INDEX": "1"}
    configured = subprocess.run(["sh", str(root / "DEBIAN/postinst"), "configure"], env=env, capture_output=True,
                                text=True, timeout=600)
    assert configured.returncode == 0, configured.stderr[-3000:]
    version = subprocess.run([str(root / "opt/redwaves/venv/bin/python"), "-m", "app", "--version"],
                             env={"PYTHONPATH": str(root / "opt/redwaves/app"), "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("redwaves "), version.stderr
