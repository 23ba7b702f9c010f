"""Wallet keys: validation, descriptors and address derivation. Pure, no network.

``parse_wallet_keys`` turns what a merchant pasted into a :class:`WalletDescriptor`, or raises
:class:`~app.core.errors.InvalidKey` with a specific code. ``derive_address`` is what RedWaves
calls for every new invoice; it must stay fast (~60 µs single-sig, see ``derivation.py``).

Electrum's global network constants (address prefixes, key headers) are set once per process
with :func:`set_network`; the descriptor's own ``network`` is used for all encoding here, so a
descriptor never silently produces addresses of another network.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from electrum import bip32, constants, keystore, mnemonic
from electrum.bitcoin import WIF_SCRIPT_TYPES, DecodeBase58Check, is_address

from app.chain import derivation
from app.core.errors import InvalidKey, ValidationError
from app.core.limits import MAX_KEY_TEXT_CHARS, MAX_KEY_TOKEN_CHARS, LimitExceeded

NETWORKS = ("mainnet", "testnet", "signet", "regtest")
SINGLESIG_TYPES = ("p2wpkh", "p2wpkh-p2sh", "p2pkh")
MULTISIG_TYPES = ("p2wsh", "p2wsh-p2sh", "p2sh")
MAX_COSIGNERS = 15
_NETS: dict[str, derivation.NetConstants] = {
    "mainnet": constants.BitcoinMainnet,
    "testnet": constants.BitcoinTestnet,
    "signet": constants.BitcoinSignet,
    "regtest": constants.BitcoinRegtest,
}
# script type -> Electrum "xtype" (the SLIP-132 header family of the key)
_XTYPE_OF = {
    "p2wpkh": "p2wpkh", "p2wpkh-p2sh": "p2wpkh-p2sh", "p2pkh": "standard",
    "p2wsh": "p2wsh", "p2wsh-p2sh": "p2wsh-p2sh", "p2sh": "standard",
}
_BIP39_PURPOSE = {"p2wpkh": 84, "p2wpkh-p2sh": 49, "p2pkh": 44}
_WIF_PREFIXES = {0x80, 0xEF}


def _redact(secret: str) -> str:
    return secret[:8] + "…"


@dataclass(frozen=True)
class WalletDescriptor:
    """Everything needed to recreate a wallet's addresses. ``repr`` never shows keys whole.

    ``keys`` are public keys in Electrum's SLIP-132 form (zpub/vpub/Zpub...; a plain xpub given
    with an explicit script type is re-encoded), or ``(seed,)`` for ``kind == "seed"``.
    ``watch_keys`` are the account xpubs addresses derive from (same as ``keys`` unless seed).
    ``derivation`` is the BIP39 account path for BIP39 seeds; None for Electrum seeds and xpubs.
    """

    network: str
    kind: Literal["xpub", "multisig", "seed"]
    keys: tuple[str, ...] = field(repr=False)
    threshold: int | None
    script_type: str
    watch_keys: tuple[str, ...] = field(default=(), repr=False, compare=False)
    derivation: str | None = None

    def __post_init__(self) -> None:
        if not self.watch_keys:
            if self.kind == "seed":
                raise ValueError("a seed descriptor needs its account xpub in watch_keys; use parse_wallet_keys")
            object.__setattr__(self, "watch_keys", self.keys)

    def __repr__(self) -> str:
        keys = ", ".join(_redact(k) for k in self.keys)
        return (f"WalletDescriptor(network={self.network!r}, kind={self.kind!r}, keys=({keys}), "
                f"threshold={self.threshold!r}, script_type={self.script_type!r}, "
                f"fingerprint={self.fingerprint!r})")

    __str__ = __repr__

    @cached_property
    def fingerprint(self) -> str:
        """Stable id of the address set: same keys + script type + threshold -> same value.

        Derived from the account xpubs (never from a seed), without their version bytes, so a
        hot wallet and its watch-only twin share a fingerprint.
        """
        h = hashlib.sha256(f"redwaves-wallet-v1|{self.script_type}|{self.threshold or 1}|".encode())
        for payload in sorted(DecodeBase58Check(k)[4:] for k in self.watch_keys):
            h.update(payload)
        return h.hexdigest()[:16]

    @property
    def is_watch_only(self) -> bool:
        return self.kind != "seed"


# -- network -----------------------------------------------------------------------------------

_network_lock = threading.Lock()
_current_network: str | None = None


def set_network(network: str) -> None:
    """Point Electrum's global constants at ``network``. Once per process, before key work."""
    global _current_network
    net = _net(network)
    with _network_lock:
        if _current_network not in (None, network):
            raise RuntimeError(f"network already set to {_current_network}; one network per process")
        constants.net = net
        _current_network = network


