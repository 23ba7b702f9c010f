"""Errors raised by the devnet; each carries a stable machine-readable code."""


class DevnetError(Exception):
    """An expected failure of a devnet operation (bad argument, impossible scenario)."""

    code = "devnet_error"


class NotFound(DevnetError):
    """A transaction, block or height that the devnet does not know."""

    code = "not_found"


class TxRejected(DevnetError):
    """A transaction refused by mempool policy or consensus rules.

    ``reason`` is worded like bitcoind's reject reason (e.g. ``txn-mempool-conflict``).
    """

    code = "tx_rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
