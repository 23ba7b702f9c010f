"""A real Runtime on the embedded devnet whose exposure settings come from its config.toml (so the window
may change them: settings given on the command line or in REDWAVES_* could not be)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import aiohttp

from app.config import load_settings


def write_config(data_dir: Path, **values: Any) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    base = {"network": "regtest", "devnet": True, "private_port": 0, "daemon_enabled": False,
            "public_host": "127.0.0.1", "public_port": 0, **values}
    lines = ["# written by the test; the comment must survive the window's changes", "[redwaves]"]
    lines += [f"{key} = {_toml(value)}" for key, value in base.items()]
    path = data_dir / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


def settings_from_config(data_dir: Path, environ: dict[str, str] | None = None) -> Any:
    return load_settings(environ or {}, {"data_dir": data_dir})


async def http_get(url: str, *, ssl_context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], str]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url, ssl=ssl_context or True) as resp:
        return resp.status, dict(resp.headers), await resp.text()


async def wait_for(predicate: Any, *, timeout_s: float = 20.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
