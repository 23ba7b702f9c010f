"""The data directory is private: directories 0700, files 0600, for everything in it.

The database (xpubs, buyer e-mails), its -wal/-shm files, logs, backups, gui.ini, config.toml and
the TLS key must not be readable by other local users. ``protect_data_dir`` runs first at start
(app/runtime.py): it sets the process umask to 077, so whatever RedWaves or Electrum creates later
is private from birth, and fixes the mode of anything already there. A path it cannot fix (owned by
another user, a read-only mount) stops the start with ``InsecureDataDir`` naming it and the fix.
Symbolic links are not followed.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


class InsecureDataDir(Exception):
    """A path in the data directory is readable by others and cannot be fixed; str() says how to fix it."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path} is readable by other users and RedWaves cannot change that ({reason}). "
                         f"Fix it with:  chmod -R go-rwx '{path}'  (as its owner), then start again.")


def private_umask() -> None:
    """Files and directories created from now on get no group or other permissions."""
    os.umask(PRIVATE_UMASK)


def _walk(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    yield root, root.lstat()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            try:
                yield path, path.lstat()
            except FileNotFoundError:  # removed while we walk (a SQLite -journal)
                continue


def _data_paths(data_dir: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """The data directory, its own files (config.toml) and all of each network's directory; other
    directories someone keeps there are left alone (a data_dir pointed at a home is not chmod -R'ed)."""
    from app.config import NETWORKS

    yield data_dir, data_dir.lstat()
    for child in data_dir.iterdir():
        info = child.lstat()
        if stat.S_ISDIR(info.st_mode) and child.name in NETWORKS:
            yield from _walk(child)
        elif stat.S_ISREG(info.st_mode):
            yield child, info


def is_private(info: os.stat_result) -> bool:
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISDIR(info.st_mode):
        return mode & 0o077 == 0 and mode & 0o700 == 0o700
    return mode & 0o077 == 0


def secure_path(path: Path, info: os.stat_result) -> bool:
    """Make one file 0600 (an owner's x bit kept) or one directory 0700; True when it changed."""
    if stat.S_ISLNK(info.st_mode) or is_private(info):
        return False
    wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else (stat.S_IMODE(info.st_mode) & 0o100) | FILE_MODE
    try:
        os.chmod(path, wanted)
    except OSError as exc:
        raise InsecureDataDir(path, exc.strerror or type(exc).__name__) from None
    return True


def protect_data_dir(data_dir: Path) -> list[Path]:
    """umask 077, the data directory created 0700, every path in it fixed; returns the paths changed."""
    private_umask()
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    changed = [path for path, info in _data_paths(data_dir) if secure_path(path, info)]
    if changed:
        logger.warning("made %d path(s) in %s private (0700/0600), e.g. %s", len(changed), data_dir, changed[0])
    return changed


def protect_tree(root: Path) -> list[Path]:
    """Every path under ``root`` (a backup directory, the keyring file's directory) made private."""
    if not root.exists():
        return []
    return [path for path, info in _walk(root) if secure_path(path, info)]


def private_file(path: Path) -> None:
    """Create ``path`` (empty) as 0600 if it does not exist, else make it 0600; its directory 0700."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
