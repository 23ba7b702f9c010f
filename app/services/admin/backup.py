"""Encrypted backups and restore.

A backup is one file: a tar archive (manifest, a consistent SQLite snapshot taken with SQLite's
online backup API while the app runs, Electrum's wallet files, the config file, the keyring
secrets of this network) encrypted with AES-256-GCM under a key derived from the passphrase with
scrypt. Layout: MAGIC | salt (16) | nonce (12) | ciphertext+tag. Tampering, truncation and a wrong
passphrase all fail authentication and are reported as such; nothing is written on failure.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app import __version__
from app.core.errors import Conflict, UserFacingError, ValidationError
from app.secrets import SecretStore

logger = logging.getLogger(__name__)

MAGIC = b"REDWAVES-BACKUP-1\n"
FORMAT_VERSION = 1
MIN_PASSPHRASE = 8


class BackupError(UserFacingError):
    code = "backup_invalid"
    http_status = 400


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    network: str
    created_at: datetime
    invoices: int
    size_bytes: int


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def encrypt(plain: bytes, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(f"Use a passphrase of at least {MIN_PASSPHRASE} characters.",
                              code="weak_passphrase", field="passphrase")
    salt, nonce = os.urandom(16), os.urandom(12)
    return MAGIC + salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(nonce, plain, MAGIC)


def decrypt(blob: bytes, passphrase: str) -> bytes:
    if not blob.startswith(MAGIC):
        raise BackupError("This file is not a RedWaves backup.", code="not_a_backup", field="file")
    body = blob[len(MAGIC):]
    if len(body) < 16 + 12 + 16:
        raise BackupError("The backup file is truncated.", code="backup_corrupted", field="file")
    salt, nonce, sealed = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_key(passphrase, salt)).decrypt(nonce, sealed, MAGIC)
    except InvalidTag:
        raise BackupError("The passphrase is wrong or the backup is corrupted.", code="backup_corrupted",
                          field="passphrase") from None


def snapshot_db(db_path: Path) -> bytes:
    """A transactionally consistent copy, taken while writers keep writing (SQLite backup API)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "snapshot.sqlite3"
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return target.read_bytes()


def _count_invoices(db_bytes: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".sqlite3") as tmp:
        tmp.write(db_bytes)
        tmp.flush()
        with sqlite3.connect(tmp.name) as conn:
            count: int = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
            return count


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class RestoredBackup:
    """What a restore wrote: the backup's network and date, and the data directory now holding it."""

    network: str
    created_at: str  # ISO 8601, as the manifest says
    invoices: int
    data_dir: Path  # the base data directory: start RedWaves with --data-dir <data_dir> --network <network>
    network_dir: Path


class BackupService:
    def __init__(self, *, network: str, network_dir: Path, db_path: Path, electrum_dir: Path,
                 config_path: Path | None, secrets: SecretStore) -> None:
        self._network = network
        self._network_dir = network_dir
        self._db_path = db_path
        self._electrum_dir = electrum_dir
        self._config_path = config_path
        self._secrets = secrets
        # static channel backups of the Lightning node's open channels (LightningService.cached_channel_backups)
        self.channel_backups: Callable[[], Mapping[str, str]] = dict

    def create(self, out_path: Path, passphrase: str) -> BackupInfo:
        """Blocking (run it with asyncio.to_thread from a loop)."""
        if not self._db_path.exists():
            raise Conflict("There is no RedWaves database to back up yet.", code="nothing_to_backup")
        db_bytes = snapshot_db(self._db_path)
        created_at = datetime.now(UTC)
        secrets = {name: value.reveal() for name in self._secrets.names()
                   if (value := self._secrets.get(name)) is not None}
        invoices = _count_invoices(db_bytes)
        manifest = {"format": FORMAT_VERSION, "app_version": __version__, "network": self._network,
                    "created_at": created_at.isoformat(), "invoices": invoices}
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            _add(tar, "manifest.json", json.dumps(manifest).encode())
            _add(tar, "redwaves.sqlite3", db_bytes)
            _add(tar, "secrets.json", json.dumps(secrets).encode())
            if self._config_path is not None and self._config_path.exists():
                _add(tar, "config.toml", self._config_path.read_bytes())
            if channel_backups := dict(self.channel_backups()):
                # Electrum's static channel backups: with only these (no wallet file), `importchannelbackup`
                # lets the peer close the channel and pay our side to the seed's wallet (docs/lightning.md)
                _add(tar, "lightning/channel_backups.json", json.dumps(channel_backups, indent=1).encode())
            if self._electrum_dir.exists():
                for path in sorted(self._electrum_dir.rglob("*")):
                    if path.is_file() and not path.name.endswith((".lock", ".tmp")):
                        _add(tar, f"electrum/{path.relative_to(self._electrum_dir)}", path.read_bytes())
        blob = encrypt(buffer.getvalue(), passphrase)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(out_path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, out_path)
        logger.info("backup written to %s (%d invoices, %d bytes)", out_path, invoices, len(blob))
        return BackupInfo(out_path, self._network, created_at, invoices, len(blob))

    def restore(self, path: Path, passphrase: str, *, data_dir: Path) -> RestoredBackup:
        """Restore the backup at `path` into `data_dir` (see `restore`: an empty one only). Blocking."""
        manifest = restore(path, passphrase, data_dir=data_dir)
        network = str(manifest["network"])
        return RestoredBackup(network, str(manifest.get("created_at", "")), int(manifest.get("invoices") or 0),
                              data_dir, data_dir / network)


