"""The first day end to end in a real X window (Xvfb), in a subprocess with QT_QPA_PLATFORM=xcb."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.gui, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb): no real X server for the end-to-end test")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x860x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_first_day_in_a_real_window(xvfb_display, tmp_path):
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    out_dir = ARTIFACTS / "xvfb"
    proc = subprocess.run([sys.executable, "-m", "tests.ui.e2e_flow", str(out_dir), str(tmp_path / "data")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result (rc={proc.returncode})\n{proc.stderr[-4000:]}"
    result = json.loads(lines[-1])
    assert proc.returncode == 0, result.get("error") or proc.stderr[-4000:]
    assert result["platform"] == "xcb"
    assert result["row_status_text"].startswith("Paid")
    assert any(t == "Payment received" and result["invoice_id"] in m for t, m in result["notifications"])
    assert result["exit_code"] == 0 and not result["crashes"]
    assert (out_dir / "10-invoices.png").stat().st_size > 10_000
