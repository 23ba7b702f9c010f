"""get_tx_size's virtual size, without Electrum."""

from __future__ import annotations

import pytest

from app.services.compat.bitcart.raw_transactions import MalformedTransaction, transaction_vsize
from tests.daemon.test_protocol import segwit_tx_hex


def test_segwit_vsize_discounts_the_witness():
    assert len(bytes.fromhex(segwit_tx_hex())) == 192
    assert transaction_vsize(segwit_tx_hex()) == 110


def test_legacy_vsize_is_its_length():
    legacy = ("01000000" "01" + "11" * 32 + "00000000" "00" "ffffffff" "01" + "50c3000000000000" "00" "00000000")
    assert transaction_vsize(legacy) == len(bytes.fromhex(legacy))


@pytest.mark.parametrize("bad", ["", "zz", "0100000000", segwit_tx_hex()[:-2], segwit_tx_hex() + "00"])
def test_malformed(bad):
    with pytest.raises(MalformedTransaction):
        transaction_vsize(bad)
