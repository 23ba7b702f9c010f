"""A shop's history in SQLite, fast: the shared data filler of the issue-24 benchmarks.

    from bench.history_data import fill_history
    result = await fill_history(data_dir, lifetime=1_000_000, open_count=1_000)

    .venv/bin/python bench/history_data.py 1000000 1000 [DIR]  # fill DIR (default: a temporary one), print figures

What it makes, in ``data_dir`` (a RedWaves data directory; the Runtime can start on it afterwards):

- one wallet (a regtest/testnet vpub, the one of bench/bench_checkout.py) and one USD store, created
  through the real services (``WalletService.add_wallet``, ``StoreService.create``) with the chain off,
  and a manual USD rate;
- ``lifetime`` invoices with consecutive derivation indexes 0..lifetime-1 (addresses derived with
  app/chain/derivation.py through ``app.chain.keys.derive_address``, as the app does), one ``addresses``
  row each, and the wallet's ``next_index`` set to ``lifetime``: the same rows invoice creation writes,
  inserted straight into SQLite through the pre-compiled INSERTs of app/db/fastpath.py (bench_engine P2's
  fast path), so every column goes through its own type's bind processor;
- created_at spread evenly over the year before now (oldest = index 0), with jitter inside each step;
- the ``open_count`` newest ones open: ``pending``, monitored, created in the last 10 minutes, expiring a
  day after creation (the store's expiry is one day so none expires under a benchmark);
- the rest closed and not monitored: 3 in 4 ``complete`` (paid, confirmed and completed minutes after
  creation, with one confirmed ``payments`` row each paying exactly the amount due), 1 in 4 ``expired``;
- order ids ``order-<index>``, every fifth invoice with a buyer e-mail ``buyer<index>@example.com``.

Speed: the inserts run in a spawned child process (the caller's memory stays as it was), which derives
addresses in two forked workers a few batches ahead, builds rows in batches of 50,000 from
pre-bound templates and writes each batch with ``executemany`` in one transaction, on its own
connection with no journal, synchronous=OFF and a 1 GiB page cache (a benchmark fixture, not merchant
data), with the secondary indexes dropped first and rebuilt once at the end (their own CREATE
statements from sqlite_master). ``fill_history`` prints its figures and returns them in
``FillResult.seconds`` (derive wait, build, write, index rebuild, total). Measured on the 2-core
machine shared with other jobs: 1,000,000 invoices in 140 s (7,100/s; child RSS 1.5 GB, mostly the
page cache), 100,000 in 12-17 s. No ``ANALYZE``: a shop's database has no planner statistics.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import secrets
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db.fastpath import compiled_insert  # noqa: E402

VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
        "rf8ZhDYe2jWAqvZVnsc")
RATE = Decimal("50000")
BATCH = 50_000
OPEN_WINDOW = timedelta(minutes=10)
EXPIRY = timedelta(days=1)


@dataclass(frozen=True)
class FillResult:
    wallet_id: str
    store_id: str
    open_invoice_ids: list[str]
    open_addresses: list[str]
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


async def _create_wallet_and_store(data_dir: Path, network: str) -> tuple[str, str, object, int]:
    """Wallet, store and rate through the real services (chain off); returns ids, descriptor, monitoring_s."""
    from app.chain.keys import set_network
    from app.config import load_settings
    from app.db.engine import Database
    from app.services.container import build_services

    set_network(network)
    settings = load_settings({}, {"data_dir": data_dir, "network": network})
    settings.network_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_path)
    await db.start()
    try:
        services = build_services(settings, db, None)
        await services.rates.load()
        wallet = await services.wallets.add_wallet("history", VPUB)
        await services.rates.set_manual_rate("USD", RATE)
        store = await services.stores.create("History Café", default_currency="USD", wallet_ids=[wallet.id],
                                             expiry_s=int(EXPIRY.total_seconds()))
        desc = await services.wallets.descriptor(wallet.id)
        await services.writer.close()
    finally:
        await db.stop()
    return wallet.id, store.id, desc, store.monitoring_s


def _created_times(lifetime: int, open_count: int, now: datetime) -> Iterator[datetime]:
    """Closed invoices evenly over the year before the open window, then the open ones in it (naive UTC)."""
    rng = random.Random(24)
    closed = lifetime - open_count
    base = now.replace(tzinfo=None)
    start = base - timedelta(days=365)
    step_us = int((timedelta(days=365) - OPEN_WINDOW) / timedelta(microseconds=1)) // max(closed, 1)
    for i in range(closed):
        yield start + timedelta(microseconds=step_us * i + rng.randrange(max(step_us, 1)))
    open_us = int(OPEN_WINDOW / timedelta(microseconds=1)) // max(open_count, 1)
    window = base - OPEN_WINDOW
    for i in range(open_count):
        yield window + timedelta(microseconds=open_us * i + rng.randrange(max(open_us, 1)))


def _derive(desc: object, first: int, last: int) -> list[str]:
    """Addresses first..last-1 (run in a worker process: derivation is the costliest part)."""
    from app.chain.keys import WalletDescriptor, derive_address, set_network

    assert isinstance(desc, WalletDescriptor)
    set_network(desc.network)
    return [derive_address(desc, i) for i in range(first, last)]


class _Template:
    """One table's INSERT row: constant columns bound once, the varying ones set per row by name."""

    def __init__(self, table: Table, constants: dict[str, object]) -> None:
        compiled = compiled_insert(table)
        self.sql = compiled.sql
        self.row = list(compiled.params(constants))
        columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        self.at = {c.name: i for i, c in enumerate(columns)}

    def make(self, **values: object) -> tuple[object, ...]:
        row = self.row.copy()
        for name, value in values.items():
            row[self.at[name]] = value
        return tuple(row)


