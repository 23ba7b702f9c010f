"""Logging set-up: console + rotating file in the data dir, with secrets redacted.

Configured once by the composition root. Every module logs through `logging.getLogger(__name__)`.
The redaction filter runs on the formatted message, so it also covers exceptions and arguments.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

_B58 = "1-9A-HJ-NP-Za-km-z"
_BECH32 = "ac-hj-np-z02-9"
# Extended keys (public and private, all SLIP-132 prefixes), WIF keys, receive addresses (bech32 and
# base58: shortened, so a line never ties a whole address to an amount), emails (also URL-encoded),
# bearer tokens, RedWaves API keys and password-like key=value pairs; then seed phrases (below).
# Order matters: keys before addresses (an xpub is base58 too).
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b([xyzXYZtuvTUV](?:pub|prv)[{_B58}]{{6}})[{_B58}]{{90,}}"), r"\1…"),
    (re.compile(rf"\b[5KLc9][{_B58}]{{50,51}}\b"), "[redacted-wif]"),
    (re.compile(rf"(?i)\b((?:bc|tb|bcrt)1[{_BECH32}]{{4}})[{_BECH32}]{{30,80}}([{_BECH32}]{{4}})\b"), r"\1…\2"),
    (re.compile(rf"\b([13mn2][{_B58}]{{3}})[{_B58}]{{19,28}}([{_B58}]{{3}})\b"), r"\1…\2"),
    (re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b"), r"\1***@\2"),
    (re.compile(r"\b([A-Za-z0-9._+-])[A-Za-z0-9._+-]*%40([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b"), r"\1***%40\2"),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"\b(rw_[A-Za-z0-9]{6})[A-Za-z0-9_-]{10,}"), r"\1…"),
    (re.compile(r"(?i)\b([a-z_]*(?:password|passphrase|passwd|secret|seed|mnemonic|private_key|api_key|apikey"
                r"|token))(['\"]?\s*[=:]\s*['\"]?)[^\s'\",}&]+"),
     r"\1\2[redacted]"),
]


# A seed is 12 or more words of 3-8 lowercase letters (BIP39 and Electrum's lists). English prose of that
# shape nearly always holds one of these words, none of which is in the lists: a run is cut at them.
_WORD_RUN = re.compile(r"\b[a-z]{3,8}(?:[ \t]+[a-z]{3,8}){11,}\b")
NOT_SEED_WORDS = frozenset({"the", "and", "for", "has", "are", "not", "with", "from", "was", "were", "than",
                             "been", "its", "our", "your", "but", "per", "via", "too", "yet"})
SEED_MIN_WORDS = 12


def _seed_runs(match: re.Match[str]) -> str:
    out: list[str] = []
    run: list[str] = []
    for word in [*match.group(0).split(), "the"]:  # "the" closes the last run
        if word not in NOT_SEED_WORDS:
            run.append(word)
            continue
        out.extend(["[redacted-words]"] if len(run) >= SEED_MIN_WORDS else run)
        out.append(word)
        run = []
    return " ".join(out[:-1])


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _WORD_RUN.sub(_seed_runs, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files are 0600 (they name invoices, stores and addresses), the rotated ones too.

    A line that cannot be written (a full disk, an I/O error) goes to stderr instead, after a one-line
    notice, without logging's traceback per line; a later line that is written says so once."""

    _failing = False
    _failed_now = False

    def _open(self) -> io.TextIOWrapper:
        stream = super()._open()
        os.fchmod(stream.fileno(), 0o600)
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)  # calls handleError on failure
        if self._failing and not self._failed_now:
            self._failing = False
            _to_stderr(f"redwaves: the log file {self.baseFilename} is writable again")

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        self._failed_now = True
        if not self._failing:
            self._failing = True
            _to_stderr(f"redwaves: cannot write the log file {self.baseFilename} ({sys.exc_info()[1]}); "
                       "log lines go to stderr until it can")
        try:
            _to_stderr(self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not break the caller either
            _to_stderr(f"redwaves: unprintable log record from {record.name}")


def _to_stderr(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed or itself on the full disk: nothing left to tell
        pass


def configure_logging(log_dir: Path | None, level: str = "info", *, console: bool = True) -> None:
    """Install handlers on the root logger (idempotent: replaces RedWaves' previous handlers)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler.formatter, RedactingFormatter):  # ours: installed by an earlier call
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG)
    formatter = RedactingFormatter(_FORMAT)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(level.upper())
        stream.setFormatter(formatter)
        root.addHandler(stream)
    if log_dir is not None:
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(log_dir, 0o700)
        rotating = PrivateRotatingFileHandler(
            log_dir / "redwaves.log", maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
        rotating.setLevel(logging.DEBUG)
        rotating.setFormatter(formatter)
        root.addHandler(rotating)
    # Electrum and aiosqlite are chatty at DEBUG; keep their INFO and above.
    for noisy in ("aiosqlite", "asyncio", "aiorpcx", "PIL"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    # Electrum logs addresses and txids at INFO, stem is chatty when control connections close.
    for noisy in ("electrum", "stem"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
