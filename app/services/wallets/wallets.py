"""Wallets: watch-only key material validated by app.chain, addresses allocated by RedWaves."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from secrets import token_urlsafe
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain.keys import WalletDescriptor, derive_address, derive_addresses, parse_wallet_keys
from app.core.errors import Conflict, ValidationError, WalletNotFound
from app.core.ids import new_id
from app.core.records import Wallet
from app.db.fastpath import compiled_insert
from app.db.mapping import to_wallet
from app.db.models import AddressRow, InvoiceRow, WalletRow
from app.secrets import SecretStore
from app.services.ports import ChainPort
from app.services.writer import Writer

logger = logging.getLogger(__name__)


def _kind(value: str) -> Literal["xpub", "multisig", "seed"]:
    if value == "xpub":
        return "xpub"
    if value == "multisig":
        return "multisig"
    if value == "seed":
        return "seed"
    raise ValueError(f"unknown wallet kind {value!r} in the database")


def _descriptor(row: WalletRow, network: str) -> WalletDescriptor:
    """What the chain adapter needs to re-open a wallet. For a hot wallet the seed is not in the
    database: it lives only in Electrum's wallet file, encrypted with a password kept in keyring."""
    return WalletDescriptor(
        network=network,
        kind=_kind(row.kind),
        keys=tuple(row.public_keys),
        threshold=row.threshold,
        script_type=row.script_type,
        watch_keys=tuple(row.public_keys),
    )


def password_secret(wallet_id: str) -> str:
    return f"wallet_password:{wallet_id}"


