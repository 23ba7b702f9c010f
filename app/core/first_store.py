"""What the first-run set-up creates (wallet, manual rate, store), as plain values, and the rule for
the manual exchange rate it stores. The wizard fills ``FirstStore``; app/services/onboarding.py writes it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.core.currencies import is_fiat
from app.core.errors import ValidationError

MAX_RATE = Decimal("1E12")


@dataclass(frozen=True)
class FirstStore:
    """What the wizard collected. ``wallet_id`` reuses a wallet already added (then the keys are ignored)."""

    store_name: str
    currency: str = "USD"
    rate: Decimal | str | None = None  # fiat per 1 BTC; None keeps the manual rate already stored
    speed_policy: int = 1
    expiry_s: int = 900
    wallet_name: str = "Shop wallet"
    wallet_keys: str = ""
    wallet_id: str | None = None


def manual_rate(currency: str, rate: Decimal | str | None) -> Decimal | None:
    """The manual rate to store for ``currency`` (None: none given, or a bitcoin unit); field ``rate``."""
    if not is_fiat(currency) or rate is None or str(rate).strip() == "":
        return None
    try:
        value = Decimal(str(rate).strip())
    except InvalidOperation:
        value = Decimal(0)
    if isinstance(rate, float) or not value.is_finite() or not 0 < value < MAX_RATE:
        raise ValidationError(f"The rate must be a positive number of {currency} per 1 BTC, below {MAX_RATE:,f}.",
                              code="invalid_rate", field="rate")
    return value
