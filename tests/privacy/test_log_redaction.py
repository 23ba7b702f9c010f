"""What the app writes next to its database tells no secret: a whole shop day on the real runtime
(devnet, real Electrum, real HTTP, real SMTP on 127.0.0.1), then every file in the data directory
except the SQLite database and Electrum's wallet files is read back and searched.

The day: a watch-only wallet (vpub) and a hot wallet (seed), an API key, a store with SMTP (user +
password), a webhook whose receiver answers 500 and one on a closed port (its URL holds a token), an invoice with a buyer e-mail paid on the
devnet to complete with its e-mail receipt, failed API logins (a real key id with a wrong secret,
a garbage key), CSV exports with and without buyer e-mails, an encrypted backup with a passphrase. Only redacted forms may appear: ``vpub5Y6cjg…``,
``a***@example.com``, ``rw_<6>…``, ``bcrt1qab…wxyz``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from pathlib import Path

import aiohttp
import pytest
from aiosmtpd.controller import Controller

from app.chain.keys import parse_wallet_keys
from app.logs import NOT_SEED_WORDS, RedactingFormatter, configure_logging
from app.secrets import Secret
from app.services.admin.backup import PASSPHRASE_SECRET
from tests.api.conftest import Receiver
from tests.conftest import TEST_VPUB, started_runtime
from tests.integration.helpers import wait_for, wait_synced
from tests.notifications.conftest import PASSWORD, USER, Inbox, _authenticator

BUYER = "alice.buyer@example.com"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
BACKUP_PASSPHRASE = "tide-marble-92-orchard"
WRONG_SECRET = "Zq8" * 14
HOOK_PATH_TOKEN = "T0SECRETPATH9x"  # a webhook URL can be a credential (chat services put one in the path)
HOOK_QUERY_TOKEN = "q7QUERYTOKENz"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Day:
    """The secrets and personal data the day produced, to search for afterwards."""

    api_key = ""
    webhook_secret = ""
    invoice: dict = {}
    backup: Path | None = None


async def _api(http: aiohttp.ClientSession, method: str, url: str, **kw) -> dict:
    async with http.request(method, url, **kw) as resp:
        body = await resp.json()
        assert resp.status < 300, body
        return body


async def _shop_day(runtime, smtp_port: int, receiver: Receiver, log_path: Path) -> _Day:
    services, devnet, day = runtime.services, runtime.devnet, _Day()
    await wait_synced(runtime, 30)
    day.api_key = (await services.apikeys.bootstrap("privacy")).key.reveal()
    base = runtime.urls["private"] + "/api/v1"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {day.api_key}"}) as http:
        wallet = await _api(http, "POST", f"{base}/wallets", json={"name": "main", "keys": TEST_VPUB})
        store = await _api(http, "POST", f"{base}/stores", json={
            "name": "Shop", "default_currency": "USD", "wallet_ids": [wallet["id"]], "speed_policy": 1})
        await services.rates.set_manual_rate("USD", "50000")
        await services.email.configure(store["id"], {"host": "127.0.0.1", "port": smtp_port, "mode": "plain",
                                                     "username": USER, "from_address": "shop@example.com"},
                                       password=PASSWORD)
        hook = await _api(http, "POST", f"{base}/stores/{store['id']}/webhooks", json={"url": receiver.url})
        day.webhook_secret = hook["secret"]
        closed = f"http://127.0.0.1:{_free_port()}/hooks/{HOOK_PATH_TOKEN}?key={HOOK_QUERY_TOKEN}"  # nobody listens
        await _api(http, "POST", f"{base}/stores/{store['id']}/webhooks", json={"url": closed})
        day.invoice = await _api(http, "POST", f"{base}/stores/{store['id']}/invoices",
                                 json={"price": "12.50", "buyer_email": BUYER, "order_id": "A-17"})
        await devnet.pay(day.invoice["address"], day.invoice["amount_due_sat"])
        await wait_for(lambda: receiver.received, timeout_s=30, what="a webhook attempt (answered 500)")
        await devnet.mine(1)

        async def complete() -> bool:
            return (await _api(http, "GET", f"{base}/invoices/{day.invoice['id']}"))["status"] == "complete"

        await wait_for(complete, timeout_s=40, what="invoice complete")
        await _exports(http, base)
    await services.wallets.add_hot_wallet("Till", SEED)  # a seed wallet too (after the payment)
    await _failed_logins(base, day.api_key)
    day.backup = runtime.settings.data_dir / "backups" / "shop.rwbackup"
    await asyncio.to_thread(services.secrets.set, PASSPHRASE_SECRET, BACKUP_PASSPHRASE)
    await asyncio.to_thread(services.backups.create, day.backup, BACKUP_PASSPHRASE)
    await wait_for(lambda: re.search(r"delivery \S+ attempt \d+: 500", log_path.read_text()), timeout_s=20,
                   what="the failed webhook attempt in the log")
    await wait_for(lambda: re.search(r"delivery \S+ attempt \d+: ClientConnectorError", log_path.read_text()),
                   timeout_s=20, what="the unreachable webhook in the log")
    return day


async def _exports(http: aiohttp.ClientSession, base: str) -> None:
    """The export over the real private listener: the buyer's e-mail only when asked."""
    for query, included in (("", False), ("&include_buyer_email=true", True)):
        async with http.get(f"{base}/invoices/export?format=csv{query}") as resp:
            assert resp.status == 200
            text = await resp.text()
        assert ("buyer_email" in text.splitlines()[0], BUYER in text) == (included, included), query


