"""The daemon's error spec (GET /spec) and the codes its errors carry.

Codes and exception names follow Bitcart's ``daemons/spec/btc.json`` (-32601, -32000..-32012) plus the
JSON-RPC parse error, Bitcart's "Unauthorized" (-32600, the SDK's built-in fallback) and three codes of
ours: -32013 for what this daemon does not do, -32014 for invalid parameters, -32015 for a request
past one of the daemon's bounds (docs/daemon.md, "Limits"). Clients build typed
exceptions from ``exceptions`` (``bitcart.errors.<exc_name>``).
"""

from __future__ import annotations

SPEC_VERSION = "0.0.1"

PARSE_ERROR = -32700
UNAUTHORIZED = -32600  # also malformed (non-object) requests, as in Bitcart's first daemons
PROCEDURE_NOT_FOUND = -32601
INTERNAL_ERROR = -32603  # deliberately not in the spec: SDKs raise UnknownError, as with Bitcart
WALLET_NOT_LOADED = -32000
INVALID_TX_HASH = -32001
TX_NOT_FOUND = -32002
REQUEST_NOT_FOUND = -32003
INVALID_ADDRESS = -32004
LOADING_WALLET = -32005
NOT_ENOUGH_FUNDS = -32006
INVALID_NODE_ID = -32007
WALLET_EXISTS = -32008
INVALID_LN_INVOICE = -32009
NO_PATH_FOUND = -32010
LIGHTNING_UNSUPPORTED = -32011
INVOICE_NOT_FOUND = -32012
NOT_SUPPORTED = -32013
INVALID_PARAMS = -32014
LIMIT_EXCEEDED = -32015  # body over 1 MiB, JSON nested too deep, a number or key too large
STORAGE_FULL = -32016  # the disk is full or failing: nothing was saved (HTTP APIs: 507 storage_full)

_EXCEPTIONS: dict[int, tuple[str, str]] = {
    PARSE_ERROR: ("ParseError", "Invalid JSON was received"),
    UNAUTHORIZED: ("UnauthorizedError", "Unauthorized"),
    PROCEDURE_NOT_FOUND: ("ProcedureNotFoundError", "Procedure not found"),
    WALLET_NOT_LOADED: ("WalletNotLoadedError", "Wallet not loaded. No xpub was provided and this function requires wallet"),
    INVALID_TX_HASH: ("InvalidTxHashError", "Invalid tx hash provided"),
    TX_NOT_FOUND: ("TxNotFoundError", "No such mempool or blockchain transaction"),
    REQUEST_NOT_FOUND: ("RequestNotFoundError", "Payment request not found"),
    INVALID_ADDRESS: ("InvalidAddressError", "Invalid address or alias"),
    LOADING_WALLET: ("LoadingWalletError", "Error loading wallet: seed or key not recognized"),
    NOT_ENOUGH_FUNDS: ("NotEnoughFundsError", "Insufficient funds"),
    INVALID_NODE_ID: ("InvalidNodeIDError", "Invalid node ID"),
    WALLET_EXISTS: ("WalletExistsError", "This wallet already exists"),
    INVALID_LN_INVOICE: ("InvalidLightningInvoiceError", "Invalid lightning invoice"),
    NO_PATH_FOUND: ("NoPathFoundError", "No path found to pay the invoice"),
    LIGHTNING_UNSUPPORTED: ("LightningUnsupportedError", "Lightning not supported in this wallet type"),
    INVOICE_NOT_FOUND: ("InvoiceNotFoundError", "Invoice not found"),
    NOT_SUPPORTED: ("NotSupportedError", "Not supported by the RedWaves daemon (e.g. signing for watch-only wallets)"),
    INVALID_PARAMS: ("InvalidParamsError", "Invalid parameters: an argument is missing or wrong (amount must be a "
                                           "BTC amount of at least 1 satoshi and at most 21 million bitcoin, rounded "
                                           "down to whole satoshis as Electrum does; expiry a number of seconds). "
                                           "The JSON-RPC error's message and data.field name the argument"),
    LIMIT_EXCEEDED: ("LimitExceededError", "The request is larger than this daemon accepts (body size, JSON "
                                           "nesting, number size or key length)"),
    STORAGE_FULL: ("StorageFullError", "The disk holding RedWaves' data is full or failing, so nothing was saved; "
                                       "retry once the merchant has freed space"),
}

# The messages this daemon puts in errors, by code (Bitcart's electrum_map is message -> code).
_MESSAGES: dict[str, int] = {
    "Wallet not loaded": WALLET_NOT_LOADED,
    "should be a transaction hash": INVALID_TX_HASH,
    "No such mempool or blockchain transaction.": TX_NOT_FOUND,
    "Request not found": REQUEST_NOT_FOUND,
    "Invalid Bitcoin address": INVALID_ADDRESS,
    "Insufficient funds": NOT_ENOUGH_FUNDS,
    "Lightning not supported in this wallet type": LIGHTNING_UNSUPPORTED,
    "Invoice not found": INVOICE_NOT_FOUND,
}


def build_spec(*, lightning: bool = False) -> dict[str, object]:
    """``lightning``: RedWaves' Lightning node runs (the SDK's Lightning methods check this capability)."""
    return {
        "version": SPEC_VERSION,
        "electrum_map": dict(_MESSAGES),
        "exceptions": {str(code): {"exc_name": name, "docstring": doc} for code, (name, doc) in _EXCEPTIONS.items()},
        "capabilities": {"lightning": lightning},
    }
