"""Key validation, descriptors and derivation (pure; no network)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from electrum import bitcoin, constants
from electrum.simple_config import SimpleConfig

from app.chain import keys
from app.chain.keys import WalletDescriptor, derive_address, derive_addresses, parse_wallet_keys
from app.chain.wallets import create_wallet
from app.core.errors import InvalidKey, ValidationError

from .conftest import SEED_A, xprv_for, xpub_for

MAIN = constants.BitcoinMainnet
TEST = constants.BitcoinTestnet
ABANDON = "abandon " * 11 + "about"
BIP84_ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAY"
              "z2oz2AGutZYs")
SEEDS = [bytes([i]) * 32 for i in range(1, 5)]


def test_bip84_reference_vector_mainnet() -> None:
    desc = parse_wallet_keys(BIP84_ZPUB, "mainnet")
    assert (desc.kind, desc.script_type, desc.threshold) == ("xpub", "p2wpkh", None)
    assert derive_addresses(desc, 0, 2) == ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
                                            "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"]
    assert derive_address(desc, 0, change=True) == "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"


@pytest.mark.parametrize(("network", "net", "xtype", "script_type", "prefix"), [
    ("mainnet", MAIN, "standard", "p2pkh", "xpub"),
    ("mainnet", MAIN, "p2wpkh-p2sh", "p2wpkh-p2sh", "ypub"),
    ("mainnet", MAIN, "p2wpkh", "p2wpkh", "zpub"),
    ("testnet", TEST, "standard", "p2pkh", "tpub"),
    ("signet", TEST, "p2wpkh-p2sh", "p2wpkh-p2sh", "upub"),
    ("regtest", TEST, "p2wpkh", "p2wpkh", "vpub"),
])
def test_singlesig_keys_per_network(network: str, net: object, xtype: str, script_type: str, prefix: str) -> None:
    key = xpub_for(SEEDS[0], "m/0'", xtype, net=net)
    assert key.startswith(prefix)
    desc = parse_wallet_keys(f"  {key}\n", network)
    assert (desc.network, desc.kind, desc.script_type, desc.keys) == (network, "xpub", script_type, (key,))
    # addresses carry the descriptor's network, whatever Electrum's global constants say
    first = derive_address(desc, 0)
    assert bitcoin.is_address(first, net=keys._net(network))


def test_plain_xpub_with_explicit_script_type_is_reencoded() -> None:
    tpub = xpub_for(SEEDS[0], "m/84'/1'/0'", "standard", net=TEST)
    vpub = xpub_for(SEEDS[0], "m/84'/1'/0'", "p2wpkh", net=TEST)
    desc = parse_wallet_keys(tpub, "regtest", script_type="p2wpkh")
    assert desc.keys == (vpub,)
    assert desc == parse_wallet_keys(vpub, "regtest")
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(vpub, "regtest", script_type="p2pkh")
    assert err.value.code == "unsupported_script_type"


def test_multisig_2_of_3() -> None:
    cosigners = [xpub_for(s, "m/48'/1'/0'/2'", "p2wsh", net=TEST) for s in SEEDS[:3]]
    assert all(k.startswith("Vpub") for k in cosigners)
    desc = parse_wallet_keys(", ".join(cosigners), "regtest", threshold=2)
    assert (desc.kind, desc.threshold, desc.script_type) == ("multisig", 2, "p2wsh")
    assert derive_address(desc, 0).startswith("bcrt1q") and len(derive_address(desc, 0)) == 64
    # key order does not change addresses (sortedmulti) but the fingerprint is order-free too
    reordered = parse_wallet_keys(list(reversed(cosigners)), "regtest", threshold=2)
    assert derive_address(reordered, 7) == derive_address(desc, 7)
    assert reordered.fingerprint == desc.fingerprint
    legacy = parse_wallet_keys([xpub_for(s, "m/45'", "standard", net=TEST) for s in SEEDS[:3]], "regtest",
                               threshold=2)
    assert legacy.script_type == "p2sh" and derive_address(legacy, 0)[0] == "2"


@pytest.mark.parametrize(("threshold", "code"), [(None, "invalid_threshold"), (0, "invalid_threshold"),
                                                 (4, "invalid_threshold")])
def test_multisig_threshold_errors(threshold: int | None, code: str) -> None:
    cosigners = [xpub_for(s, "m/1'", "p2wsh", net=TEST) for s in SEEDS[:3]]
    with pytest.raises(ValidationError) as err:
        parse_wallet_keys(cosigners, "regtest", threshold=threshold)
    assert err.value.code == code


def test_multisig_rejects_mixed_singlesig_and_duplicate_keys() -> None:
    vpub = xpub_for(SEEDS[0], "m/1'", "p2wpkh", net=TEST)
    vpub2 = xpub_for(SEEDS[1], "m/1'", "p2wpkh", net=TEST)
    Vpub = xpub_for(SEEDS[1], "m/1'", "p2wsh", net=TEST)
    for bad in ([vpub, Vpub], [vpub, vpub2]):
        with pytest.raises(InvalidKey) as err:
            parse_wallet_keys(bad, "regtest", threshold=1)
        assert err.value.code == "unsupported_script_type"
    with pytest.raises(ValidationError) as dup:
        parse_wallet_keys([Vpub, Vpub], "regtest", threshold=1)
    assert dup.value.code == "duplicate_key"


def test_singlesig_rejects_multisig_only_key() -> None:
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(xpub_for(SEEDS[0], "m/1'", "p2wsh", net=TEST), "regtest")
    assert err.value.code == "unsupported_script_type"


@pytest.mark.parametrize(("text", "code"), [
    ("hello world", "not_a_key"),
    ("", "not_a_key"),
    ("bcrt1qcr8te4kr609gcawutmrza0j4xv80jy8zeqchgx", "not_a_key"),  # an address (bad checksum or not: not a key)
    ("02" + "11" * 32, "not_a_key"),
    ("TESTNET_WIF", "private_key_given"),
    ("p2wpkh:BARE_TESTNET_WIF", "private_key_given"),
    ("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", "private_key_given"),  # mainnet WIF
    (ABANDON, "private_key_given"),
    (SEED_A, "private_key_given"),  # wordlist words, bad checksum: still secret material
    (" ".join(SEED_A.split()[:11]), "not_a_key"),
])
def test_specific_error_codes(text: str, code: str) -> None:
    wif = bitcoin.serialize_privkey(b"\x01" * 32, True, "p2pkh")  # "p2pkh:c..."
    text = text.replace("BARE_TESTNET_WIF", wif.partition(":")[2]).replace("TESTNET_WIF", wif)
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(text, "regtest")
    assert err.value.code == code
    assert str(err.value)  # a message the merchant can read


def test_address_and_typo_messages() -> None:
    addr = derive_address(parse_wallet_keys(BIP84_ZPUB, "mainnet"), 0)
    with pytest.raises(InvalidKey, match="address"):
        parse_wallet_keys(addr, "mainnet")
    typo = BIP84_ZPUB[:-1] + ("t" if BIP84_ZPUB[-1] != "t" else "u")
    with pytest.raises(InvalidKey, match="checksum") as err:
        parse_wallet_keys(typo, "mainnet")
    assert err.value.code == "not_a_key"


def test_extended_private_keys_rejected_on_any_network() -> None:
    for net, network in ((TEST, "regtest"), (MAIN, "regtest"), (MAIN, "mainnet"), (TEST, "mainnet")):
        with pytest.raises(InvalidKey) as err:
            parse_wallet_keys(xprv_for(SEEDS[0], "m/1'", "p2wpkh", net=net), network)
        assert err.value.code == "private_key_given"


def test_wrong_network_both_ways() -> None:
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(BIP84_ZPUB, "regtest")
    assert err.value.code == "wrong_network"
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(xpub_for(SEEDS[0], "m/1'", "p2wpkh", net=TEST), "mainnet")
    assert err.value.code == "wrong_network"
    mixed = [xpub_for(SEEDS[0], "m/1'", "p2wsh", net=TEST), xpub_for(SEEDS[1], "m/1'", "p2wsh", net=MAIN)]
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(mixed, "testnet", threshold=2)
    assert err.value.code == "wrong_network"


def test_unsupported_script_type_argument_and_seed_types() -> None:
    with pytest.raises(InvalidKey) as err:
        parse_wallet_keys(BIP84_ZPUB, "mainnet", script_type="p2tr")
    assert err.value.code == "unsupported_script_type"
    from electrum import ecc

    old_mpk = ecc.ECPrivkey(b"\x05" * 32).get_public_key_hex(compressed=False)[2:]
    with pytest.raises(InvalidKey) as err:  # Electrum 1.x master public key
        parse_wallet_keys(old_mpk, "mainnet")
    assert err.value.code == "unsupported_script_type"


def test_seed_makes_hot_descriptor_only_when_allowed() -> None:
    desc = parse_wallet_keys(ABANDON, "mainnet", allow_seed=True)
    assert (desc.kind, desc.script_type, desc.derivation) == ("seed", "p2wpkh", "m/84'/0'/0'")
    assert not desc.is_watch_only
    assert desc.watch_keys == (BIP84_ZPUB,)
    assert derive_address(desc, 0) == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    # same addresses as its watch-only twin, same fingerprint
    assert desc.fingerprint == parse_wallet_keys(BIP84_ZPUB, "mainnet").fingerprint
    legacy = parse_wallet_keys(ABANDON, "mainnet", allow_seed=True, script_type="p2pkh")
    assert derive_address(legacy, 0) == "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"  # BIP44 vector


async def test_electrum_segwit_seed(tmp_path: Path, electrum_runtime: object) -> None:
    from electrum.mnemonic import Mnemonic

    seed = Mnemonic("en").make_seed(seed_type="segwit")
    desc = parse_wallet_keys(seed, "regtest", allow_seed=True)
    assert (desc.kind, desc.script_type, desc.derivation) == ("seed", "p2wpkh", None)
    wallet = _electrum_wallet(tmp_path, desc, password="pw")
    assert wallet.get_receiving_addresses()[:20] == derive_addresses(desc, 0, 20)
    assert wallet.storage.is_encrypted() and wallet.has_password()


def test_repr_redacts_keys() -> None:
    seed_desc = parse_wallet_keys(ABANDON, "mainnet", allow_seed=True)
    xpub_desc = parse_wallet_keys(BIP84_ZPUB, "mainnet")
    for desc in (seed_desc, xpub_desc):
        text = repr(desc) + str(desc)
        assert BIP84_ZPUB not in text and "abandon abandon" not in text
        assert desc.fingerprint in text
    assert "zpub6rFR…" in repr(xpub_desc)


def _electrum_wallet(tmp_path: Path, desc: WalletDescriptor, password: str | None = None):
    """Electrum's own deterministic wallet for ``desc``: RedWaves' file for a seed; for public keys the
    standard/multisig wallet Electrum itself would make (RedWaves watches those through an imported-
    address wallet, app/chain/watch_set.py, so Electrum's derivation is the reference here)."""
    config = SimpleConfig({"electrum_path": str(tmp_path / "e"), "regtest": True})
    path = tmp_path / f"w-{desc.fingerprint}"
    if desc.kind == "seed":
        wallet = create_wallet(path, desc, config=config, password=password, gap_limit=20)
    else:
        from electrum import keystore
        from electrum.storage import WalletStorage
        from electrum.wallet import Wallet
        from electrum.wallet_db import WalletDB

        db = WalletDB("", manual_upgrades=False)
        if desc.kind == "multisig":
            db.put("wallet_type", f"{desc.threshold}of{len(desc.keys)}")
            for i, key in enumerate(desc.keys):
                db.put(f"x{i + 1}/", keystore.from_xpub(key).dump())
        else:
            db.put("wallet_type", "standard")
            db.put("keystore", keystore.from_xpub(desc.keys[0]).dump())
        db.put("gap_limit", 20)
        wallet = Wallet(db, WalletStorage(str(path)), config=config)
    _opened.append(wallet)
    return wallet


_opened: list = []


@pytest.fixture(autouse=True)
async def _stop_wallets(request: pytest.FixtureRequest):
    yield
    while _opened:
        wallet = _opened.pop()
        wallet.unregister_callbacks()


@pytest.mark.parametrize("case", ["p2wpkh", "p2wpkh-p2sh", "p2pkh", "p2wsh", "p2wsh-p2sh", "p2sh", "bip39"])
async def test_derive_matches_electrum_wallet(case: str, tmp_path: Path, electrum_runtime: object) -> None:
    if case == "bip39":
        desc = parse_wallet_keys(ABANDON, "regtest", allow_seed=True, script_type="p2wpkh-p2sh")
        wallet = _electrum_wallet(tmp_path, desc, password="secret")
    elif case.startswith("p2wsh") or case == "p2sh":
        xtype = {"p2wsh": "p2wsh", "p2wsh-p2sh": "p2wsh-p2sh", "p2sh": "standard"}[case]
        cosigners = [xpub_for(s, "m/48'/1'/0'", xtype, net=TEST) for s in SEEDS[:3]]
        desc = parse_wallet_keys(cosigners, "regtest", threshold=2)
        wallet = _electrum_wallet(tmp_path, desc)
    else:
        xtype = {"p2wpkh": "p2wpkh", "p2wpkh-p2sh": "p2wpkh-p2sh", "p2pkh": "standard"}[case]
        desc = parse_wallet_keys(xpub_for(SEEDS[1], "m/0'", xtype, net=TEST), "regtest")
        wallet = _electrum_wallet(tmp_path, desc)
    for _ in range(30):
        wallet.create_new_address(False)
    assert wallet.get_receiving_addresses() == derive_addresses(desc, 0, 50)
    assert wallet.get_change_addresses()[:6] == derive_addresses(desc, 0, 6, change=True)
    assert wallet.is_watching_only() == desc.is_watch_only


def test_derive_address_is_fast() -> None:
    desc = parse_wallet_keys(xpub_for(SEEDS[2], "m/84'/1'/0'", "p2wpkh", net=TEST), "regtest")
    derive_address(desc, 0)  # warm the account/chain node cache
    n, runs = 500, []
    for rep in range(5):  # best of 5: a shared 2-core CI box has noisy neighbours
        t0 = time.perf_counter()
        for i in range(1 + rep * n, 1 + (rep + 1) * n):
            derive_address(desc, i)
        runs.append((time.perf_counter() - t0) / n * 1000)
    per_call_ms = min(runs)
    print(f"derive_address: {per_call_ms * 1000:.0f} µs per call (best of 5x{n})")
    assert per_call_ms < 0.2, f"{per_call_ms:.3f} ms per derive_address"
    t0 = time.perf_counter()
    derive_address(desc, 1)  # cached
    assert (time.perf_counter() - t0) < 0.001


def test_set_network_is_once_per_process() -> None:
    keys.set_network("regtest")  # same network again: fine
    with pytest.raises(RuntimeError):
        keys.set_network("mainnet")
    with pytest.raises(ValueError):
        parse_wallet_keys(BIP84_ZPUB, "bitcoin")