_DT = sqlite.DATETIME().bind_processor(sqlite.dialect())


def _when(naive_utc: datetime) -> object:
    return _DT(naive_utc)


@dataclass
class _Plan:
    wallet_id: str
    store_id: str
    lifetime: int
    open_count: int
    monitoring: timedelta
    times: Iterator[datetime]
    rng: random.Random
    invoice: _Template
    address: _Template
    payment: _Template


def _plan(wallet_id: str, store_id: str, lifetime: int, open_count: int, monitoring_s: int,
          now: datetime) -> _Plan:
    from app.db.models import AddressRow, InvoiceRow, PaymentRow

    invoice = _Template(InvoiceRow.__table__, {  # type: ignore[arg-type]
        "store_id": store_id, "wallet_id": wallet_id, "currency": "USD", "rate": RATE, "rate_source": "manual",
        "items": [], "metadata": {}, "speed_policy": 1, "underpaid_tolerance_pct": Decimal(0),
        "exception_status": "none", "public": False, "description": ""})
    address = _Template(AddressRow.__table__, {"wallet_id": wallet_id})  # type: ignore[arg-type]
    payment = _Template(PaymentRow.__table__, {  # type: ignore[arg-type]
        "vout": 0, "confirmations": 6, "state": "confirmed", "accounted": True, "rbf": False,
        "ever_confirmed": True, "fee_sat": 1410, "vsize": 141, "low_fee": False})
    return _Plan(wallet_id, store_id, lifetime, open_count, timedelta(seconds=monitoring_s),
                 _created_times(lifetime, open_count, now), random.Random(2024), invoice, address, payment)


Rows = list[tuple[object, ...]]


