"""Bitcart amounts as Electrum reads them: any number of decimals, rounded down to whole satoshis."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from bitcart.errors import errors

from app.checkout_server.daemon import spec
from app.core.errors import ValidationError
from app.core.limits import LimitExceeded
from app.services.compat.bitcart.requests import electrum_satoshis, parse_amount_sat
from tests.conftest import TEST_VPUB

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

COMPUTED = [0.0001 + i / 1e8 for i in range(300)]  # what SDK users send: 0.00010002000000000001, ...


def test_same_satoshis_as_electrum_for_computed_floats():
    from electrum.commands import satoshis  # Debian's Electrum 4.3.4: int(COIN * Decimal(amount))

    for value in COMPUTED:
        wire = json.dumps(value)  # the SDK's JSON text; Bitcart gives Electrum Decimal(str(amount))
        assert parse_amount_sat(Decimal(wire)) == satoshis(str(value)) == electrum_satoshis(Decimal(wire))
    assert parse_amount_sat(Decimal("0.00010002000000000001")) == 10_002
    assert parse_amount_sat(Decimal("0.000100029999999")) == 10_002  # rounded down, as Electrum does
    assert parse_amount_sat("0.00000001") == 1 and parse_amount_sat(21_000_000) == 21_000_000 * 10**8


@pytest.mark.parametrize("amount", ["0", "-0.001", Decimal("-1"), "0.000000009", "NaN", "Infinity", "-Infinity",
                                    "21000000.00000001", "1e20", "abc", "", None, True, 1.5, [1]])
def test_refused_amounts(amount):
    with pytest.raises(ValidationError) as raised:
        parse_amount_sat(amount)
    assert raised.value.field == "amount" and raised.value.code in ("invalid_amount", LimitExceeded.NUMBER_TOO_LARGE)
    assert str(raised.value).endswith(".")  # a sentence, not a parser message


def test_absurd_amounts_hit_the_bounds_first():
    for text in ("1e999999", "9" * 41, "0." + "1" * 35):
        with pytest.raises(LimitExceeded):
            parse_amount_sat(text)


@pytest.mark.slow
async def test_sdk_floats_and_errors(daemon_env, sdk):
    btc = sdk()
    for i in (1, 2, 3, 7):
        created = await btc.add_request(0.0001 + i / 1e8)  # a float, as SDK users compute it
        assert created["amount_sat"] == electrum_satoshis(Decimal(str(0.0001 + i / 1e8)))
    for bad in (0, -0.001, Decimal("0.000000001"), Decimal("21000001")):
        with pytest.raises(errors.InvalidParamsError) as raised:
            await btc.add_request(bad)
        assert "amount must be a BTC amount of at least 1 satoshi" in str(raised.value)  # the spec's docstring


@pytest.mark.slow
async def test_error_data_names_the_argument(daemon_env):
    import aiohttp

    auth = aiohttp.BasicAuth(daemon_env.login, daemon_env.password)
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "add_request", "params": {"xpub": TEST_VPUB, "amount": -1}})
    async with aiohttp.ClientSession(auth=auth) as session, session.post(daemon_env.url + "/", data=body) as resp:
        answer = await resp.json()
    assert answer["error"] == {"code": spec.INVALID_PARAMS, "message": "amount must be more than zero.",
                               "data": {"code": "invalid_amount", "field": "amount"}}
