"""Address validation (app/core/btc_address.py): the BIP173/BIP350 vectors, base58check, network prefixes,
and agreement with Electrum's own segwit_addr on random witness programs."""

from __future__ import annotations

import pytest
from electrum import segwit_addr
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.btc_address import validate_address
from app.core.errors import ValidationError

# BIP350 "valid segwit addresses" (BIP173's v0 ones among them): (address, network)
VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "mainnet"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "testnet"),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "mainnet"),
    ("BC1SW50QGDZ25J", "mainnet"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "mainnet"),
    ("tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", "testnet"),
    ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "signet"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "mainnet"),
    ("bcrt1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnard0ew", "regtest"),
    ("bcrt1pqqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0sj9hjuh", "regtest"),
    # base58check: P2PKH and P2SH
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "mainnet"),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "mainnet"),
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "testnet"),
    ("2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", "regtest"),
]

# BIP350 "invalid segwit addresses" (and BIP173's), all invalid_address whatever the network
INVALID = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",  # unknown hrp
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # bech32 checksum on v1
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",  # bech32 checksum on v2
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # bech32 checksum on v16
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # bech32m checksum on v0
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",  # bech32m checksum on v0
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # 'o' is not in the charset
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # witness version 17
    "bc1pw5dgrnzv",  # 1-byte program
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # 41-byte program
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 with a 16-byte program
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",  # mixed case
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # more than 4 padding bits
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",  # non-zero padding
    "bc1gmk9yu",  # empty data
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",  # base58 checksum
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0",  # '0' is not base58
    "1111111111",  # too short
    "",
    "   ",
    "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "x" * 91,
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\x00",
]


@pytest.mark.parametrize(("address", "network"), VALID)
def test_valid_addresses_are_accepted_and_bech32_is_lower_cased(address, network):
    normalised = validate_address(f"  {address} ", network)
    assert normalised == (address.lower() if address.lower().startswith(("bc1", "tb1", "bcrt1")) else address)


@pytest.mark.parametrize("address", INVALID)
@pytest.mark.parametrize("network", ["mainnet", "testnet", "regtest"])
def test_invalid_addresses_are_refused(address, network):
    with pytest.raises(ValidationError) as err:
        validate_address(address, network)
    assert err.value.code == "invalid_address" and err.value.field == "address"


@pytest.mark.parametrize(("address", "network"), [
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "testnet"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "regtest"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "mainnet"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "regtest"),
    ("bcrt1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnard0ew", "signet"),
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "regtest"),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "testnet"),
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "mainnet"),
    ("2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", "mainnet"),
])
def test_addresses_of_another_network_are_wrong_network(address, network):
    with pytest.raises(ValidationError) as err:
        validate_address(address, network)
    assert err.value.code == "wrong_network"


def test_an_upper_case_base58_address_is_not_silently_fixed():
    with pytest.raises(ValidationError):
        validate_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2".upper(), "mainnet")


@settings(max_examples=300, deadline=None)
@given(hrp=st.sampled_from([("bc", "mainnet"), ("tb", "testnet"), ("bcrt", "regtest")]),
       version=st.integers(0, 16), program=st.binary(min_size=2, max_size=40))
def test_agrees_with_electrums_segwit_addr(hrp, version, program):
    prefix, network = hrp
    if version == 0 and len(program) not in (20, 32):
        return
    address = segwit_addr.encode_segwit_address(prefix, version, program)
    assert address is not None
    assert validate_address(address, network) == address
    assert validate_address(address.upper(), network) == address
    for position in (len(prefix) + 3, len(address) - 1):  # one changed character is always caught
        char = address[position]
        typo = address[:position] + ("q" if char != "q" else "p") + address[position + 1:]
        with pytest.raises(ValidationError):
            validate_address(typo, network)