async def _failed_logins(base: str, key: str) -> None:
    key_id = key.split("_")[1]
    async with aiohttp.ClientSession() as http:
        for token in (f"rw_{key_id}_{WRONG_SECRET}", "not-a-key", key[:-3] + "xyz"):
            async with http.get(f"{base}/invoices", headers={"Authorization": f"Bearer {token}"}) as resp:
                assert resp.status == 401, await resp.text()


def _written_files(data_dir: Path, electrum_dir: Path, db_path: Path) -> dict[Path, bytes]:
    """Every file the app wrote, but the database (and its WAL) and Electrum's wallet files."""
    skip = {db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm"),
            db_path.with_name(db_path.name + "-journal")}
    files = {}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path in skip or path.parent == electrum_dir / "regtest" / "wallets":
            continue
        if "devnet" in path.relative_to(data_dir).parts:  # the test's own chain (public data), not the app's
            continue
        files[path] = path.read_bytes()
    return files


@pytest.fixture
def smtp_inbox():
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_require_tls=False)  # AUTH offered over plain: the password is sent
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.slow
async def test_a_shop_day_leaves_only_redacted_forms_in_the_data_dir(tmp_path, smtp_inbox):
    from app.config import load_settings

    inbox, smtp_port = smtp_inbox
    receiver = Receiver(statuses=[500] * 100)
    await receiver.start()
    data_dir = tmp_path / "data"
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging(settings.log_dir, "warning", console=False)
    smtp_log = logging.getLogger("mail.log")  # the test's SMTP server logs to the root logger too: not the app
    smtp_log_level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    try:
        async for runtime in started_runtime(tmp_path, public_enabled=False, daemon_port=0):
            day = await _shop_day(runtime, smtp_port, receiver, settings.log_dir / "redwaves.log")
            await inbox.wait(1, timeout_s=30)  # the buyer's receipt, sent with the SMTP login
    finally:
        await receiver.stop()
        smtp_log.setLevel(smtp_log_level)
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
    assert inbox.to(BUYER), "the receipt went to the buyer"
    files = _written_files(data_dir, settings.electrum_dir, settings.db_path)
    log = (settings.log_dir / "redwaves.log").read_text()
    _assert_the_day_is_in_the_log(log, day)
    hot_xpub = parse_wallet_keys(SEED, "regtest", allow_seed=True).watch_keys[0]
    invoice = day.invoice
    secrets = {"buyer e-mail": BUYER, "vpub": TEST_VPUB, "vpub (40 chars)": TEST_VPUB[:40],
               "hot wallet xpub": hot_xpub, "hot wallet xpub (40 chars)": hot_xpub[:40],
               "seed": SEED, "seed words": "winner thank year", "API key": day.api_key,
               "API key secret": day.api_key.split("_", 2)[2], "wrong key secret": WRONG_SECRET,
               "webhook secret": day.webhook_secret, "SMTP password": PASSWORD,
               "backup passphrase": BACKUP_PASSPHRASE, "receive address": invoice["address"],
               "webhook URL path": HOOK_PATH_TOKEN, "webhook URL query": HOOK_QUERY_TOKEN}
    found = {f"{name} in {path.relative_to(data_dir)}" for path, content in files.items()
             for name, value in secrets.items() if value.encode() in content}
    assert not found, found
    assert day.backup in files and files[day.backup].startswith(b"REDWAVES-BACKUP-1\n")  # encrypted, scanned too
    for line in log.splitlines():  # no line ties an address to an amount (addresses are shortened)
        assert not (invoice["address"][:12] in line and str(invoice["amount_due_sat"]) in line), line


