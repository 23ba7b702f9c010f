"""A backup is an export of everything, so it is encrypted: the file holds no buyer e-mail, xpub,
address or webhook secret in clear (and opens again with the passphrase). Real services on SQLite."""

from __future__ import annotations

import asyncio

from app.services.admin.backup import MAGIC, read_backup
from tests.api.conftest import services, shop, stack  # noqa: F401 - the API fixtures, reused here
from tests.conftest import TEST_VPUB

BUYER = "alice.buyer@example.com"
PASSPHRASE = "tide-marble-92-orchard"


async def test_a_backup_holds_no_buyer_email_or_xpub_in_clear(services, tmp_path):  # noqa: F811 - fixture
    store = await shop(services)
    invoice = await services.invoices.create(store.id, price="12.50", buyer_email=BUYER)
    hook = await services.webhooks.create(store.id, "http://127.0.0.1:9/hook")
    path = tmp_path / "out" / "shop.rwbackup"
    await asyncio.to_thread(services.backups.create, path, PASSPHRASE)

    blob = path.read_bytes()
    assert blob.startswith(MAGIC)
    for clear in (BUYER, TEST_VPUB, TEST_VPUB[:40], invoice.address, hook.secret.reveal(), PASSPHRASE):
        assert clear.encode() not in blob and clear.encode("utf-16-le") not in blob, clear
    _manifest, files = await asyncio.to_thread(read_backup, path, PASSPHRASE)  # and it is all there
    assert BUYER.encode() in files["redwaves.sqlite3"] and TEST_VPUB.encode() in files["redwaves.sqlite3"]
