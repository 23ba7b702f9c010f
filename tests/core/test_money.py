from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import InvalidAmount, RateUnavailable, UnknownCurrency
from app.core.money import (
    CURRENCIES,
    MAX_SAT,
    SAT_PER_BTC,
    btc_to_sat,
    fiat_minor_units,
    fiat_to_sat,
    format_btc,
    is_fiat,
    normalize_currency,
    parse_price,
    price_to_sat,
    quantize_fiat,
    sat_to_btc,
    sat_to_fiat,
    validate_amount_sat,
)

REQUIRED = (
    "USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF RUB UAH BRL MXN ARS INR CNY HKD SGD KRW ZAR "
    "TRY ILS AED THB IDR PHP NGN KES BTC SAT"
).split()


def test_constants():
    assert SAT_PER_BTC == 100_000_000
    assert MAX_SAT == 2_100_000_000_000_000


@pytest.mark.parametrize(
    ("btc", "sat"),
    [("0", 0), ("0.00000001", 1), ("1", SAT_PER_BTC), ("0.00012345", 12_345), (Decimal("21000000"), MAX_SAT),
     ("1.10000000", 110_000_000), (" 2.5 ", 250_000_000), (Decimal("1E-8"), 1)],
)
def test_btc_to_sat_is_exact(btc, sat):
    assert btc_to_sat(btc) == sat


@pytest.mark.parametrize("bad", ["0.000000001", "1.123456789", "abc", "", "NaN", "Infinity", Decimal("-Inf")])
def test_btc_to_sat_rejects(bad):
    with pytest.raises(InvalidAmount):
        btc_to_sat(bad)


def test_btc_to_sat_rejects_float():
    with pytest.raises(TypeError):
        btc_to_sat(0.1)  # type: ignore[arg-type]


def test_btc_to_sat_is_exact_beyond_decimal_context_precision():
    assert btc_to_sat("123456789012345678901234.12345678") == 12345678901234567890123412345678


@pytest.mark.parametrize(
    ("sat", "text"), [(0, "0.00000000"), (1, "0.00000001"), (12_345, "0.00012345"), (MAX_SAT, "21000000.00000000")]
)
def test_sat_to_btc_and_format(sat, text):
    assert format_btc(sat) == text
    assert sat_to_btc(sat) == Decimal(text)
    assert sat_to_btc(sat).as_tuple().exponent == -8


@pytest.mark.parametrize("bad", [1.0, True, "1"])
def test_sat_to_btc_rejects_non_int(bad):
    with pytest.raises(TypeError):
        sat_to_btc(bad)


@pytest.mark.parametrize("good", [1, 546, MAX_SAT])
def test_validate_amount_sat_accepts(good):
    assert validate_amount_sat(good) == good


@pytest.mark.parametrize("bad", [0, -1, MAX_SAT + 1, True, False, 1.0, Decimal(1), "1", None])
def test_validate_amount_sat_rejects(bad):
    with pytest.raises(InvalidAmount) as caught:
        validate_amount_sat(bad)
    assert caught.value.code == "invalid_amount" and caught.value.field == "amount_sat"


@pytest.mark.parametrize("code", REQUIRED)
def test_required_currencies_are_known(code):
    assert normalize_currency(code.lower()) == code
    assert code in CURRENCIES


@pytest.mark.parametrize(
    ("code", "units", "fiat"),
    [("USD", 2, True), ("JPY", 0, True), ("KRW", 0, True), ("KWD", 3, True), ("BTC", 8, False), ("SAT", 0, False)],
)
def test_minor_units(code, units, fiat):
    assert fiat_minor_units(code) == units
    assert is_fiat(code) is fiat


@pytest.mark.parametrize("bad", ["XXX", "US", "", "usd1", None, 840, "DOGE"])
def test_unknown_currency(bad):
    with pytest.raises(UnknownCurrency) as caught:
        normalize_currency(bad)
    assert caught.value.field == "currency" and caught.value.http_status == 422


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("1.005", "USD", "1.01"), ("1.004", "usd", "1.00"), ("1.5", "JPY", "2"), ("2.5", "JPY", "3"),
     ("1.0005", "KWD", "1.001"), ("7", "EUR", "7.00")],
)
def test_quantize_fiat(amount, currency, expected):
    result = quantize_fiat(Decimal(amount), currency)
    assert result == Decimal(expected) and f"{result:f}" == expected


@pytest.mark.parametrize(
    ("amount", "rate", "sat"),
    [
        ("50000", "50000", SAT_PER_BTC),
        ("1", "50000", 2_000),
        ("1", "30000", 3_334),  # 3333.33.. rounds UP
        ("0.01", "97123.45", 11),  # 10.296.. rounds UP
        ("0", "50000", 0),
        ("100", "3", 3_333_333_334),
    ],
)
def test_fiat_to_sat_rounds_up(amount, rate, sat):
    assert fiat_to_sat(Decimal(amount), Decimal(rate)) == sat


