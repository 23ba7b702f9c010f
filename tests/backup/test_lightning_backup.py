"""The encrypted backup carries the Lightning node's static channel backups (from the service's cache,
refreshed on every channel change), beside the Electrum wallet files."""

from __future__ import annotations

import asyncio
import json

from app.services.admin.backup import read_backup
from tests.fake_lightning import FakeLightningNode
from tests.services.conftest import running_services

HOT_SEED = "abandon " * 11 + "about"


async def test_backup_holds_static_channel_backups(tmp_path):
    node = FakeLightningNode()
    async with running_services(tmp_path / "shop", lightning_node=node) as svc:
        hot = await svc.wallets.add_hot_wallet("Till", HOT_SEED)
        await svc.lightning.enable(hot.id)
        channel = await svc.lightning.open_channel("02" + "cd" * 32 + "@127.0.0.1:9735", 100_000)
        await asyncio.to_thread(svc.backups.create, tmp_path / "b.rwbackup", "correct horse battery")
    _manifest, files = read_backup(tmp_path / "b.rwbackup", "correct horse battery")
    assert json.loads(files["lightning/channel_backups.json"]) == {channel.channel_id: f"channel_backup:{channel.channel_id}"}


async def test_no_channel_backups_file_without_lightning(tmp_path):
    async with running_services(tmp_path / "shop") as svc:
        await asyncio.to_thread(svc.backups.create, tmp_path / "b.rwbackup", "correct horse battery")
    _manifest, files = read_backup(tmp_path / "b.rwbackup", "correct horse battery")
    assert "lightning/channel_backups.json" not in files
