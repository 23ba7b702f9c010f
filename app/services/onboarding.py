"""The first-run set-up as one unit of work: wallet, manual exchange rate and first store.

``create_first_store`` checks everything first (keys, names, rate, store settings) and then writes
the wallet row, the manual rate and the store with its wallet link in ONE transaction through the
Writer: a bad value leaves nothing behind, so the wizard can simply be finished again. A wallet
whose keys were already added (an earlier set-up that stopped after its commit) is reused, never
refused. After the commit the manual rates are re-read and the new wallet is opened on the chain.

With a ``FirstOwner`` the owner (name, PIN, optional window password; docs/staff.md) is written in the same
transaction; its PIN and password are hashed before it opens.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.chain.keys import WalletDescriptor
from app.core.currencies import normalize_currency
from app.core.errors import UserFacingError, ValidationError
from app.core.first_store import FirstStore, manual_rate
from app.core.records import Store
from app.core.staff import FirstOwner, Role, check_name
from app.db.models import AppSettingRow
from app.services.catalog.stores import StoreService
from app.services.invoicing.rates import MANUAL_RATES_KEY, RateService
from app.services.staff import credentials
from app.services.staff.people import StaffService
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

logger = logging.getLogger(__name__)


def _as_field(error: UserFacingError, field: str) -> ValidationError:
    return ValidationError(error.message, code=error.code, field=field)


class OnboardingService:
    def __init__(self, writer: Writer, wallets: WalletService, rates: RateService, stores: StoreService,
                 staff: StaffService | None = None) -> None:
        self._writer = writer
        self._staff = staff
        self._wallets = wallets
        self._rates = rates
        self._stores = stores

    def check_store(self, setup: FirstStore) -> Decimal | None:
        """Validate the store page (name, currency, rate, speed, expiry) without writing; returns the rate."""
        self._stores.check(self._store_settings(setup) | {"name": setup.store_name})
        return manual_rate(setup.currency, setup.rate)

    def check_wallet(self, setup: FirstStore) -> WalletDescriptor | None:
        """Validate the wallet page (None when an existing wallet is reused); fields ``keys``, ``wallet_name``."""
        if setup.wallet_id is not None:
            return None
        try:
            self._wallets.check_details(setup.wallet_name)
        except UserFacingError as exc:
            raise _as_field(exc, "wallet_name") from None
        return self._wallets.validate_keys(setup.wallet_keys)

    @staticmethod
    def check_owner(owner: FirstOwner) -> None:
        """Validate the owner page without writing (fields ``name``, ``pin``, ``password``)."""
        check_name(owner.name)
        credentials.check_pin_format(owner.pin)
        if owner.password is not None:
            credentials.check_password_format(owner.password)

    async def create_first_store(self, setup: FirstStore, *, owner: FirstOwner | None = None) -> Store:
        desc = self.check_wallet(setup)
        rate = self.check_store(setup)
        person = None
        if owner is not None:
            if self._staff is None:
                raise ValidationError("People cannot be added here.", code="invalid_input")
            self.check_owner(owner)
            person = await self._staff.prepare(owner.name, Role.OWNER, owner.pin, password=owner.password)
        async with self._writer.transaction() as session:
            if person is not None and self._staff is not None:
                await self._staff.insert(session, person)
            wallet_id = setup.wallet_id
            if desc is not None:
                found = await self._wallets.find(session, desc.fingerprint)
                wallet = found or await self._wallets.stage(session, setup.wallet_name, desc)
                wallet_id = wallet.id
            if rate is not None:
                await self._stage_rate(session, setup.currency, rate)
            store_id = await self._stores.stage(session, setup.store_name, wallet_ids=[wallet_id] if wallet_id else [],
                                                **self._store_settings(setup))
        if rate is not None:
            await self._rates.load()
        if desc is not None and wallet_id is not None:
            await self._wallets.activate(wallet_id, desc)
        logger.info("first store %s created with wallet %s", store_id, wallet_id)
        return await self._stores.get(store_id)

    @staticmethod
    def _store_settings(setup: FirstStore) -> dict[str, Any]:
        return {"default_currency": setup.currency, "speed_policy": setup.speed_policy, "expiry_s": setup.expiry_s}

    @staticmethod
    async def _stage_rate(session: AsyncSession, currency: str, rate: Decimal) -> None:
        row = await session.get(AppSettingRow, MANUAL_RATES_KEY)
        payload = {**(row.value if row is not None else {}), normalize_currency(currency): str(rate)}
        if row is None:
            session.add(AppSettingRow(key=MANUAL_RATES_KEY, value=payload))
        else:
            row.value = payload


__all__ = ["FirstStore", "OnboardingService", "manual_rate"]
