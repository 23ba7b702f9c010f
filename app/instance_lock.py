"""One RedWaves per data directory: an flock'ed lock file holding the owner's PID.

The kernel releases an flock when its process dies, so a lock left by a killed process is simply
taken over by the next start.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    def __init__(self, path: Path, pid: int | None) -> None:
        self.pid = pid
        who = f"PID {pid}" if pid else "another process"
        super().__init__(f"RedWaves is already running on this data directory ({who}; lock {path})")


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # a lock file left by an older version may be 0644
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = self._read_pid(fd)
            os.close(fd)
            raise AlreadyRunning(self._path, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def _read_pid(fd: int) -> int | None:
        try:
            text = os.pread(fd, 32, 0).decode().strip()
            return int(text) if text else None
        except (OSError, ValueError):
            return None
