"""app/core/limits.py, app/core/urls.py and the money bounds: every check is cheap and happens before any
arithmetic (issue 17 items 1 and 8)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from app.core.errors import InvalidAmount, ValidationError
from app.core.limits import LimitExceeded, bounded_decimal, check_decimal, loads
from app.core.money import btc_to_sat, format_btc, parse_price, price_to_sat
from app.core.urls import check_http_url, clean_redirect_url, optional_http_url


@pytest.mark.parametrize("raw, code", [
    (b'{"n": 1e999999}', "number_too_large"), (b'{"n": 1e-999999}', "number_too_large"),
    (b'[' + b"9" * 41 + b']', "number_too_large"), (b"[" + b"1" + b"0" * 30 + b"]", "number_too_large"),
    (b"[" * 33 + b"]" * 33, "too_deep"), (b"[" * 200_000 + b"]" * 200_000, "too_deep"),
    (b'{"a": ' * 33 + b"1" + b"}" * 33, "too_deep"),
])
def test_loads_refuses_past_the_bounds_fast(raw, code):
    started = time.perf_counter()
    with pytest.raises(LimitExceeded) as info:
        loads(raw)
    assert info.value.code == code and time.perf_counter() - started < 0.5


def test_loads_keeps_what_is_within_the_bounds():
    assert loads(b"[" * 32 + b"]" * 32) is not None
    assert loads('{"a": 1.50, "b": [1, "[[[[ \\" {{{"], "c": 1e3}') == {"a": Decimal("1.50"), "b": [1, '[[[[ " {{{'],
                                                                       "c": Decimal("1E+3")}
    assert loads(b'["' + b"[" * 1000 + b'"]') == ["[" * 1000]  # brackets inside strings are not nesting
    for bad in (b"[NaN]", b"[Infinity]", b"{", b"\xff"):
        with pytest.raises(ValueError):
            loads(bad)


def test_decimal_bounds():
    assert check_decimal(Decimal("123456789.123")) == Decimal("123456789.123")
    for text in ("1e30", "1" * 41, "0e999999", "1e-31"):
        with pytest.raises(LimitExceeded):
            bounded_decimal(text) if len(text) > 40 else check_decimal(Decimal(text))
    with pytest.raises(LimitExceeded):
        check_decimal(Decimal("NaN"))


def test_money_refuses_huge_values_before_arithmetic():
    started = time.perf_counter()
    for call in (lambda: format_btc(10**5000), lambda: btc_to_sat(Decimal("1e999999")),
                 lambda: btc_to_sat("1e999999"), lambda: parse_price(Decimal("1e999999"), "USD"),
                 lambda: parse_price(10**5000, "USD"), lambda: parse_price("9" * 5000, "USD"),
                 lambda: price_to_sat(Decimal("1e-999999"), "BTC")):
        with pytest.raises(InvalidAmount):
            call()
    assert time.perf_counter() - started < 0.5
    assert format_btc(-(10**15)) == "-10000000.00000000" and btc_to_sat("21000000") == 21 * 10**14


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:x", "http://a\x00b", "http://a/\x7f",
                                 "http://a/\u0085", "http://a/ b", "http:///x", "http://:80/", "//a/b", "/thanks",
                                 "ftp://a/", "data:text/html,x", "http://u:p@h/", "http://a/<b>", "http://a/\\b",
                                 "http://[::1/", "http://a/" + "x" * 2000])
def test_bad_urls_are_refused(url):
    with pytest.raises(ValidationError) as info:
        check_http_url(url, "checkout.redirect_url")
    assert info.value.code == "invalid_redirect_url" and info.value.field == "checkout.redirect_url"


def test_good_urls_are_kept():
    for url in ("http://shop.example", "HTTPS://shop.example:8443/a/b?c=d&e=%20#f", "http://[::1]:8080/",
                "https://bücher.example/straße"):
        assert check_http_url(url, "redirect_url") == url
    assert optional_http_url("", "redirect_url") is None and optional_http_url(None, "redirect_url") is None
    assert optional_http_url(" https://a.example/ ", "redirect_url") == "https://a.example/"
    assert clean_redirect_url({"redirect_url": None, "x": 1}) == {"redirect_url": "", "x": 1}
    with pytest.raises(ValidationError):
        clean_redirect_url({"redirect_url": 5})
