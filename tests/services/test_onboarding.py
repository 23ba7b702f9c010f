"""The first-run set-up writes wallet, manual rate and store in one transaction (real SQLite)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import RateUnavailable, UserFacingError
from app.core.first_store import FirstStore, manual_rate
from app.db.models import AppSettingRow, StoreRow, StoreWalletRow, WalletRow
from app.services.invoicing.rates import MANUAL_RATES_KEY
from tests.conftest import TEST_VPUB


async def counts(services) -> tuple[int, int, int]:
    async with services.writer.read() as session:
        wallets = await session.scalar(select(func.count()).select_from(WalletRow))
        stores = await session.scalar(select(func.count()).select_from(StoreRow))
        links = await session.scalar(select(func.count()).select_from(StoreWalletRow))
    return wallets, stores, links


async def stored_rates(services) -> dict[str, str]:
    async with services.writer.read() as session:
        row = await session.get(AppSettingRow, MANUAL_RATES_KEY)
        return dict(row.value) if row else {}


def setup(**kw) -> FirstStore:
    return FirstStore(**{"store_name": "Corner Shop", "currency": "EUR", "rate": Decimal("60000"),
                         "wallet_name": "Till", "wallet_keys": TEST_VPUB, **kw})


async def test_first_store_writes_wallet_rate_and_store_together(services):
    store = await services.onboarding.create_first_store(setup(speed_policy=2, expiry_s=1200))
    assert (store.name, store.default_currency, store.speed_policy, store.expiry_s) == ("Corner Shop", "EUR", 2, 1200)
    (wallet,) = await services.wallets.list()
    assert store.wallet_ids == (wallet.id,) and wallet.name == "Till"
    assert await counts(services) == (1, 1, 1)
    assert await stored_rates(services) == {"EUR": "60000"}
    assert (await services.rates.quote("EUR")).rate == Decimal("60000")  # the in-memory rates were re-read
    assert wallet.id in services.fake_chain.watched  # opened on the chain after the commit


@pytest.mark.parametrize(("bad", "field"), [
    ({"rate": "-5"}, "rate"), ({"rate": "banana"}, "rate"), ({"rate": "0"}, "rate"),
    ({"wallet_keys": TEST_VPUB[:-3] + "abc"}, "keys"), ({"wallet_name": " "}, "wallet_name"),
    ({"store_name": ""}, "name"), ({"expiry_s": 5}, "expiry_s"), ({"currency": "XXX"}, "currency"),
])
async def test_a_bad_value_writes_nothing_and_a_retry_succeeds(services, bad, field):
    with pytest.raises(UserFacingError) as caught:
        await services.onboarding.create_first_store(setup(**bad))
    assert caught.value.field == field
    assert await counts(services) == (0, 0, 0)
    assert await stored_rates(services) == {}
    store = await services.onboarding.create_first_store(setup())  # never "This wallet was already added"
    assert await counts(services) == (1, 1, 1)
    assert store.name == "Corner Shop"


async def test_a_failure_inside_the_transaction_rolls_back_wallet_and_rate(services):
    """The wallet row and the rate are staged before the store: an unknown wallet id makes the store fail
    inside the same transaction, and neither the rate nor anything else stays."""
    with pytest.raises(UserFacingError) as caught:
        await services.onboarding.create_first_store(setup(wallet_id="wal_missing"))
    assert caught.value.code == "wallet_not_found"
    assert await counts(services) == (0, 0, 0)
    assert await stored_rates(services) == {}
    with pytest.raises(RateUnavailable):
        await services.rates.quote("EUR")


async def test_keys_added_before_are_reused_not_refused(services):
    wallet = await services.wallets.add_wallet("Earlier", TEST_VPUB)
    store = await services.onboarding.create_first_store(setup())
    assert store.wallet_ids == (wallet.id,)
    assert await counts(services) == (1, 1, 1)


async def test_an_existing_wallet_by_id_and_a_bitcoin_store_need_no_rate(services):
    wallet = await services.wallets.add_wallet("Earlier", TEST_VPUB)
    store = await services.onboarding.create_first_store(
        FirstStore(store_name="Sats", currency="SAT", rate="nonsense", wallet_id=wallet.id))
    assert store.wallet_ids == (wallet.id,) and store.default_currency == "SAT"
    assert await stored_rates(services) == {}


def test_manual_rate_rule():
    assert manual_rate("USD", "65000.5") == Decimal("65000.5")
    assert manual_rate("USD", "") is None and manual_rate("BTC", "x") is None
    for bad in ("1e20", "NaN", "-1", "abc"):
        with pytest.raises(UserFacingError):
            manual_rate("USD", bad)