def _assert_the_day_is_in_the_log(log: str, day: _Day) -> None:
    """The log still tells the story, in redacted forms (so the scan above is not vacuous)."""
    invoice = day.invoice
    address = invoice["address"]
    assert f"invoice {invoice['id']} created for store" in log
    assert f"{invoice['amount_due_sat']} sat to {address[:9]}…{address[-4:]}" in log
    assert f"invoice {invoice['id']}: payment.received" in log
    assert re.search(r"delivery \S+ attempt \d+: 500", log)
    assert f"API key {day.api_key.split('_')[1]} created" in log
    assert "backup written to" in log
    assert f"failed API login (peer 127.0.0.1, key id {day.api_key.split('_')[1]})" in log  # the id, never the secret
    assert json.dumps(BUYER) not in log


# -- the formatter on crafted records ---------------------------------------------------------------

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
LEGACY = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
WIF = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
API_KEY = "rw_0a1b2c3d4e5f_Q2xhc3NpY2FsbHktc2VjcmV0LWJ1dC1sb25nLWVub3VnaA"


def _format(msg: str, *args: object, exc: BaseException | None = None, stack: str | None = None) -> str:
    record = logging.LogRecord("app.test", logging.ERROR, __file__, 1, msg, args,
                               (type(exc), exc, exc.__traceback__) if exc else None, sinfo=stack)
    return RedactingFormatter("%(levelname)s %(name)s: %(message)s").format(record)


def test_arguments_and_literal_text_are_redacted():
    line = _format("wallet %s for %s paid %d sat to %s and %s; key %s; " + BUYER, TEST_VPUB, "bob@shop.example",
                   25_000, ADDRESS, ADDRESS.upper(), API_KEY)
    assert TEST_VPUB[:40] not in line and "vpub5Y6cjg…" in line
    assert "bob@shop.example" not in line and "b***@shop.example" in line and "a***@example.com" in line
    assert ADDRESS not in line and ADDRESS.upper() not in line and "bcrt1qw50…t080" in line
    assert "25000 sat" in line  # amounts stay: the address beside them does not
    assert API_KEY not in line and "rw_0a1b2c…" in line


def test_keys_seeds_legacy_addresses_and_encoded_emails():
    line = _format("import %s (seed %s) change %s url /x?text=alice.buyer%%40example.com&y=1", WIF, SEED, LEGACY)
    assert WIF not in line and "[redacted-wif]" in line
    assert "winner thank" not in line and "[redacted-words]" in line
    assert LEGACY not in line and "1BvB…VN2" in line
    assert "alice.buyer%40example.com" not in line and "a***%40example.com" in line


def test_secrets_as_key_value_pairs_headers_and_dict_reprs():
    settings = {"smtp_password": "hunter22", "webhook_secret": "s3cr3t-value", "host": "mail.example"}
    line = _format("settings %r passphrase=%s Authorization: Bearer %s ?access_token=abc123&x=1", settings,
                   BACKUP_PASSPHRASE, "eyJhbGciOiJIUzI1NiJ9.payload")
    for secret in ("hunter22", "s3cr3t-value", BACKUP_PASSPHRASE, "eyJhbGciOiJIUzI1NiJ9", "abc123"):
        assert secret not in line, secret
    assert "'smtp_password': '[redacted]'" in line and "mail.example" in line and "Bearer [redacted]" in line


def test_exceptions_and_stack_info_are_redacted_too():
    try:
        raise ValueError(f"cannot send to {BUYER}: password={PASSWORD} key {TEST_VPUB}")
    except ValueError as exc:
        line = _format("sending failed", exc=exc, stack=f"Stack (most recent call last):\n  to {ADDRESS}")
    assert "Traceback" in line and "ValueError" in line
    for secret in (BUYER, PASSWORD, TEST_VPUB[:40], ADDRESS):
        assert secret not in line, secret


def test_a_secret_object_prints_redacted_and_innocent_text_is_kept():
    assert "hunter22" not in _format("login with %s", Secret("hunter22"))
    text = ("invoice Qh3xXk2-ab_c9Zt8LmNo1A created for store sto_0a1b2c3d4e5f6a7b8c9d: 12.50 USD; "
            "txid 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b; secret webhook stored; "
            "the log file is writable again")
    assert _format(text).endswith(text)


def test_a_seed_inside_text_is_cut_out_but_plain_english_stays():
    line = _format("restored from: " + SEED + " and then synced")
    assert "winner" not in line and "restored from: [redacted-words] and then synced" in line
    prose = "the shop has many unpaid orders open right now and cannot take more for the moment today"
    assert _format(prose).endswith(prose)


def test_the_words_that_cut_a_seed_run_are_in_no_seed_wordlist():
    import electrum

    words = set((Path(electrum.__file__).parent / "wordlist" / "english.txt").read_text().split())
    assert len(words) == 2048 and not NOT_SEED_WORDS & words
    assert all(3 <= len(w) <= 8 for w in words)  # what the run pattern looks for