def current_network() -> str | None:
    return _current_network


def _net(network: str) -> derivation.NetConstants:
    try:
        return _NETS[network]
    except KeyError:
        raise ValueError(f"unknown network {network!r}; expected one of {NETWORKS}") from None


def _other_family(network: str) -> str:
    return "testnet" if network == "mainnet" else "mainnet"


# -- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PublicKey:
    node: bip32.BIP32Node
    xtype: str


def _fail(code: str, message: str) -> InvalidKey:
    return InvalidKey(message, code=code, field="keys")


def _classify_base58(token: str, network: str) -> _PublicKey:
    """Classify a base58check token; returns a public key or raises the specific InvalidKey."""
    raw = DecodeBase58Check(token)
    net, other = _net(network), _net(_other_family(network))
    if len(raw) == 78:
        header = int.from_bytes(raw[:4], "big")
        if header in net.XPRV_HEADERS_INV or header in other.XPRV_HEADERS_INV:
            raise _fail(InvalidKey.PRIVATE_KEY_GIVEN,
                        "This is an extended PRIVATE key. Paste the extended public key (xpub/zpub/...) "
                        "instead, and keep the private key secret.")
        if header in other.XPUB_HEADERS_INV:
            raise _fail(InvalidKey.WRONG_NETWORK,
                        f"This key is for {_family_name(_other_family(network))}, "
                        f"but RedWaves runs on {network}.")
        if header not in net.XPUB_HEADERS_INV:
            raise _fail(InvalidKey.NOT_A_KEY, "Unknown extended key version; is this a bitcoin xpub?")
        try:
            node = bip32.BIP32Node.from_xkey(token, net=net)
        except Exception:  # noqa: BLE001 - electrum raises bare Exceptions for bad points
            raise _fail(InvalidKey.NOT_A_KEY, "The extended key is damaged (invalid public key).") from None
        return _PublicKey(node=node, xtype=net.XPUB_HEADERS_INV[header])
    if len(raw) in (33, 34) and (raw[0] in _WIF_PREFIXES or raw[0] - 0x80 in range(1, 9)
                                 or raw[0] - 0xEF in range(1, 9)):
        raise _fail(InvalidKey.PRIVATE_KEY_GIVEN,
                    "This is a private key (WIF). Paste the wallet's extended public key instead.")
    if len(raw) == 21:
        raise _fail(InvalidKey.NOT_A_KEY,
                    "This is a bitcoin address, not a wallet key. Paste the extended public key.")
    raise _fail(InvalidKey.NOT_A_KEY, "Not a wallet key.")


def _family_name(network: str) -> str:
    return "mainnet" if network == "mainnet" else "testnet/signet/regtest"


_XKEY_LOOKALIKE = re.compile(r"^[xyzuvtXYZUVT](pub|prv)[1-9A-HJ-NP-Za-km-z]{20,}$")


def _is_base58check(token: str) -> bool:
    try:
        DecodeBase58Check(token)
    except Exception:  # noqa: BLE001 - electrum raises several types for "not base58check"
        return False
    return True


def _classify_token(token: str, network: str) -> _PublicKey:
    prefix, sep, rest = token.partition(":")
    if sep and prefix in WIF_SCRIPT_TYPES:  # Electrum's "p2wpkh:<WIF>" export format
        token = rest
    if _is_base58check(token):
        return _classify_base58(token, network)
    if is_address(token, net=_net(network)) or is_address(token, net=_net(_other_family(network))):
        raise _fail(InvalidKey.NOT_A_KEY,
                    "This is a bitcoin address, not a wallet key. Paste the extended public key.")
    if _XKEY_LOOKALIKE.match(token):
        raise _fail(InvalidKey.NOT_A_KEY, "This looks like an extended key but its checksum is wrong (typo?).")
    if keystore.is_old_mpk(token):
        raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE,
                    "Electrum 1.x master public keys are not supported; use a newer wallet's xpub.")
    if re.fullmatch(r"0[23][0-9a-fA-F]{64}", token):
        raise _fail(InvalidKey.NOT_A_KEY,
                    "This is a single public key; RedWaves needs an extended public key (xpub).")
    raise _fail(InvalidKey.NOT_A_KEY, "Not a wallet key.")


def _seed_kind(text: str) -> str | None:
    """electrum-standard|electrum-segwit|electrum-other|bip39|bad-checksum, or None (not a seed)."""
    words = text.split()
    if len(words) < 12:
        return None
    st = mnemonic.seed_type(text)
    if st in ("standard", "segwit"):
        return f"electrum-{st}"
    if st:
        return "electrum-other"
    ok, wordlist_ok = keystore.bip39_is_checksum_valid(" ".join(words))
    if ok:
        return "bip39"
    # Wordlist words with a bad checksum: a mistyped seed is still secret material.
    return "bad-checksum" if wordlist_ok and len(words) in (12, 15, 18, 21, 24) else None


