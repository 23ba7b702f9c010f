"""Writes settings changed in the window back to config.toml, keeping every other line and comment.

A tiny line-based TOML writer for the flat values Settings has (bool, int, string, path, None):
an existing ``key = value`` line is replaced in place, a new key is added at the end of the table
RedWaves reads (``[redwaves]`` when the file has one, else the top level). ``None`` removes the key
(the default applies again). The result is parsed back with tomllib before it replaces the file
(written to a temporary file and renamed: never half-written).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from app.config import ConfigError

Value = bool | int | str | Path | None
_TABLE = re.compile(r"^\s*\[")


def toml_value(value: bool | int | str | Path) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch >= " " and ch != "\x7f" else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def _table_bounds(lines: list[str]) -> tuple[int, int]:
    """[start, end) of the lines holding our keys: the [redwaves] table, else the top level."""
    for i, line in enumerate(lines):
        if line.strip() == "[redwaves]":
            end = next((j for j in range(i + 1, len(lines)) if _TABLE.match(lines[j])), len(lines))
            return i + 1, end
    end = next((j for j, line in enumerate(lines) if _TABLE.match(line)), len(lines))
    return 0, end


def updated_text(text: str, values: Mapping[str, Value]) -> str:
    lines = text.splitlines()
    for key, value in values.items():
        start, end = _table_bounds(lines)
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = next((i for i in range(start, end) if pattern.match(lines[i])), None)
        if value is None:
            if found is not None:
                del lines[found]
            continue
        line = f"{key} = {toml_value(value)}"
        if found is not None:
            lines[found] = line
        else:
            insert_at = end
            while insert_at > start and not lines[insert_at - 1].strip():
                insert_at -= 1  # before the blank lines that separate the next table
            lines.insert(insert_at, line)
    return "\n".join(lines) + "\n"


def write_config_values(path: Path, values: Mapping[str, Value]) -> None:
    """Set (or, with None, remove) ``values`` in the TOML file at ``path``; ConfigError if that fails."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise ConfigError("config", f"cannot read {path}: {exc.strerror}") from None
    new_text = updated_text(text, values)
    try:
        data = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path} could not be updated (it uses TOML this writer keeps away from: "
                                    f"{exc}); edit it by hand") from None
    section = data.get("redwaves", data)
    for key, value in values.items():
        want = None if value is None else str(value) if isinstance(value, Path) else value
        if section.get(key) != want:
            raise ConfigError(key, f"{path} could not be updated (multi-line value?); edit it by hand")
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError("config", f"cannot write {path}: {exc.strerror}") from None
