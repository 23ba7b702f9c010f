"""Settings → Webhooks and API keys, and File → Restore, on the real runtime (SQLite, devnet, listeners):
webhooks go to a real aiohttp receiver on 127.0.0.1, API keys are used over real HTTP against the
private listener, and a real backup file is restored into an empty data directory through the dialog."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PySide6.QtCore import Qt

from app.services.delivery.webhook_payloads import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from app.ui.restore_dialog import RestoreDialog
from app.ui.settings_apikeys import SCOPES, ApiKeysPage, NewApiKeyDialog
from app.ui.settings_integrations import WebhooksPage
from tests.ui.conftest import click, run, settings_page, shots, wait_until

pytestmark = pytest.mark.gui


class Receiver:
    """A webhook endpoint on 127.0.0.1: records every request and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append({"headers": dict(request.headers), "body": await request.read()})
        return web.Response(status=self.status, text="ok" if self.status < 300 else "broken")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _ready(gui: Any) -> None:
    """The first-run wizard opens on an empty shop; these tests set the shop up through the services."""
    wizard = await wait_until(lambda: gui.wizard, what="first-run wizard")
    wizard.reject()


def _cells(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_webhook_send_test_and_redeliver_from_the_page(gui, qloop) -> None:
    services = gui.services
    receiver = Receiver()
    run(qloop, receiver.start())
    try:
        run(qloop, _ready(gui))
        store = run(qloop, services.stores.create("Corner Shop"))
        page = settings_page(gui.window, "Webhooks", WebhooksPage)
        run(qloop, wait_until(lambda: page.store.currentData() == store.id, what="store in the combo"))

        page.url.setText("ftp://shop.example/hook")  # not http(s): the error shows beside the URL field
        click(page, "addWebhook")
        run(qloop, wait_until(lambda: page.errors.message("url"), what="url error"))
        assert "http(s)" in page.errors.message("url")
        assert run(qloop, services.webhooks.list(store.id)) == []  # nothing was written

        page.url.setText(receiver.url)
        click(page, "addWebhook")
        run(qloop, wait_until(lambda: page.hooks, what="webhook listed"))
        assert page.errors.message("url") == ""
        secret = page.secret_dialog.secret.text()
        page.secret_dialog.accept()
        assert _cells(page.table)[0][:3] == [receiver.url, "all events", "yes"]

        click(page, "testWebhook")  # Send test: one signed request, logged with its HTTP code
        run(qloop, wait_until(lambda: page.delivery_items and page.delivery_items[0].status == "delivered",
                              what="test delivery in the log"))
        [request] = receiver.requests
        body = json.loads(request["body"])
        assert verify(secret, request["body"], request["headers"][SIGNATURE_HEADER])
        assert body["type"] == "webhook.test" == request["headers"][EVENT_HEADER]
        assert body["event"] == {"test": True} and body["store_id"] == store.id and body["invoice"] is None
        assert request["headers"][DELIVERY_HEADER] == body["delivery_id"] == page.delivery_items[0].id
        row = _cells(page.deliveries)[0]
        assert row[1:5] == ["webhook.test", "delivered", "200", "1"]
        assert "delivered (HTTP 200)" in page.status.text()

        receiver.status = 500  # the receiver breaks: the next test fails, logged with its code
        click(page, "testWebhook")
        run(qloop, wait_until(lambda: len(page.delivery_items) == 2 and page.delivery_items[0].status == "failed",
                              what="failed test delivery"))
        failed = page.delivery_items[0]
        assert _cells(page.deliveries)[0][1:5] == ["webhook.test", "failed", "500", "1"]
        assert page.status.property("role") == "error" and "HTTP 500" in page.status.text()
        shots(gui.window, "settings-webhooks")

        receiver.status = 200  # fixed: Redeliver the failed one, same delivery id, now delivered
        page.deliveries.selectRow(0)
        click(page, "redeliver")
        run(qloop, wait_until(lambda: page.delivery_items and page.delivery_items[0].id == failed.id
                              and page.delivery_items[0].status == "delivered", timeout_s=25, what="redelivered"))
        assert len(receiver.requests) == 3
        assert receiver.requests[-1]["headers"][DELIVERY_HEADER] == failed.id
        assert receiver.requests[-1]["body"] == receiver.requests[1]["body"]  # the same body, signed again
        assert _cells(page.deliveries)[0][2:4] == ["delivered", "200"]
        assert "delivered (HTTP 200)" in page.status.text()
    finally:
        run(qloop, receiver.stop())


def test_api_key_restricted_to_one_store_cannot_read_another(gui, qloop, artifacts) -> None:
    services = gui.services
    run(qloop, _ready(gui))
    shop_a = run(qloop, services.stores.create("Shop A"))
    shop_b = run(qloop, services.stores.create("Shop B"))
    page = settings_page(gui.window, "API keys", ApiKeysPage)
    run(qloop, wait_until(lambda: len(page.stores) == 2, what="stores loaded"))

    click(page, "newKey")
    dialog = page.new_dialog
    assert isinstance(dialog, NewApiKeyDialog)
    assert {scope for scope, _label in SCOPES} | {"full"} == {str(s) for s in _scope_enum()}
    dialog.create_button.click()  # no name, no scope: the service's error shows beside the name
    run(qloop, wait_until(lambda: dialog.errors.message("name"), what="name error"))
    dialog.name.setText("Shop A's website")
    dialog.create_button.click()
    run(qloop, wait_until(lambda: dialog.errors.message("scopes"), what="scope error"))
    dialog.scope_boxes["stores:read"].setChecked(True)
    dialog.scope_boxes["invoices:read"].setChecked(True)
    dialog.some_stores.setChecked(True)
    dialog.create_button.click()  # "only these stores" with none ticked
    assert "Tick at least one store" in dialog.errors.message("store_ids")
    items = [dialog.store_list.item(i) for i in range(dialog.store_list.count())]
    next(i for i in items if i.text() == "Shop A").setCheckState(Qt.CheckState.Checked)
    dialog.resize(800, 480)
    dialog.grab().save(str(artifacts / "settings-apikey-new-800x480.png"))
    dialog.create_button.click()
    token = run(qloop, wait_until(lambda: dialog.token.text(), what="key shown once"))
    assert token.startswith("rw_") and dialog.token_box.isVisible() and not dialog.form_box.isVisible()
    assert "shown only once" in dialog.findChild(type(dialog.summary), "shownOnceNote").text()
    assert "Shop A" in dialog.summary.text() and "Shop B" not in dialog.summary.text()
    dialog.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == token
    dialog.grab().save(str(artifacts / "settings-apikey-shown-once-800x480.png"))
    dialog.accept()
    run(qloop, wait_until(lambda: page.keys, what="key listed"))
    assert _cells(page.table)[0][2:4] == ["invoices:read, stores:read", "Shop A"]
    [key] = run(qloop, services.apikeys.list())
    assert key.store_ids == (shop_a.id,) and {str(s) for s in key.scopes} == {"invoices:read", "stores:read"}
    shots(gui.window, "settings-apikeys")

    async def get(path: str) -> tuple[int, dict[str, Any]]:
        base = services.urls.current()["private"].rstrip("/")
        async with aiohttp.ClientSession() as http, http.get(
                f"{base}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}) as resp:
            return resp.status, await resp.json()

    status, body = run(qloop, get(f"/stores/{shop_a.id}"))
    assert status == 200 and body["name"] == "Shop A"
    status, body = run(qloop, get(f"/stores/{shop_b.id}"))
    assert status == 403 and body["error"]["code"] == "store_forbidden"

    click(page, "revokeKey")  # nothing selected: nothing happens
    page.table.selectRow(0)
    click(page, "revokeKey")
    assert "cannot be undone" in page.confirm_box.text()
    yes = next(b for b in page.confirm_box.buttons() if b.text() == "Revoke")
    yes.click()
    run(qloop, wait_until(lambda: not page.keys, what="key revoked"))
    status, _body = run(qloop, get(f"/stores/{shop_a.id}"))
    assert status == 401


def _scope_enum() -> Any:
    from app.services.admin.apikeys import Scope

    return Scope


def test_restore_a_real_backup_into_an_empty_directory_then_restart_into_it(gui, qloop, tmp_path, artifacts):
    services = gui.services
    run(qloop, _ready(gui))
    run(qloop, services.stores.create("Backed-up Bakery"))
    backup = tmp_path / "shop.rwbackup"
    run(qloop, asyncio.to_thread(services.backups.create, backup, "correct horse battery"))

    gui.window.actions_by_name["restore"].trigger()  # File → Restore from backup…
    dialog = gui.window.findChild(RestoreDialog, "restoreDialog")
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "restored"
    dialog.file_edit.setText(str(backup))
    dialog.passphrase.setText("wrong passphrase")
    dialog.dir_edit.setText(str(gui.settings.data_dir))  # the running one: refused beside the field
    dialog.restore_button.click()
    assert "using this data directory" in dialog.errors.message("data_dir")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    dialog.dir_edit.setText(str(tmp_path / "busy"))
    dialog.restore_button.click()
    assert "is not empty" in dialog.errors.message("data_dir")

    dialog.dir_edit.setText(str(target))
    dialog.restore_button.click()  # a wrong passphrase: the error is beside the passphrase, nothing written
    run(qloop, wait_until(lambda: dialog.errors.message("passphrase"), timeout_s=30, what="passphrase error"))
    assert "passphrase is wrong" in dialog.errors.message("passphrase") and not target.exists()
    assert dialog.restore_button.isEnabled()

    dialog.passphrase.setText("correct horse battery")
    dialog.restore_button.click()
    assert dialog.progress.isVisible()
    restored = run(qloop, wait_until(lambda: dialog.result_info, timeout_s=30, what="restored"))
    assert restored.network == "regtest" and restored.network_dir == target / "regtest"
    assert "Restored the regtest backup" in dialog.message.text() and f"--data-dir {target}" in dialog.message.text()
    assert dialog.restart_button.isVisible() and not dialog.progress.isVisible()
    shots(dialog, "restore-dialog-done")
    with sqlite3.connect(target / "regtest" / "redwaves.sqlite3") as db:
        assert [name for (name,) in db.execute("SELECT name FROM stores")] == ["Backed-up Bakery"]

    launched: list[list[str]] = []
    gui.relaunch = launched.append  # instead of starting a real second RedWaves
    dialog.restart_button.click()  # quits this one, then starts RedWaves on the restored directory
    run(qloop, wait_until(lambda: launched, timeout_s=30, what="relaunch after the stop"))
    [argv] = launched
    assert argv[1:3] == ["-m", "app"] and argv[3:7] == ["--data-dir", str(target), "--network", "regtest"]
    assert gui.runtime.services is None or gui._stopped


def test_the_wizard_offers_restore_on_its_welcome_page(gui, qloop):
    wizard = run(qloop, wait_until(lambda: gui.wizard, what="first-run wizard"))
    assert wizard.currentPage() is wizard.network_page and wizard.network_page.restore_button.isVisible()
    wizard.network_page.restore_button.click()
    dialog = wizard.findChild(RestoreDialog, "restoreDialog")  # above the modal wizard, not under it
    assert dialog is not None and dialog.isVisible() and dialog.isModal()
    dialog.reject()
