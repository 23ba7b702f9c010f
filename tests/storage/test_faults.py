"""Storage faults are recognised however they arrive, and each edge answers them in its own shape;
the log file on a full device falls back to stderr; a nearly full disk refuses the start."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from app.checkout_server.daemon import jsonrpc, spec
from app.checkout_server.greenfield.auth import from_error
from app.db.storage import StorageFull, check_free_space, storage_fault
from app.logs import PrivateRotatingFileHandler, RedactingFormatter


def _sqlite_full() -> sqlite3.OperationalError:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (b BLOB)")
    conn.execute("PRAGMA max_page_count = 2")
    try:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("SQLite accepted a row past max_page_count")


def test_sqlite_full_wrapped_or_not_and_enospc_are_storage_full_others_are_not():
    raw = _sqlite_full()
    assert raw.sqlite_errorname == "SQLITE_FULL"
    assert isinstance(storage_fault(raw), StorageFull)
    wrapped = OperationalError("INSERT", {}, raw)  # what SQLAlchemy raises
    assert isinstance(storage_fault(wrapped), StorageFull)
    try:
        raise RuntimeError("outer") from wrapped
    except RuntimeError as chained:
        assert isinstance(storage_fault(chained), StorageFull)
    assert isinstance(storage_fault(OSError(errno.ENOSPC, "No space left on device")), StorageFull)
    assert storage_fault(sqlite3.OperationalError("no such table: x")) is None
    assert storage_fault(OSError(errno.ENOENT, "No such file")) is None
    assert storage_fault(ValueError("no")) is None


def test_greenfield_and_daemon_shapes():
    fault = StorageFull("database or disk is full")
    response = from_error(fault)
    assert response.status == 507
    assert json.loads(response.body)["code"] == "storage-full"
    rpc = jsonrpc.translate(fault)
    assert rpc.code == spec.STORAGE_FULL == -32016 and rpc.data == {"code": "storage_full", "field": None}
    assert jsonrpc.translate(_sqlite_full()).code == spec.STORAGE_FULL  # met unwrapped (a read)
    assert spec.build_spec()["exceptions"][str(spec.STORAGE_FULL)]["exc_name"] == "StorageFullError"


def test_log_file_on_a_full_device_goes_to_stderr_once_noticed(tmp_path, capsys):
    handler = PrivateRotatingFileHandler(tmp_path / "redwaves.log", encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.storage.fulllog")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        good = handler.stream
        handler.stream = open("/dev/full", "w", encoding="utf-8")  # every write: ENOSPC  # noqa: SIM115
        logger.warning("first line")
        logger.warning("second line")
        err = capsys.readouterr().err
        assert err.count("cannot write the log file") == 1 and "No space left on device" in err
        assert "WARNING first line" in err and "WARNING second line" in err and "Traceback" not in err
        with contextlib.suppress(OSError):  # its buffer still holds what could not be written
            handler.stream.close()
        handler.stream = good  # space is back
        logger.warning("third line")
        assert "writable again" in capsys.readouterr().err
        handler.flush()
        assert "third line" in (tmp_path / "redwaves.log").read_text()
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_start_refused_below_min_free_mb(tmp_path):
    with pytest.raises(StorageFull) as refused:
        check_free_space(tmp_path, 10**9)
    message = str(refused.value)
    assert "\n" not in message and "min_free_mb" in message and "MB free" in message
    check_free_space(tmp_path, 0)


async def test_runtime_refuses_to_start_with_a_huge_min_free_mb(tmp_path):
    from app.config import load_settings
    from app.runtime import Runtime

    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "devnet": True,
                                  "private_port": 0, "min_free_mb": 10**9})
    runtime = Runtime(settings)
    with pytest.raises(StorageFull, match="min_free_mb"):
        await runtime.start()
    await runtime.stop()
    assert not settings.db_path.exists()  # refused before anything was written
