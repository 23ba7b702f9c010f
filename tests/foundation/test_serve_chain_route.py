"""`redwaves serve` without a chosen chain route, as a user runs it (a real subprocess).

No tor -> exit 2 naming the settings to set, before anything connects; tor found -> it says it uses
public servers over Tor and starts tor (here with DisableNetwork, so nothing leaves the machine);
the route is on /health."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.foundation.test_cli import ROOT, _env


def _serve(tmp_path: Path, env_extra: dict[str, str], *args: str) -> subprocess.Popen[str]:
    env = _env(tmp_path) | env_extra
    return subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", "0", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_no_route_and_no_tor_exits_2_naming_the_settings(tmp_path: Path) -> None:
    proc = _serve(tmp_path, {"REDWAVES_TOR_CMD": str(tmp_path / "no-such-tor"), "REDWAVES_NETWORK": "mainnet"})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "No Electrum server chosen and tor is not available" in err
    for words in ('electrum_route = "own"', "electrum_server", 'electrum_route = "direct"'):
        assert words in err
    assert "serving" not in out
    log = (tmp_path / "mainnet" / "logs").glob("*.log")
    assert any("No Electrum server chosen" in path.read_text() for path in log)


def test_own_route_without_a_server_is_refused_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('electrum_route = "own"\n')
    proc = _serve(tmp_path, {"REDWAVES_TOR_CMD": str(tmp_path / "no-such-tor"), "REDWAVES_NETWORK": "mainnet"})
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "'electrum_server'" in err and "needs electrum_server" in err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tor") is None, reason="needs the tor program (Debian package tor)")
def test_no_route_with_tor_uses_public_servers_over_tor(tmp_path: Path) -> None:
    proc = _serve(tmp_path, {"REDWAVES_NETWORK": "mainnet", "REDWAVES_TOR_DISABLE_NETWORK": "true",
                             "REDWAVES_DAEMON_ENABLED": "false"})
    lines: list[str] = []
    url = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                break
            lines.append(line)
            if match := re.search(r"private\s+(http://\S+)", line):
                url = match.group(1)
        out = "".join(lines)
        assert url, out + (proc.stderr.read() if proc.stderr and proc.poll() is not None else "")
        assert "Chain server not chosen (electrum_route): using Public servers over Tor, starting tor for it." in out
        with urllib.request.urlopen(url + "/health", timeout=10) as resp:
            health = json.load(resp)
        assert health["chain"]["route"] == "tor" and health["chain"]["via_tor"] is True
        assert health["components"]["chain"]["state"] in ("offline", "syncing")  # tor has no network here
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_electrum_route_setting_is_parsed_and_checked(tmp_path: Path) -> None:
    from app.config import ConfigError, load_settings

    base = {"data_dir": tmp_path, "network": "mainnet"}
    assert load_settings({}, base).electrum_route is None
    assert load_settings({"REDWAVES_ELECTRUM_ROUTE": " Tor "}, base).electrum_route == "tor"
    assert load_settings({"REDWAVES_ELECTRUM_ROUTE": ""}, base).electrum_route is None
    with pytest.raises(ConfigError, match="expected one of own, tor, direct"):
        load_settings({"REDWAVES_ELECTRUM_ROUTE": "public"}, base)
    with pytest.raises(ConfigError, match="needs electrum_server"):
        load_settings({"REDWAVES_ELECTRUM_ROUTE": "own"}, base)