def read_backup(path: Path, passphrase: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.", code="backup_unreadable", field="file") from None
    plain = decrypt(blob, passphrase)
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r") as tar:
        for member in tar.getmembers():
            if not member.isfile() or member.name.startswith("/") or ".." in Path(member.name).parts:
                raise BackupError("The backup contains an unsafe path.", code="backup_corrupted", field="file")
            extracted = tar.extractfile(member)
            files[member.name] = extracted.read() if extracted else b""
    try:
        manifest = json.loads(files["manifest.json"])
    except (KeyError, ValueError):
        raise BackupError("The backup has no valid manifest.", code="backup_corrupted", field="file") from None
    if manifest.get("format") != FORMAT_VERSION or "redwaves.sqlite3" not in files:
        raise BackupError("Unsupported backup format.", code="backup_unsupported", field="file")
    return manifest, files


def restore(path: Path, passphrase: str, *, data_dir: Path, secrets_for: type[SecretStore] = SecretStore) -> dict[str, Any]:
    """Restore into `data_dir/<network>`; refuses a live or non-empty target. Blocking."""
    from app.instance_lock import AlreadyRunning, InstanceLock

    manifest, files = read_backup(path, passphrase)
    network = manifest["network"]
    target = data_dir / network
    lock = InstanceLock(target / "redwaves.lock")
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        raise Conflict(f"RedWaves is running on {target} (PID {exc.pid}); stop it first.",
                       code="target_live", field="data_dir") from None
    try:
        if (target / "redwaves.sqlite3").exists():
            raise Conflict(f"{target} already holds a RedWaves database; restore into an empty data directory.",
                           code="target_not_empty", field="data_dir")
        (target / "electrum").mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            if name.startswith("electrum/"):
                dest = target / "electrum" / name.removeprefix("electrum/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
        if "config.toml" in files and not (data_dir / "config.toml").exists():
            (data_dir / "config.toml").write_bytes(files["config.toml"])
        store = secrets_for(network)
        for name, value in json.loads(files.get("secrets.json", b"{}")).items():
            store.set(name, value)
        db_tmp = target / "redwaves.sqlite3.restore"
        db_tmp.write_bytes(files["redwaves.sqlite3"])
        os.replace(db_tmp, target / "redwaves.sqlite3")  # last: a half-done restore leaves no DB
    finally:
        lock.release()
    logger.info("restored backup of %s into %s", manifest.get("created_at"), target)
    return manifest


def prune(directory: Path, keep: int) -> list[Path]:
    """Keep the `keep` newest scheduled backups in `directory`; returns the removed ones."""
    backups = sorted(directory.glob("redwaves-*.rwbackup"), key=lambda p: p.name, reverse=True)
    removed = backups[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


PASSPHRASE_SECRET = "backup_passphrase"


class BackupScheduler:
    """Daily (configurable) encrypted backups into a directory, keeping the newest `keep`.

    The passphrase is the keyring secret `backup_passphrase` (set from the GUI or API); without it
    no scheduled backup is written and `last_error` says why.
    """

    def __init__(self, service: BackupService, secrets: SecretStore, directory: Path, *, keep: int = 7,
                 interval_s: float = 86400.0) -> None:
        self._service = service
        self._secrets = secrets
        self._directory = directory
        self._keep = keep
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self.last_backup: BackupInfo | None = None
        self.last_error: str | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="backup-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _due_in_s(self) -> float:
        newest = max(self._directory.glob("redwaves-*.rwbackup"), default=None, key=lambda p: p.stat().st_mtime)
        if newest is None:
            return 0.0
        age = datetime.now(UTC).timestamp() - newest.stat().st_mtime
        return max(0.0, self._interval_s - age)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._due_in_s())
            await self.backup_now()
            await asyncio.sleep(min(self._interval_s, 3600.0))

    async def backup_now(self) -> BackupInfo | None:
        passphrase = self._secrets.get(PASSPHRASE_SECRET)
        if passphrase is None:
            self.last_error = "Scheduled backups need a passphrase (Settings > Backups)."
            logger.warning("scheduled backup skipped: no passphrase in the keyring")
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self._directory / f"redwaves-{stamp}.rwbackup"
        try:
            self.last_backup = await asyncio.to_thread(self._service.create, path, passphrase.reveal())
        except (OSError, UserFacingError) as exc:
            self.last_error = str(exc)
            logger.error("scheduled backup failed: %s", exc)
            return None
        self.last_error = None
        await asyncio.to_thread(prune, self._directory, self._keep)
        return self.last_backup