def _rows(plan: _Plan, first: int, addresses: list[str]) -> tuple[Rows, Rows, Rows, list[tuple[str, str]]]:
    invoices: Rows = []
    address_rows: Rows = []
    payments: Rows = []
    opened: list[tuple[str, str]] = []
    rng = plan.rng
    first_open = plan.lifetime - plan.open_count
    for index, address in enumerate(addresses, first):
        created = next(plan.times)
        invoice_id = secrets.token_urlsafe(16)
        cents = rng.randrange(200, 8000)
        due = cents * 100_000_000 // (int(RATE) * 100)  # = price_to_sat at a round rate, exact
        expires = created + EXPIRY
        common = {"id": invoice_id, "address": address, "derivation_index": index, "price": f"{cents // 100}.{cents % 100:02d}",
                  "amount_due_sat": due, "order_id": f"order-{index}", "description": f"Order {index}",
                  "buyer_email": f"buyer{index}@example.com" if index % 5 == 0 else None,
                  "created_at": _when(created), "expires_at": _when(expires),
                  "monitoring_until": _when(expires + plan.monitoring)}
        if index >= first_open:
            invoices.append(plan.invoice.make(**common, status="pending", amount_paid_sat=0, amount_confirmed_sat=0,
                                              monitored=True))
            opened.append((invoice_id, address))
        elif index % 4 == 3:
            invoices.append(plan.invoice.make(**common, status="expired", amount_paid_sat=0, amount_confirmed_sat=0,
                                              monitored=False))
        else:
            paid = _when(created + timedelta(seconds=rng.randrange(20, 300)))
            confirmed = _when(created + timedelta(seconds=rng.randrange(400, 2000)))
            invoices.append(plan.invoice.make(**common, status="complete", amount_paid_sat=due,
                                              amount_confirmed_sat=due, paid_at=paid, confirmed_at=confirmed,
                                              completed_at=confirmed, monitored=False))
            payments.append(plan.payment.make(invoice_id=invoice_id, txid=secrets.token_hex(32), amount_sat=due,
                                              first_seen_at=paid, height=100 + index // 10, block_time=confirmed))
        address_rows.append(plan.address.make(derivation_index=index, address=address, invoice_id=invoice_id,
                                              allocated_at=_when(created)))
    return invoices, address_rows, payments, opened


def _insert_all(db_path: Path, desc: object, wallet_id: str, store_id: str, lifetime: int, open_count: int,
                monitoring_s: int) -> tuple[list[tuple[str, str]], dict[str, float]]:
    from app.db.engine import open_sync_connection

    plan = _plan(wallet_id, store_id, lifetime, open_count, monitoring_s, datetime.now(UTC))
    conn = open_sync_connection(db_path)
    # a benchmark fixture, not merchant data: no journal, no fsync, a big cache, secondary indexes
    # built once at the end (sorting beats a million random B-tree inserts)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1048576")  # 1 GiB, this process only: the random-ordered unique indexes
    indexes = _drop_secondary_indexes(conn)
    opened: list[tuple[str, str]] = []
    build_s = write_s = wait_s = 0.0
    batches = [(first, min(first + BATCH, lifetime)) for first in range(0, lifetime, BATCH)]
    workers = max(1, min(2, os.cpu_count() or 1))
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            ahead = deque(pool.submit(_derive, desc, first, last) for first, last in batches[:workers + 1])
            for n, (first, _last) in enumerate(batches):
                began = time.perf_counter()
                addresses = ahead.popleft().result()
                if n + len(ahead) + 1 < len(batches):  # keep a few batches derived ahead, not all of them
                    ahead.append(pool.submit(_derive, desc, *batches[n + len(ahead) + 1]))
                waited = time.perf_counter()
                invoices, address_rows, payments, batch_open = _rows(plan, first, addresses)
                opened += batch_open
                built = time.perf_counter()
                conn.execute("BEGIN")
                conn.executemany(plan.invoice.sql, invoices)
                conn.executemany(plan.address.sql, address_rows)
                conn.executemany(plan.payment.sql, payments)
                conn.execute("COMMIT")
                wait_s += waited - began
                build_s += built - waited
                write_s += time.perf_counter() - built
        began = time.perf_counter()
        for sql in indexes:
            conn.execute(sql)
        conn.execute("UPDATE wallets SET next_index = ? WHERE id = ?", (lifetime, wallet_id))
        index_s = time.perf_counter() - began
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    return opened, {"derive_wait_s": round(wait_s, 1), "build_s": round(build_s, 1), "write_s": round(write_s, 1),
                    "index_s": round(index_s, 1)}


TABLES = ("invoices", "addresses", "payments")


def _drop_secondary_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the named indexes of the filled tables; returns their CREATE statements (sqlite_master's
    own text, so they come back exactly as the migrations made them)."""
    marks = ", ".join("?" for _ in TABLES)
    rows = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        f"AND tbl_name IN ({marks})", TABLES).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


async def fill_history(data_dir: Path, *, lifetime: int, open_count: int, network: str = "regtest") -> FillResult:
    """Create the wallet and store through the services, then ``lifetime`` invoices (``open_count``
    newest open and monitored) straight into SQLite. ``data_dir`` must not hold a RedWaves shop yet."""
    if not 0 <= open_count <= lifetime:
        raise ValueError("open_count must be between 0 and lifetime")
    from app.config import load_settings

    began = time.perf_counter()
    wallet_id, store_id, desc, monitoring_s = await _create_wallet_and_store(data_dir, network)
    db_path = load_settings({}, {"data_dir": data_dir, "network": network}).db_path
    # in a child process: its big SQLite cache and row batches never weigh on the caller's RSS (the
    # engine benchmark restarts the app in this process and measures its memory)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        opened, seconds = await asyncio.get_running_loop().run_in_executor(
            child, _insert_all, db_path, desc, wallet_id, store_id, lifetime, open_count, monitoring_s)
    seconds["total_s"] = round(time.perf_counter() - began, 1)
    print(f"fill_history: {lifetime:,} invoices ({open_count:,} open) in {seconds['total_s']} s, "
          f"{lifetime / max(seconds['total_s'], 0.001):,.0f}/s {seconds}", flush=True)
    return FillResult(wallet_id=wallet_id, store_id=store_id, open_invoice_ids=[i for i, _ in opened],
                      open_addresses=[a for _, a in opened], seconds=seconds)


async def main(lifetime: int, open_count: int, keep: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="rw-history-") as tmp:
        await fill_history(keep or Path(tmp), lifetime=lifetime, open_count=open_count)  # prints its figures


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 1_000,
                     Path(sys.argv[3]) if len(sys.argv) > 3 else None))
