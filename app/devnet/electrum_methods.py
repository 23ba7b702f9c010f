"""Electrum protocol 1.4 methods over the ledger (everything Electrum 4.3.4 calls, and a bit more)."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from app.devnet.blocks import GENESIS_HASH
from app.devnet.errors import TxRejected
from app.devnet.hashes import hash_to_hex, merkle_branch, merkle_root, sha256d
from app.devnet.jsonrpc import BAD_REQUEST, INVALID_PARAMS, METHOD_NOT_FOUND, RPCError
from app.devnet.ledger import HistoryItem, Ledger
from app.devnet.mempool import MIN_RELAY_FEE_SAT_PER_KVB

if TYPE_CHECKING:
    from app.devnet.electrum_server import Session

logger = logging.getLogger(__name__)

SERVER_VERSION = "RedWaves devnet 0.1"
PROTOCOL_VERSION = "1.4"
MAX_HEADERS = 2016
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_SAT_PER_BTC = Decimal(100_000_000)


class Backend(Protocol):
    """What the methods need from the devnet besides the ledger."""

    fee_rate_sat_vb: int

    def broadcast(self, raw_hex: str) -> str: ...


class ElectrumMethods:
    def __init__(self, ledger: Ledger, backend: Backend) -> None:
        self._ledger = ledger
        self._backend = backend
        self._table: dict[str, Callable[..., object]] = {
            name.removeprefix("m_").replace("__", ".", 1).replace("__", "."): getattr(self, name)
            for name in dir(self) if name.startswith("m_")
        }

    def call(self, session: Session, method: str, params: list[object] | dict[str, object]) -> object:
        handler = self._table.get(method)
        if handler is None:
            raise RPCError(METHOD_NOT_FOUND, f"unknown method {method!r}")
        try:
            if isinstance(params, dict):
                bound = inspect.signature(handler).bind(session, **params)
            else:
                bound = inspect.signature(handler).bind(session, *params)
        except TypeError as exc:
            raise RPCError(INVALID_PARAMS, f"invalid parameters for {method}: {exc}") from None
        return handler(*bound.args, **bound.kwargs)

    # -- server.* ---------------------------------------------------------------------------

    def m_server__version(self, session: Session, client_name: str = "", protocol_version: object = "1.4") -> list[str]:
        versions = protocol_version if isinstance(protocol_version, list) else [protocol_version]
        if not all(isinstance(v, str) for v in versions) or not 1 <= len(versions) <= 2:
            raise RPCError(INVALID_PARAMS, "invalid protocol version")
        low, high = versions[0], versions[-1]
        if not _version_tuple(str(low)) <= (1, 4) <= _version_tuple(str(high)):
            raise RPCError(BAD_REQUEST, f"unsupported protocol version: {protocol_version}")
        session.client_name = str(client_name)[:64]
        return [SERVER_VERSION, PROTOCOL_VERSION]

    def m_server__banner(self, session: Session) -> str:
        return "RedWaves devnet: a local regtest chain. Coins here are worthless."

    def m_server__ping(self, session: Session) -> None:
        return None

    def m_server__peers__subscribe(self, session: Session) -> list[object]:
        return []

    def m_server__donation_address(self, session: Session) -> str:
        return ""

    def m_server__add_peer(self, session: Session, features: object = None) -> bool:
        return False

    def m_server__features(self, session: Session) -> dict[str, object]:
        return {"genesis_hash": GENESIS_HASH, "hosts": {}, "protocol_max": PROTOCOL_VERSION,
                "protocol_min": PROTOCOL_VERSION, "pruning": None, "server_version": SERVER_VERSION,
                "hash_function": "sha256", "services": []}

    # -- headers ----------------------------------------------------------------------------

    def m_blockchain__headers__subscribe(self, session: Session) -> dict[str, object]:
        session.headers_subscribed = True
        return self.tip_header()

    def tip_header(self) -> dict[str, object]:
        tip = self._ledger.chain.tip
        return {"hex": tip.raw_header.hex(), "height": tip.height}

    def m_blockchain__block__header(self, session: Session, height: object, cp_height: object = 0) -> object:
        height, cp_height = _int(height, "height"), _int(cp_height, "cp_height")
        header = self._header(height).hex()
        if not cp_height:
            return header
        return {"header": header, **self._checkpoint_proof(height, cp_height)}

    def m_blockchain__block__headers(self, session: Session, start_height: object, count: object,
                                     cp_height: object = 0) -> dict[str, object]:
        start, count, cp_height = (_int(start_height, "start_height"), _int(count, "count"),
                                   _int(cp_height, "cp_height"))
        chain = self._ledger.chain
        count = max(0, min(count, MAX_HEADERS, chain.height - start + 1))
        blob = b"".join(chain.blocks[h].raw_header for h in range(start, start + count))
        answer: dict[str, object] = {"count": count, "hex": blob.hex(), "max": MAX_HEADERS}
        if count and cp_height:
            answer.update(self._checkpoint_proof(start + count - 1, cp_height))
        return answer

    def _header(self, height: int) -> bytes:
        chain = self._ledger.chain
        if height > chain.height:
            raise RPCError(BAD_REQUEST, f"height {height:,d} out of range")
        return chain.blocks[height].raw_header

    def _checkpoint_proof(self, height: int, cp_height: int) -> dict[str, object]:
        chain = self._ledger.chain
        if not height <= cp_height <= chain.height:
            raise RPCError(BAD_REQUEST, f"header height {height:,d} must be <= cp_height {cp_height:,d} "
                                        f"which must be <= chain height {chain.height:,d}")
        leaves = [sha256d(chain.blocks[h].raw_header) for h in range(cp_height + 1)]
        return {"branch": [hash_to_hex(h) for h in merkle_branch(leaves, height)],
                "root": hash_to_hex(merkle_root(leaves))}

    # -- fees -------------------------------------------------------------------------------

    def m_blockchain__estimatefee(self, session: Session, number: object, mode: object = None) -> float:
        _int(number, "number")
        return _btc_per_kvb(self._backend.fee_rate_sat_vb * 1000)

    def m_blockchain__relayfee(self, session: Session) -> float:
        return _btc_per_kvb(MIN_RELAY_FEE_SAT_PER_KVB)

    def m_mempool__get_fee_histogram(self, session: Session) -> list[list[int]]:
        return [[rate, vsize] for rate, vsize in self._ledger.fee_histogram()]

    # -- scripthashes -----------------------------------------------------------------------

    def m_blockchain__scripthash__subscribe(self, session: Session, scripthash: object) -> str | None:
        sh = _hash(scripthash, "scripthash")
        status = self._ledger.status(sh)
        session.subscribe(sh, status)
        return status

    def m_blockchain__scripthash__unsubscribe(self, session: Session, scripthash: object) -> bool:
        return session.unsubscribe(_hash(scripthash, "scripthash"))

    def m_blockchain__scripthash__get_history(self, session: Session, scripthash: object) -> list[dict[str, object]]:
        return [_history_item(item) for item in self._ledger.history(_hash(scripthash, "scripthash"))]

    def m_blockchain__scripthash__get_mempool(self, session: Session, scripthash: object) -> list[dict[str, object]]:
        return [_history_item(item) for item in self._ledger.mempool_history(_hash(scripthash, "scripthash"))]

    def m_blockchain__scripthash__get_balance(self, session: Session, scripthash: object) -> dict[str, int]:
        confirmed, unconfirmed = self._ledger.balance(_hash(scripthash, "scripthash"))
        return {"confirmed": confirmed, "unconfirmed": unconfirmed}

    def m_blockchain__scripthash__listunspent(self, session: Session, scripthash: object) -> list[dict[str, object]]:
        return [{"tx_hash": u.txid, "tx_pos": u.vout, "height": u.height, "value": u.value_sat}
                for u in self._ledger.unspent(_hash(scripthash, "scripthash"))]

    # -- transactions -----------------------------------------------------------------------

    def m_blockchain__transaction__get(self, session: Session, tx_hash: object, verbose: object = False) -> object:
        txid = _hash(tx_hash, "tx_hash").lower()
        tx = self._ledger.raw_tx(txid)
        if tx is None:
            raise RPCError(BAD_REQUEST, f"No such mempool or blockchain transaction. "
                                        f"Use gettransaction for wallet transactions. ({txid})")
        if not verbose:
            return tx.hex
        found = self._ledger.chain.find_tx(txid)
        answer: dict[str, object] = {"hex": tx.hex, "txid": tx.txid, "hash": tx.wtxid, "size": len(tx.raw),
                                  "vsize": tx.vsize, "weight": tx.weight}
        if found:
            answer.update(blockhash=found[0].hash, confirmations=self._ledger.chain.height - found[0].height + 1,
                          time=found[0].header.time, blocktime=found[0].header.time)
        return answer

    def m_blockchain__transaction__get_merkle(self, session: Session, tx_hash: object, height: object = None) -> dict[str, object]:
        txid = _hash(tx_hash, "tx_hash").lower()
        found = self._ledger.chain.find_tx(txid)
        if found is None or (height is not None and _int(height, "height") != found[0].height):
            raise RPCError(BAD_REQUEST, f"tx {txid} not in block at height {height}")
        block, pos = found
        return {"block_height": block.height, "pos": pos,
                "merkle": [hash_to_hex(h) for h in merkle_branch(block.txid_leaves, pos)]}

    def m_blockchain__transaction__id_from_pos(self, session: Session, height: object, tx_pos: object,
                                               merkle: object = False) -> object:
        height, pos = _int(height, "height"), _int(tx_pos, "tx_pos")
        chain = self._ledger.chain
        if height > chain.height or pos >= len(chain.blocks[height].txs):
            raise RPCError(BAD_REQUEST, f"no tx at position {pos:,d} in block at height {height:,d}")
        block = chain.blocks[height]
        txid = block.txs[pos].txid
        if not merkle:
            return txid
        return {"tx_hash": txid, "merkle": [hash_to_hex(h) for h in merkle_branch(block.txid_leaves, pos)]}

    def m_blockchain__transaction__broadcast(self, session: Session, raw_tx: object) -> str:
        if not isinstance(raw_tx, str):
            raise RPCError(INVALID_PARAMS, "raw_tx must be a hex string")
        try:
            return self._backend.broadcast(raw_tx)
        except TxRejected as exc:
            raise RPCError(BAD_REQUEST, f"the transaction was rejected by network rules.\n\n"
                                        f"{exc.reason}\n[{raw_tx[:200_000]}]") from None


def _history_item(item: HistoryItem) -> dict[str, object]:
    answer: dict[str, object] = {"tx_hash": item.txid, "height": item.height}
    if item.fee_sat is not None:
        answer["fee"] = item.fee_sat
    return answer


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RPCError(INVALID_PARAMS, f"{name} should be a non-negative integer: {value!r}")
    return value


def _hash(value: object, name: str) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise RPCError(INVALID_PARAMS, f"{name} should be a 64-character hex string: {value!r}")
    return value


def _version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        raise RPCError(INVALID_PARAMS, f"invalid protocol version: {text!r}") from None


def _btc_per_kvb(sat_per_kvb: int) -> float:
    """Protocol edge only: the Electrum protocol states fee rates as BTC/kvB numbers."""
    return float(Decimal(sat_per_kvb) / _SAT_PER_BTC)
