"""A hot wallet from a seed: the seed never reaches the database; it pays through the devnet."""

from __future__ import annotations

import sqlite3

import pytest

from app.core.errors import ValidationError
from app.services.wallets.wallets import password_secret
from tests.conftest import TEST_VPUB
from tests.integration.helpers import wait_for, wait_synced

pytestmark = pytest.mark.slow
SEED = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"


async def test_hot_wallet_keeps_the_seed_out_of_the_db_and_pays(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    with pytest.raises(ValidationError):
        await services.wallets.add_hot_wallet("hot", TEST_VPUB)  # a public key cannot spend
    hot = await services.wallets.add_hot_wallet("Till", SEED)
    assert hot.kind == "seed"
    assert services.secrets.get(password_secret(hot.id)) is not None
    with sqlite3.connect(app_runtime.settings.db_path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "abandon" not in dump
    from app.chain.keys import derive_address, parse_wallet_keys

    desc = parse_wallet_keys(SEED, "regtest", allow_seed=True)
    await services.wallets.watch_range(hot.id, 0, 5)
    funded = derive_address(desc, 0)
    await devnet.fund(funded, 200_000)
    await wait_for(lambda: app_runtime.chain.address_view(hot.id, funded).outputs, what="funds seen")
    await wait_for(lambda: all(o.height > 0 for o in app_runtime.chain.address_view(hot.id, funded).outputs),
                   what="funds confirmed")
    txid = await services.wallets.pay(hot.id, [("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", 50_000)],
                                      fee_rate_sat_vb=2)
    assert devnet.transaction(txid).txid == txid