def _check_size(text: str) -> None:
    if len(text) > MAX_KEY_TEXT_CHARS:
        raise LimitExceeded(f"Key text is longer than {MAX_KEY_TEXT_CHARS} characters.", code=LimitExceeded.TOO_LONG,
                            field="keys")


def _split_keys(text_or_keys: str | Sequence[str]) -> list[str]:
    if isinstance(text_or_keys, str):
        return [t for t in re.split(r"[\s,;]+", text_or_keys.strip()) if t]
    return [t.strip() for t in text_or_keys if t and t.strip()]


def parse_wallet_keys(
    text_or_keys: str | Sequence[str],
    network: str,
    *,
    threshold: int | None = None,
    script_type: str | None = None,
    allow_seed: bool = False,
) -> WalletDescriptor:
    """Validate pasted key material for ``network``.

    One public key -> ``kind="xpub"``; several -> ``kind="multisig"`` (``threshold`` required);
    a seed phrase -> ``kind="seed"`` only with ``allow_seed`` (hot wallets), else
    ``private_key_given``. ``script_type`` is needed only for a plain xpub/tpub that should not
    be legacy (p2pkh / p2sh); SLIP-132 keys (zpub, Vpub...) carry their type.
    """
    _net(network)
    if script_type is not None and script_type not in SINGLESIG_TYPES + MULTISIG_TYPES:
        raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE, f"Unsupported script type {script_type!r}.")
    text = text_or_keys if isinstance(text_or_keys, str) else " ".join(text_or_keys)
    _check_size(text)  # before any decoding: base58 decoding is quadratic in the length
    seed_kind = _seed_kind(text.strip()) if text.strip() else None
    if seed_kind is not None:
        if not allow_seed:
            raise _fail(InvalidKey.PRIVATE_KEY_GIVEN,
                        "This is a seed phrase (it controls the funds). Paste the extended public key "
                        "instead; never share the seed.")
        return _seed_descriptor(" ".join(text.split()), seed_kind, network, script_type, threshold)
    tokens = _split_keys(text_or_keys)
    if not tokens:
        raise _fail(InvalidKey.NOT_A_KEY, "No key given.")
    if len(tokens) > MAX_COSIGNERS:
        raise ValidationError(f"At most {MAX_COSIGNERS} cosigners are supported.", code="too_many_keys", field="keys")
    if any(len(t) > MAX_KEY_TOKEN_CHARS for t in tokens):
        raise _fail(InvalidKey.NOT_A_KEY, f"Not a wallet key: a key has at most {MAX_KEY_TOKEN_CHARS} characters.")
    keys = [_classify_token(t, network) for t in tokens]
    if len(keys) == 1:
        if threshold not in (None, 1):
            raise ValidationError("A single key cannot have a threshold above 1.",
                                  code="invalid_threshold", field="threshold")
        return _singlesig_descriptor(keys[0], network, script_type)
    return _multisig_descriptor(keys, network, script_type, threshold)


def _resolve_script_type(xtypes: set[str], requested: str | None, multisig: bool) -> str:
    allowed = MULTISIG_TYPES if multisig else SINGLESIG_TYPES
    what = "multisig" if multisig else "single-signature"
    if len(xtypes) != 1:
        raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE,
                    "The cosigner keys are of different script types; all must match.")
    (xtype,) = xtypes
    if xtype == "standard":
        stype = requested or ("p2sh" if multisig else "p2pkh")
    else:
        stype = xtype
        if requested is not None and requested != xtype:
            raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE,
                        f"The key's version says {xtype}, but {requested} was requested.")
    if stype not in allowed:
        raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE,
                    f"A {stype} key cannot be used for a {what} wallet.")
    return stype


def _reencode(key: _PublicKey, script_type: str, network: str) -> str:
    node = key.node._replace(xtype=_XTYPE_OF[script_type])
    xpub: str = node.to_xpub(net=_net(network))
    return xpub


def _singlesig_descriptor(key: _PublicKey, network: str, requested: str | None) -> WalletDescriptor:
    stype = _resolve_script_type({key.xtype}, requested, multisig=False)
    return WalletDescriptor(network=network, kind="xpub", keys=(_reencode(key, stype, network),),
                            threshold=None, script_type=stype)