@pytest.mark.parametrize("rate", [Decimal(0), Decimal(-1), Decimal("NaN"), Decimal("Infinity"), None, 5.0])
def test_fiat_to_sat_rejects_bad_rates(rate):
    with pytest.raises(RateUnavailable):
        fiat_to_sat(Decimal(1), rate)


def test_fiat_to_sat_rejects_negative_amount():
    with pytest.raises(InvalidAmount):
        fiat_to_sat(Decimal(-1), Decimal(50_000))


@pytest.mark.parametrize(
    ("sat", "rate", "currency", "fiat"),
    [(SAT_PER_BTC, "50000", "USD", "50000.00"), (2_000, "50000", "USD", "1.00"), (1, "50000", "USD", "0.00"),
     (1_000, "50000", "USD", "0.50"), (3_333, "15000000", "JPY", "500"), (12_345, "20000", "KWD", "2.469")],
)
def test_sat_to_fiat(sat, rate, currency, fiat):
    result = sat_to_fiat(sat, Decimal(rate), currency)
    assert result == Decimal(fiat) and str(result) == fiat


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [("12.50", "USD", "12.50"), ("12.5", "USD", "12.50"), (" 3 ", "EUR", "3.00"), (7, "JPY", "7"),
     (Decimal("1.10"), "GBP", "1.10"), ("1.500", "USD", "1.50"), ("0", "USD", "0.00"), (".5", "USD", "0.50"),
     ("0.00000001", "BTC", "0.00000001"), ("21000000", "BTC", "21000000.00000000"), ("546", "sat", "546"),
     ("+4", "USD", "4.00")],
)
def test_parse_price_accepts(value, currency, expected):
    result = parse_price(value, currency)
    assert result == Decimal(expected) and f"{result:f}" == expected


@pytest.mark.parametrize(
    ("value", "currency"),
    [(1.5, "USD"), (True, "USD"), ("NaN", "USD"), ("nan", "USD"), ("inf", "USD"), ("-Infinity", "USD"),
     (Decimal("NaN"), "USD"), (Decimal("Infinity"), "USD"), ("-1", "USD"), (-1, "USD"), (Decimal("-0.01"), "USD"),
     ("1.005", "USD"), ("1.5", "JPY"), ("1.5", "SAT"), ("0.000000001", "BTC"), ("1e3", "USD"), ("1,5", "EUR"),
     ("1_000", "USD"), ("", "USD"), ("abc", "USD"), ("21000000.00000001", "BTC"), ("1" * 16, "USD"),
     (Decimal("1E+20"), "USD"), (None, "USD"), ([1], "USD")],
)
def test_parse_price_rejects(value, currency):
    with pytest.raises(InvalidAmount) as caught:
        parse_price(value, currency)
    assert caught.value.field == "price"


def test_parse_price_rejects_unknown_currency():
    with pytest.raises(UnknownCurrency):
        parse_price("1", "XYZ")


@pytest.mark.parametrize(
    ("price", "currency", "rate", "sat"),
    [("10.00", "USD", "50000", 20_000), ("0.001", "BTC", None, 100_000), ("546", "SAT", None, 546)],
)
def test_price_to_sat(price, currency, rate, sat):
    assert price_to_sat(Decimal(price), currency, Decimal(rate) if rate else None) == sat


@pytest.mark.parametrize(
    ("price", "currency", "rate", "error"),
    [("10", "USD", None, RateUnavailable), ("0", "USD", "50000", InvalidAmount), ("1.5", "SAT", None, InvalidAmount),
     ("0", "BTC", None, InvalidAmount), ("22000000", "BTC", None, InvalidAmount)],
)
def test_price_to_sat_rejects(price, currency, rate, error):
    with pytest.raises(error):
        price_to_sat(Decimal(price), currency, Decimal(rate) if rate else None)


sats = st.integers(min_value=0, max_value=MAX_SAT)
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2)


@given(sats)
def test_sat_btc_round_trip(sat):
    assert btc_to_sat(sat_to_btc(sat)) == sat
    assert btc_to_sat(format_btc(sat)) == sat


@given(st.decimals(min_value=0, max_value=Decimal("1000000"), places=2), rates)
def test_fiat_to_sat_never_underpays(amount, rate):
    sat = fiat_to_sat(amount, rate)
    assert Decimal(sat) * rate >= amount * SAT_PER_BTC  # covers the price
    assert Decimal(sat - 1) * rate < amount * SAT_PER_BTC or sat == 0  # by at most one satoshi


@given(st.decimals(min_value=0, max_value=Decimal("1000000"), places=2), rates)
def test_fiat_sat_fiat_round_trip_is_within_a_cent(amount, rate):
    back = sat_to_fiat(fiat_to_sat(amount, rate), rate, "USD")
    assert amount <= back <= amount + max(Decimal("0.01"), rate / SAT_PER_BTC + Decimal("0.01"))