class WalletService:
    def __init__(self, writer: Writer, network: str, chain: ChainPort | None,
                 secrets: SecretStore | None = None) -> None:
        self._writer = writer
        self._secrets = secrets or SecretStore(network)
        self._network = network
        self._chain = chain
        self._descriptors: dict[str, WalletDescriptor] = {}

    def validate_keys(self, keys: str, *, threshold: int | None = None, script_type: str | None = None) -> WalletDescriptor:
        """Parse and check key material without saving it (GUI validates as the merchant types)."""
        return parse_wallet_keys(keys, self._network, threshold=threshold, script_type=script_type)

    def preview_addresses(self, keys: str, count: int = 5, *, threshold: int | None = None,
                          script_type: str | None = None) -> list[str]:
        """The first receive addresses, so the merchant can compare them with their own wallet."""
        return derive_addresses(self.validate_keys(keys, threshold=threshold, script_type=script_type), 0, count)

    async def add_wallet(self, name: str, keys: str, *, threshold: int | None = None,
                         script_type: str | None = None, gap_limit: int = 20) -> Wallet:
        desc = self.validate_keys(keys, threshold=threshold, script_type=script_type)
        wallet = await self._insert(name, desc, gap_limit)
        await self.activate(wallet.id, desc)
        return wallet

    @staticmethod
    def check_details(name: str, gap_limit: int = 20) -> str:
        """The wallet's name, stripped; ValidationError for a bad name or gap limit (nothing written)."""
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise ValidationError("Give the wallet a name (up to 200 characters).", code="invalid_name", field="name")
        if not 1 <= gap_limit <= 10_000:
            raise ValidationError("Gap limit must be between 1 and 10000.", code="invalid_gap_limit", field="gap_limit")
        return name

    async def find(self, session: AsyncSession, fingerprint: str) -> Wallet | None:
        """The wallet already added with these keys, read in ``session`` (a caller's transaction)."""
        row = await session.scalar(select(WalletRow).where(WalletRow.fingerprint == fingerprint))
        return to_wallet(row) if row is not None else None

    async def stage(self, session: AsyncSession, name: str, desc: WalletDescriptor, gap_limit: int = 20) -> Wallet:
        """Add the wallet row in ``session``'s transaction; call ``activate`` after the commit."""
        name = self.check_details(name, gap_limit)
        if await self.find(session, desc.fingerprint) is not None:
            raise Conflict("This wallet was already added.", code="wallet_exists", field="keys")
        row = WalletRow(
            id=new_id("wal"), name=name, kind=desc.kind, script_type=desc.script_type,
            public_keys=list(desc.watch_keys), threshold=desc.threshold, fingerprint=desc.fingerprint,
            next_index=0, gap_limit=gap_limit, created_at=datetime.now(UTC),
        )
        session.add(row)
        await session.flush()
        return to_wallet(row)

    async def activate(self, wallet_id: str, desc: WalletDescriptor, *, password: str | None = None) -> None:
        """After the wallet's row is committed: remember its keys and open it on the chain."""
        self._descriptors[wallet_id] = desc
        if self._chain is not None:
            await self._chain.open_wallet(wallet_id, desc, password=password)

    async def _insert(self, name: str, desc: WalletDescriptor, gap_limit: int) -> Wallet:
        async with self._writer.transaction() as session:
            wallet = await self.stage(session, name, desc, gap_limit)
        logger.info("wallet %s added (%s, %s, fingerprint %s)", wallet.id, desc.kind, desc.script_type, desc.fingerprint)
        return wallet

    async def add_hot_wallet(self, name: str, seed: str, *, script_type: str | None = None,
                             gap_limit: int = 20) -> Wallet:
        """A wallet that can spend (Bitcart daemon's payto): the seed goes into Electrum's wallet file,
        encrypted with a random password that is kept in keyring; the database keeps the account xpub."""
        desc = parse_wallet_keys(seed, self._network, script_type=script_type, allow_seed=True)
        if desc.kind != "seed":
            raise ValidationError("A hot wallet needs a seed phrase.", code="not_a_seed", field="seed")
        wallet = await self._insert(name, desc, gap_limit)
        password = token_urlsafe(24)
        self._secrets.set(password_secret(wallet.id), password)
        await self.activate(wallet.id, desc, password=password)
        return wallet

    def signing_password(self, wallet_id: str) -> str | None:
        """The password of a hot wallet's Electrum file (keyring), or None (watch-only)."""
        password = self._secrets.get(password_secret(wallet_id))
        return password.reveal() if password else None

    async def pay(self, wallet_id: str, outputs: list[tuple[str, int]], *, fee_rate_sat_vb: float | None = None) -> str:
        """Sign and broadcast from a hot wallet; returns the txid."""
        if self._chain is None:
            raise Conflict("The chain is not running.", code="chain_unavailable")
        password = self._secrets.get(password_secret(wallet_id))
        return await self._chain.pay_to(wallet_id, outputs, fee_rate_sat_vb=fee_rate_sat_vb,
                                        password=password.reveal() if password else None)

    async def get(self, wallet_id: str) -> Wallet:
        async with self._writer.read() as session:
            row = await session.get(WalletRow, wallet_id)
            if row is None:
                raise WalletNotFound(f"Wallet {wallet_id} not found.")
            return to_wallet(row)

    async def list(self) -> list[Wallet]:
        async with self._writer.read() as session:
            rows = (await session.scalars(select(WalletRow).order_by(WalletRow.created_at))).all()
            return [to_wallet(r) for r in rows]

    async def descriptor(self, wallet_id: str) -> WalletDescriptor:
        desc = self._descriptors.get(wallet_id)
        if desc is None:
            async with self._writer.read() as session:
                row = await session.get(WalletRow, wallet_id)
                if row is None:
                    raise WalletNotFound(f"Wallet {wallet_id} not found.")
                desc = self._descriptors[wallet_id] = _descriptor(row, self._network)
        return desc

    def allocate_address_sync(self, conn: sqlite3.Connection, desc: WalletDescriptor, wallet_id: str, invoice_id: str, *,
                              now: datetime) -> tuple[int, str]:
        """Take the next derivation index inside the caller's transaction (Writer.run_sync).
        An index is never given twice, not even after the invoice expires."""
        found = conn.execute("UPDATE wallets SET next_index = next_index + 1 WHERE id = ? RETURNING next_index",
                             (wallet_id,)).fetchone()
        if found is None:
            raise WalletNotFound(f"Wallet {wallet_id} not found.")
        index = found[0] - 1
        address = derive_address(desc, index)
        compiled = compiled_insert(AddressRow.__table__)
        conn.execute(compiled.sql, compiled.params({"wallet_id": wallet_id, "derivation_index": index,
                                                    "address": address, "invoice_id": invoice_id,
                                                    "allocated_at": now}))
        return index, address

    async def open_all(self, *, watch_ahead: int = 0) -> dict[str, int]:
        """At start: open every wallet in the chain adapter and have it watch exactly the addresses of
        monitored invoices plus ``watch_ahead`` fresh ones after the last handed out, so the restart
        cost follows the open invoices, not the shop's history. Returns the highest watched index."""
        watched: dict[str, int] = {}
        if self._chain is None:
            return watched
        async with self._writer.read() as session:
            rows = (await session.scalars(select(WalletRow))).all()
        for row in rows:
            desc = self._descriptors.setdefault(row.id, _descriptor(row, self._network))
            password = self._secrets.get(password_secret(row.id)) if row.kind == "seed" else None
            await self._chain.open_wallet(row.id, desc, password=password.reveal() if password else None)
            wanted = await self.monitored_addresses(row.id)
            wanted.update(await self._derive_range(desc, row.next_index, row.next_index + watch_ahead - 1))
            await self._chain.watch(row.id, wanted, exclusive=True)
            watched[row.id] = row.next_index - 1 + watch_ahead
        return watched

    async def monitored_addresses(self, wallet_id: str) -> dict[int, str]:
        """Index -> address of the wallet's monitored invoices (open, or within the monitoring window)."""
        query = (select(InvoiceRow.derivation_index, InvoiceRow.address)
                 .where(InvoiceRow.monitored.is_(True), InvoiceRow.wallet_id == wallet_id))
        async with self._writer.read() as session:
            return {int(index): str(address) for index, address in (await session.execute(query)).all()}

    async def watch_range(self, wallet_id: str, first: int, last: int) -> None:
        """The look-ahead: have the chain watch receive indexes ``first..last`` (not handed out yet)."""
        if self._chain is None or last < first:
            return
        desc = await self.descriptor(wallet_id)
        await self._chain.watch(wallet_id, await self._derive_range(desc, first, last))

    @staticmethod
    async def _derive_range(desc: WalletDescriptor, first: int, last: int) -> dict[int, str]:
        if last < first:
            return {}
        addresses = await asyncio.to_thread(derive_addresses, desc, first, last + 1 - first)
        return dict(zip(range(first, last + 1), addresses, strict=True))

    async def unwatch(self, wallet_id: str, addresses: Collection[str]) -> None:
        """Monitoring of these invoices ended: their addresses leave the chain's watch set."""
        if self._chain is not None and addresses:
            await self._chain.unwatch(wallet_id, addresses)
