"""Domain errors. UserFacingError messages are safe to show; edges translate them (HTTP, dialogs)."""

from __future__ import annotations


class AppError(Exception):
    """Expected, domain-level failure."""


class UserFacingError(AppError):
    """str(e) is safe to show a merchant or shopper.

    ``code`` is a stable machine-readable string (API clients match on it, never on the message);
    ``field`` names the offending input when there is one; ``http_status`` is a hint for the server edge.
    """

    code: str = "invalid_input"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, field={self.field!r})"


class NotFound(UserFacingError):
    code = "not_found"
    http_status = 404


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class StoreNotFound(NotFound):
    code = "store_not_found"


class WalletNotFound(NotFound):
    code = "wallet_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class ValidationError(UserFacingError):
    code = "validation_error"
    http_status = 422


class Conflict(UserFacingError):
    code = "conflict"
    http_status = 409


class InvalidAmount(ValidationError):
    code = "invalid_amount"


class UnknownCurrency(ValidationError):
    code = "unknown_currency"


class RateUnavailable(UserFacingError):
    code = "rate_unavailable"
    http_status = 503


class StoreHasNoWallet(Conflict):
    code = "store_has_no_wallet"


class InvalidKey(ValidationError):
    """A wallet key (xpub/descriptor) was rejected; ``code`` says why."""

    NOT_A_KEY = "not_a_key"
    PRIVATE_KEY_GIVEN = "private_key_given"
    WRONG_NETWORK = "wrong_network"
    UNSUPPORTED_SCRIPT_TYPE = "unsupported_script_type"
    CODES = frozenset({NOT_A_KEY, PRIVATE_KEY_GIVEN, WRONG_NETWORK, UNSUPPORTED_SCRIPT_TYPE})

    code = NOT_A_KEY


class InvalidTransition(Conflict):
    """A status change the invoice rules forbid, e.g. marking an already-final invoice."""

    code = "invalid_transition"
