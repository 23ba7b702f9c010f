"""Backups: consistent while a payment burst runs, encrypted, restorable elsewhere, reconciled."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.errors import Conflict
from app.core.statuses import InvoiceStatus
from app.devnet import Devnet
from app.runtime import Runtime
from app.secrets import SecretStore
from app.services.admin.backup import BackupError, BackupService, decrypt, encrypt, restore
from tests.integration.helpers import make_store, wait_status, wait_synced

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery"


def _runtime(data_dir: Path, server: str) -> Runtime:
    return Runtime(load_settings({}, {"data_dir": data_dir, "network": "regtest", "private_port": 0,
                                      "electrum_server": server}))


def _service(runtime: Runtime) -> BackupService:
    s = runtime.settings
    return BackupService(network=s.network, network_dir=s.network_dir, db_path=s.db_path,
                         electrum_dir=s.electrum_dir, config_path=None, secrets=SecretStore(s.network))


def test_encryption_detects_wrong_passphrase_and_tampering():
    blob = encrypt(b"payload", PASS)
    assert decrypt(blob, PASS) == b"payload"
    with pytest.raises(BackupError, match="passphrase is wrong or the backup is corrupted"):
        decrypt(blob, "wrong passphrase")
    tampered = bytearray(blob)
    tampered[-5] ^= 1
    with pytest.raises(BackupError):
        decrypt(bytes(tampered), PASS)
    with pytest.raises(BackupError, match="not a RedWaves backup"):
        decrypt(b"PK\x03\x04zipfile", PASS)


@pytest.mark.slow
async def test_backup_during_payment_burst_restores_and_reconciles(tmp_path):
    async with Devnet() as devnet:
        first = _runtime(tmp_path / "shop", devnet.server_string)
        await first.start()
        try:
            services = first.services
            await wait_synced(first)
            store = await make_store(services, speed_policy=1)
            SecretStore("regtest").set("webhook:test", "s3cret")
            invoices = [await services.invoices.create(store.id, price="10.00") for _ in range(30)]
            burst = asyncio.gather(*(devnet.pay(i.address, i.amount_due_sat) for i in invoices[:20]))
            backup_path = tmp_path / "shop.rwbackup"
            info, _ = await asyncio.gather(asyncio.to_thread(_service(first).create, backup_path, PASS), burst)
            assert info.invoices == 30
            for invoice in invoices[:20]:
                await wait_status(services, invoice.id, InvoiceStatus.PAID)
            # after the backup: more payments and a block
            for invoice in invoices[20:25]:
                await devnet.pay(invoice.address, invoice.amount_due_sat)
            await devnet.mine(1)
            with pytest.raises(Conflict, match="running"):
                restore(backup_path, PASS, data_dir=tmp_path / "shop")
        finally:
            await first.stop()

        with pytest.raises(BackupError):
            restore(backup_path, "not the passphrase", data_dir=tmp_path / "elsewhere")
        assert not (tmp_path / "elsewhere" / "regtest" / "redwaves.sqlite3").exists()
        SecretStore("regtest").delete("webhook:test")
        manifest = restore(backup_path, PASS, data_dir=tmp_path / "elsewhere")
        assert manifest["invoices"] == 30
        assert SecretStore("regtest").get("webhook:test").reveal() == "s3cret"
        with pytest.raises(Conflict, match="already holds"):
            restore(backup_path, PASS, data_dir=tmp_path / "elsewhere")

        second = _runtime(tmp_path / "elsewhere", devnet.server_string)
        await second.start()
        try:
            services = second.services
            restored = await services.invoices.list(limit=100)
            assert restored.total == 30
            assert {i.id for i in restored.items} == {i.id for i in invoices}
            assert (await services.stores.get(store.id)).speed_policy == 1
            for invoice in invoices[:25]:  # including the 5 paid after the backup
                await wait_status(services, invoice.id, InvoiceStatus.COMPLETE, timeout_s=30)
            assert (await services.invoices.get(invoices[29].id)).status == InvoiceStatus.PENDING
            wallet = (await services.wallets.list())[0]
            fresh = await services.invoices.create(store.id, price="1.00")
            assert fresh.address not in {i.address for i in invoices} and wallet.next_index == 30
        finally:
            await second.stop()


def test_cli_backup_and_restore_round_trip(tmp_path):
    env_base = {k: v for k, v in __import__("os").environ.items() if not k.startswith("REDWAVES_")}
    pass_file = tmp_path / "pass.txt"
    pass_file.write_text(PASS)

    def run(*args, data_dir):
        return subprocess.run([sys.executable, "-m", "app", *args, "--network", "regtest", "--data-dir",
                               str(data_dir)], cwd=ROOT, env=env_base, capture_output=True, text=True, timeout=120)

    from app.db.migrate import upgrade_to_head

    upgrade_to_head(tmp_path / "a" / "regtest" / "redwaves.sqlite3")
    made = run("backup", "--out", str(tmp_path / "b.rwbackup"), "--passphrase-file", str(pass_file),
               data_dir=tmp_path / "a")
    assert made.returncode == 0, made.stderr
    pass_file.write_text("wrong passphrase!")
    bad = run("restore", str(tmp_path / "b.rwbackup"), "--passphrase-file", str(pass_file), data_dir=tmp_path / "c")
    assert bad.returncode == 2 and "passphrase is wrong" in bad.stderr
    pass_file.write_text(PASS)
    ok = run("restore", str(tmp_path / "b.rwbackup"), "--passphrase-file", str(pass_file), data_dir=tmp_path / "c")
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "c" / "regtest" / "redwaves.sqlite3").exists()


async def test_scheduled_backups_keep_the_newest(tmp_path):
    from app.db.migrate import upgrade_to_head
    from app.services.admin.backup import PASSPHRASE_SECRET, BackupScheduler

    settings = load_settings({}, {"data_dir": tmp_path, "network": "regtest"})
    upgrade_to_head(settings.db_path)
    service = BackupService(network="regtest", network_dir=settings.network_dir, db_path=settings.db_path,
                            electrum_dir=settings.electrum_dir, config_path=None, secrets=SecretStore("regtest"))
    secrets = SecretStore("regtest")
    secrets.delete(PASSPHRASE_SECRET)
    scheduler = BackupScheduler(service, secrets, tmp_path / "backups", keep=2, interval_s=3600)
    assert await scheduler.backup_now() is None and "passphrase" in scheduler.last_error
    secrets.set(PASSPHRASE_SECRET, PASS)
    made = []
    for _ in range(3):
        info = await scheduler.backup_now()
        made.append(info.path)
        await asyncio.sleep(1.1)  # names carry the second
    remaining = sorted((tmp_path / "backups").glob("*.rwbackup"))
    assert remaining == sorted(made[1:])
    assert scheduler._due_in_s() > 3500
    secrets.delete(PASSPHRASE_SECRET)
