"""docs/api.md's error table and the codes the API can return, walked together.

The codes are read from the source the API runs: `code = "..."` on error classes, `code="..."` where an
error is raised, `json_error(<status>, "...")` answers, the server's HTTP code table, and InvalidKey's and
LimitExceeded's constants. Every one is in the table; every code in the table is one of them.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.checkout_server.errors import _HTTP_CODES
from app.core.errors import InvalidKey, UserFacingError
from app.core.limits import LimitExceeded

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("app/core", "app/chain/errors.py", "app/checkout_server/api", "app/checkout_server/errors.py",
           "app/checkout_server/guards.py", "app/checkout_server/logins.py", "app/services/invoicing",
           "app/services/catalog", "app/services/wallets", "app/services/admin/apikeys.py",
           "app/services/delivery/webhooks.py", "app/services/delivery/pipeline.py",
           "app/services/delivery/webhook_dispatch.py", "app/services/invoicing/idempotency.py",
           "app/db/storage.py", "app/services/writer.py", "app/services/lightning", "app/chain/lightning.py")
# Codes in those files that no API call can return (the window's and the shopper pages' own).
NOT_API = {"invalid_accent_color", "invalid_logo_url", "invalid_printer_setting", "not_a_thermal_printer",
           "invalid_cart", "invalid_pin", "pin_already_set", "pin_not_set",
          "invalid_bolt11", "backup_unavailable"}  # lnpay (daemon only) and channel backups (the backup file)
PATTERNS = (r"""\bcode\s*=\s*"([a-z0-9_]+)\"""", r"""json_error\(\s*\d{3},\s*"([a-z0-9_]+)\"""",
            r"""_unauthorized\(\s*"([a-z0-9_]+)\"""")
# Codes built with an f-string (app/services/lightning/service.py `_check_amount`: invalid_<field>).
FORMATTED = {"invalid_amount_sat", "invalid_push_sat"}


def _files() -> list[Path]:
    files: list[Path] = []
    for source in SOURCES:
        path = ROOT / source
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def codes_in_source() -> set[str]:
    found = {code for f in _files() for pattern in PATTERNS for code in re.findall(pattern, f.read_text())}
    found |= set(_HTTP_CODES.values()) | set(InvalidKey.CODES) | {UserFacingError.code, "internal_error"}
    found |= {LimitExceeded.NUMBER_TOO_LARGE, LimitExceeded.TOO_LONG, LimitExceeded.TOO_DEEP} | FORMATTED
    return found - NOT_API


def codes_in_table() -> set[str]:
    text = (ROOT / "docs/api.md").read_text()
    section = text.split("### Errors", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"^\| \d{3} \|", line)]
    return {code for row in rows for code in re.findall(r"`([a-z0-9_]+)`", row.split("|")[2])}


def test_every_code_the_api_returns_is_in_the_table():
    missing = codes_in_source() - codes_in_table()
    assert not missing, f"add to docs/api.md's error table: {sorted(missing)}"


def test_the_table_lists_only_codes_the_api_returns():
    stale = codes_in_table() - codes_in_source()
    assert not stale, f"no such code in the source: {sorted(stale)}"


def test_the_walk_finds_the_codes_named_in_the_issue():
    assert {"not_a_key", "private_key_given", "wrong_network", "invalid_value", "rate_limited"} <= codes_in_source()