def _multisig_descriptor(keys: list[_PublicKey], network: str, requested: str | None,
                         threshold: int | None) -> WalletDescriptor:
    n = len(keys)
    if threshold is None or not 1 <= threshold <= n:
        raise ValidationError(f"Choose how many of the {n} cosigners must sign (1 to {n}).",
                              code="invalid_threshold", field="threshold")
    stype = _resolve_script_type({k.xtype for k in keys}, requested, multisig=True)
    encoded = tuple(_reencode(k, stype, network) for k in keys)
    if len({DecodeBase58Check(k)[4:] for k in encoded}) != n:
        raise ValidationError("The same cosigner key was given twice.", code="duplicate_key", field="keys")
    return WalletDescriptor(network=network, kind="multisig", keys=encoded, threshold=threshold,
                            script_type=stype)


def _seed_descriptor(seed: str, seed_kind: str, network: str, requested: str | None,
                     threshold: int | None) -> WalletDescriptor:
    if threshold not in (None, 1):
        raise ValidationError("A seed wallet is single-signature.", code="invalid_threshold",
                              field="threshold")
    net = _net(network)
    if seed_kind == "bad-checksum":
        raise _fail(InvalidKey.NOT_A_KEY, "This seed phrase's checksum is wrong; check the words.")
    if seed_kind == "electrum-other":
        raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE,
                    "Old-style and 2FA Electrum seeds are not supported.")
    if seed_kind.startswith("electrum-"):
        stype = "p2pkh" if seed_kind == "electrum-standard" else "p2wpkh"
        if requested not in (None, stype):
            raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE,
                        f"This Electrum seed is for {stype} addresses, not {requested}.")
        path = "m/" if stype == "p2pkh" else "m/0'/"
        root = bip32.BIP32Node.from_rootseed(mnemonic.Mnemonic.mnemonic_to_seed(seed, ""),
                                             xtype=_XTYPE_OF[stype])
        derivation_path = None
    else:
        stype = requested or "p2wpkh"
        if stype not in _BIP39_PURPOSE:
            raise _fail(InvalidKey.UNSUPPORTED_SCRIPT_TYPE, f"A seed cannot make a {stype} wallet.")
        path = f"m/{_BIP39_PURPOSE[stype]}'/{net.BIP44_COIN_TYPE}'/0'"
        root = bip32.BIP32Node.from_rootseed(keystore.bip39_to_seed(seed, ""), xtype=_XTYPE_OF[stype])
        derivation_path = path
    account = root.subkey_at_private_derivation(path).convert_to_public().to_xpub(net=net)
    return WalletDescriptor(network=network, kind="seed", keys=(seed,), threshold=None,
                            script_type=stype, watch_keys=(account,), derivation=derivation_path)


# -- derivation --------------------------------------------------------------------------------

_chain_cache: dict[tuple[str, str, int], tuple[bytes, bytes]] = {}
_address_cache: dict[tuple[str, str, int, int], str] = {}
_ADDRESS_CACHE_MAX = 200_000


def _chain_node(network: str, xpub: str, change: int) -> tuple[bytes, bytes]:
    key = (network, xpub, change)
    node = _chain_cache.get(key)
    if node is None:
        parent = bip32.BIP32Node.from_xkey(xpub, net=_net(network))
        node = derivation.ckd_pub(parent.eckey.get_public_key_bytes(compressed=True),
                                  parent.chaincode, change)
        _chain_cache[key] = node
    return node


def _child_pubkey(network: str, xpub: str, change: int, index: int) -> bytes:
    pubkey, chaincode = _chain_node(network, xpub, change)
    return derivation.ckd_pub(pubkey, chaincode, index)[0]


def derive_address(desc: WalletDescriptor, index: int, *, change: bool = False) -> str:
    """Address ``index`` of the receive (or change) chain: ``<account>/{0|1}/index``."""
    if not 0 <= index < 0x80000000:
        raise ValueError(f"address index out of range: {index}")
    cache_key = (desc.network, desc.fingerprint, int(change), index)
    address = _address_cache.get(cache_key)
    if address is not None:
        return address
    net = _net(desc.network)
    if desc.kind == "multisig":
        pubkeys = [_child_pubkey(desc.network, k, int(change), index) for k in desc.watch_keys]
        address = derivation.multisig_address(desc.script_type, pubkeys, desc.threshold or 1, net)
    else:
        pubkey = _child_pubkey(desc.network, desc.watch_keys[0], int(change), index)
        address = derivation.singlesig_address(desc.script_type, pubkey, net)
    if len(_address_cache) >= _ADDRESS_CACHE_MAX:
        _address_cache.clear()
    _address_cache[cache_key] = address
    return address


def derive_addresses(desc: WalletDescriptor, start: int, count: int, *, change: bool = False) -> list[str]:
    return [derive_address(desc, i, change=change) for i in range(start, start + count)]
