from __future__ import annotations

import re

import pytest

from app.core import errors
from app.core.ids import new_id, new_invoice_id


@pytest.mark.parametrize(
    ("cls", "parent", "code", "status"),
    [
        (errors.UserFacingError, errors.AppError, "invalid_input", 400),
        (errors.NotFound, errors.UserFacingError, "not_found", 404),
        (errors.InvoiceNotFound, errors.NotFound, "invoice_not_found", 404),
        (errors.StoreNotFound, errors.NotFound, "store_not_found", 404),
        (errors.WalletNotFound, errors.NotFound, "wallet_not_found", 404),
        (errors.ProductNotFound, errors.NotFound, "product_not_found", 404),
        (errors.ValidationError, errors.UserFacingError, "validation_error", 422),
        (errors.Conflict, errors.UserFacingError, "conflict", 409),
        (errors.InvalidAmount, errors.ValidationError, "invalid_amount", 422),
        (errors.UnknownCurrency, errors.ValidationError, "unknown_currency", 422),
        (errors.RateUnavailable, errors.UserFacingError, "rate_unavailable", 503),
        (errors.StoreHasNoWallet, errors.Conflict, "store_has_no_wallet", 409),
        (errors.InvalidKey, errors.ValidationError, "not_a_key", 422),
        (errors.InvalidTransition, errors.Conflict, "invalid_transition", 409),
    ],
)
def test_error_hierarchy_codes_and_statuses(cls, parent, code, status):
    error = cls("Something went wrong")
    assert isinstance(error, parent) and isinstance(error, errors.AppError)
    assert (error.code, error.http_status, error.field, str(error)) == (code, status, None, "Something went wrong")
    assert re.fullmatch(r"[a-z_]+", error.code)


@pytest.mark.parametrize("code", sorted(errors.InvalidKey.CODES))
def test_invalid_key_codes(code):
    error = errors.InvalidKey("That key is for testnet", code=code, field="xpub")
    assert (error.code, error.field) == (code, "xpub")
    assert errors.InvalidKey.code == "not_a_key"  # the instance override does not leak into the class
    assert code in repr(error)


def test_invalid_key_code_constants():
    assert errors.InvalidKey.CODES == {"not_a_key", "private_key_given", "wrong_network", "unsupported_script_type"}


def test_invoice_ids_are_url_safe_and_unique():
    ids = {new_invoice_id() for _ in range(2_000)}
    assert len(ids) == 2_000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", invoice_id) for invoice_id in ids)  # 16 bytes = 128 bits


def test_prefixed_ids():
    store_id = new_id("store")
    assert re.fullmatch(r"store_[0-9a-f]{20}", store_id)
    assert new_id("prod") != new_id("prod")


@pytest.mark.parametrize("bad", ["", "Store", "st-ore", "a" * 17, "1x"])
def test_prefix_is_validated(bad):
    with pytest.raises(ValueError):
        new_id(bad)
