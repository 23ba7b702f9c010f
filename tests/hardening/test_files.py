"""Item 7: the data directory and everything in it is 0700/0600 (fixed at start, or a clear refusal),
and secrets are never kept in a plaintext file silently."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app.file_modes import InsecureDataDir, protect_data_dir
from app.secrets import SecretStorage, configure_keyring, secret_storage


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual desktop umask: files 0644 unless the code says otherwise. Restored afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_protect_data_dir_fixes_an_old_world_readable_install(tmp_path, umask_022):
    data = tmp_path / "data"
    (data / "mainnet" / "logs").mkdir(parents=True)
    files = [data / "config.toml", data / "mainnet" / "redwaves.sqlite3", data / "mainnet" / "redwaves.sqlite3-wal",
             data / "mainnet" / "gui.ini", data / "mainnet" / "logs" / "redwaves.log"]
    for path in files:
        path.write_text("x")
        assert mode(path) == 0o644
    unrelated = data / "photos"  # not ours: left alone
    unrelated.mkdir()
    (unrelated / "cat.jpg").write_text("x")
    changed = protect_data_dir(data)
    assert os.umask(0o022) == 0o077  # the process umask was set to 077
    assert all(mode(p) == 0o600 for p in files) and mode(data) == mode(data / "mainnet") == 0o700
    assert mode(data / "mainnet" / "logs") == 0o700 and len(changed) == len(files) + 3
    assert mode(unrelated / "cat.jpg") == 0o644
    assert protect_data_dir(data) == []  # nothing left to fix
    os.umask(0o077)
    (data / "mainnet" / "new.txt").write_text("x")
    assert mode(data / "mainnet" / "new.txt") == 0o600  # created private from birth


def test_a_path_that_cannot_be_fixed_stops_the_start_with_a_clear_message(tmp_path, umask_022, monkeypatch):
    data = tmp_path / "data"
    (data / "regtest").mkdir(parents=True)
    db = data / "regtest" / "redwaves.sqlite3"
    db.write_text("x")
    real_chmod = os.chmod

    def chmod(path, wanted, *args, **kwargs):  # as for a file owned by another user (we run as root here)
        if Path(path) == db:
            raise PermissionError(1, "Operation not permitted")
        return real_chmod(path, wanted, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", chmod)
    with pytest.raises(InsecureDataDir) as refused:
        protect_data_dir(data)
    assert refused.value.path == db
    assert str(db) in str(refused.value) and "chmod -R go-rwx" in str(refused.value)
    assert "Operation not permitted" in str(refused.value)


async def test_database_files_are_private_even_under_umask_022(tmp_path, umask_022):
    from app.db.engine import Database

    db = Database(tmp_path / "net" / "redwaves.sqlite3")
    await db.start()
    try:
        from sqlalchemy import text

        assert db.engine is not None
        async with db.engine.connect() as conn:  # while a connection is open, WAL and shm exist
            await conn.execute(text("CREATE TABLE hardening_probe (x INTEGER)"))
            await conn.commit()
            names = sorted(p.name for p in db.path.parent.iterdir())
            assert "redwaves.sqlite3-wal" in names and "redwaves.sqlite3-shm" in names
            assert all(mode(db.path.parent / name) == 0o600 for name in names), names
        assert mode(db.path.parent) == 0o700
    finally:
        await db.stop()


def test_log_files_are_private_rotated_ones_too(tmp_path, umask_022):
    from app.logs import PrivateRotatingFileHandler, configure_logging

    log_dir = tmp_path / "logs"
    configure_logging(log_dir, "info", console=False)
    try:
        logging.getLogger("tests.hardening").info("hello")
        handler = next(h for h in logging.getLogger().handlers if isinstance(h, PrivateRotatingFileHandler))
        handler.doRollover()
        logging.getLogger("tests.hardening").info("after the rollover")
        assert mode(log_dir) == 0o700
        assert {p.name: mode(p) for p in log_dir.iterdir()} == {"redwaves.log": 0o600, "redwaves.log.1": 0o600}
    finally:
        configure_logging(None, console=False)


def test_instance_lock_is_private(tmp_path, umask_022):
    from app.instance_lock import InstanceLock

    path = tmp_path / "redwaves.lock"
    path.write_text("")
    assert mode(path) == 0o644
    lock = InstanceLock(path)
    lock.acquire()
    try:
        assert mode(path) == 0o600
    finally:
        lock.release()


def test_plaintext_file_keyring_is_never_silent(restore_keyring, umask_022, caplog):
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    keyring.set_password("redwaves/test-modes", "x", "y")
    Path(backend.file_path).chmod(0o644)
    Path(backend.file_path).parent.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="app.secrets"):
        storage = configure_keyring()
    assert storage.kind == "file" and storage.path == Path(backend.file_path)
    assert storage.warning is not None and "unencrypted" in storage.warning and str(storage.path) in storage.warning
    assert storage.report()["warning"] == storage.warning and storage.report()["store"] == "file"
    assert any("unencrypted" in r.getMessage() for r in caplog.records)
    assert mode(Path(backend.file_path)) == 0o600 and mode(Path(backend.file_path).parent) == 0o700


def test_os_secret_service_is_used_when_present_and_reported_without_warning(restore_keyring):
    from keyring.backends import SecretService

    keyring.set_keyring(SecretService.Keyring())
    storage = secret_storage()
    assert storage == SecretStorage("keyring.backends.SecretService.Keyring", "os")
    assert storage.warning is None and "warning" not in storage.report()


def test_no_keyring_at_all_falls_back_to_the_private_file_with_a_warning(restore_keyring):
    from keyring.backends.fail import Keyring as NoKeyring

    keyring.set_keyring(NoKeyring())
    storage = configure_keyring()
    assert storage.backend == "keyrings.alt.file.PlaintextKeyring" and storage.warning is not None


def test_the_window_shows_the_plaintext_warning(qtbot):
    from app.ui.settings_view import secrets_label

    label = secrets_label(SecretStorage("keyrings.alt.file.PlaintextKeyring", "file", Path("/x/keyring_pass.cfg")))
    qtbot.addWidget(label)
    assert label.property("role") == "warning" and "/x/keyring_pass.cfg" in label.text()
    assert "unencrypted" in label.text()
    ok = secrets_label(SecretStorage("keyring.backends.SecretService.Keyring", "os"))
    qtbot.addWidget(ok)
    assert ok.text().startswith("OS keyring") and ok.property("role") is None


async def test_runtime_start_makes_the_data_dir_private_and_health_reports_the_secret_store(tmp_path, umask_022):
    import aiohttp

    from app.config import load_settings
    from app.runtime import Runtime

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('[redwaves]\nlog_level = "info"\n')
    assert mode(data / "config.toml") == 0o644
    settings = load_settings({}, {"data_dir": data, "network": "regtest", "private_port": 0, "daemon_enabled": False})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(runtime.urls["private"] + "/health") as resp:
            report = await resp.json()
        assert report["secrets"]["store"] == "file" and "unencrypted" in report["secrets"]["warning"]
        paths = [data, *data.rglob("*")]
        loose = {str(p.relative_to(data)): oct(mode(p)) for p in paths
                 if not p.is_symlink() and mode(p) & 0o077}
        assert loose == {}
        assert mode(settings.db_path) == 0o600 and mode(data / "config.toml") == 0o600
    finally:
        await runtime.stop()
