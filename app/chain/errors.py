"""Errors app/chain raises. Electrum's exceptions are translated here, never passed on."""

from __future__ import annotations

from app.core.errors import AppError, Conflict, UserFacingError


class ChainError(AppError):
    """Something went wrong talking to Electrum (not the merchant's fault)."""


class ChainNotRunning(ChainError):
    """The watcher is not started (or already stopped)."""


class WalletNotOpen(ChainError):
    """``open_wallet`` was not called for this wallet id."""


class WalletFileError(UserFacingError):
    code = "wallet_file_error"
    http_status = 500


class WalletMismatch(Conflict):
    """The wallet file on disk belongs to other keys than the descriptor given."""

    code = "wallet_mismatch"


class WrongPassword(UserFacingError):
    code = "wrong_password"
    http_status = 403


class BroadcastFailed(UserFacingError):
    """The server refused the transaction; the message is Electrum's sanitised one."""

    code = "broadcast_failed"
    http_status = 502


class NotConnected(UserFacingError):
    code = "not_connected"
    http_status = 503


class CannotPay(UserFacingError):
    """Not enough funds, or the wallet cannot sign (watch-only)."""

    code = "cannot_pay"
    http_status = 409


class LightningError(UserFacingError):
    """A Lightning operation was refused; ``code`` says why (docs/lightning.md "Errors"):
    lightning_off, lightning_needs_p2wpkh_hot, not_enough_inbound, invalid_node_uri, peer_unreachable,
    not_enough_funds, channel_not_found, invalid_bolt11, payment_failed, amount_too_large."""

    code = "lightning_error"
    http_status = 409

