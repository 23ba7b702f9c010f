"""Storage faults: a full disk or an I/O error is the merchant's to fix, not a bug, so it is a
`StorageFull` (507 ``storage_full`` at the HTTP edges, a dialog in the window) and not a 500.

`storage_fault(exc)` recognises them through SQLAlchemy's wrapping: sqlite3 errors with
SQLITE_FULL / SQLITE_IOERR (extended codes too) and OSError ENOSPC / EDQUOT / EIO. `StorageMonitor`
remembers the last one for /health until a write succeeds again (space is back: nothing to restart).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from app.core.errors import UserFacingError

_SQLITE_IOERR, _SQLITE_FULL = 10, 13
_OS_CODES = {errno.ENOSPC, errno.EDQUOT, errno.EIO}


class StorageFull(UserFacingError):
    code = "storage_full"
    http_status = 507

    def __init__(self, detail: str = "", *, message: str | None = None) -> None:
        super().__init__(message or ("The disk holding RedWaves' data is full or failing, so nothing was saved. "
                                     "Free some space; RedWaves carries on by itself once it can write again."
                                     + (f" ({detail})" if detail else "")))


def storage_fault(exc: BaseException) -> StorageFull | None:
    """The StorageFull that `exc` (or what it wraps) means, or None for any other error."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, StorageFull):
            return seen
        if isinstance(seen, sqlite3.Error):
            text = str(seen).lower()
            code = getattr(seen, "sqlite_errorcode", 0)  # stdlib's; absent on errors built by hand
            if code & 0xFF in (_SQLITE_FULL, _SQLITE_IOERR) or "disk is full" in text or "disk i/o error" in text:
                return StorageFull(str(seen))
            return None
        if isinstance(seen, OSError) and seen.errno in _OS_CODES:
            return StorageFull(seen.strerror or str(seen))
        seen = seen.orig if isinstance(seen, DBAPIError) else seen.__cause__
    return None


@dataclass(frozen=True)
class StorageState:
    ok: bool
    since: float  # time.time() of the last change
    error: str | None


class StorageMonitor:
    """The last storage fault seen by a write, cleared by the next successful write."""

    def __init__(self) -> None:
        self._state = StorageState(ok=True, since=time.time(), error=None)

    def failed(self, fault: StorageFull) -> None:
        if self._state.ok or self._state.error != fault.message:
            self._state = StorageState(ok=False, since=time.time(), error=fault.message)

    def succeeded(self) -> None:
        if not self._state.ok:
            self._state = StorageState(ok=True, since=time.time(), error=self._state.error)

    def state(self) -> StorageState:
        return self._state


def check_free_space(data_dir: Path, min_free_mb: int) -> None:
    """Refuse to start on a nearly full disk (one line, for the CLI and the start-up dialog)."""
    free_mb = shutil.disk_usage(data_dir).free // (1024 * 1024)
    if free_mb < min_free_mb:
        raise StorageFull(message=f"only {free_mb} MB free in {data_dir}; RedWaves needs at least {min_free_mb} MB "
                          "(setting min_free_mb)")
