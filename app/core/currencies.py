"""Currencies a store may price in: ISO 4217 fiat with minor units, plus BTC and SAT (non-fiat)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from app.core.errors import UnknownCurrency


@dataclass(frozen=True)
class Currency:
    code: str
    minor_units: int  # decimal places of the smallest unit (ISO 4217 "minor unit")
    fiat: bool = True


_MINOR_UNITS: dict[str, int] = {
    # 2 decimals
    **dict.fromkeys(
        "USD EUR GBP CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF RUB UAH BRL MXN ARS INR CNY HKD SGD ZAR "
        "TRY ILS AED THB IDR PHP NGN KES RON BGN RSD GEL KZT TWD MYR PKR BDT LKR EGP MAD SAR QAR "
        "COP PEN UYU CRC GTQ DOP GHS TZS".split(),
        2,
    ),
    # 0 decimals
    **dict.fromkeys("JPY KRW CLP ISK VND UGX PYG XOF XAF".split(), 0),
    # 3 decimals
    **dict.fromkeys("KWD BHD JOD OMR TND".split(), 3),
}

CURRENCIES: MappingProxyType[str, Currency] = MappingProxyType(
    {code: Currency(code, units) for code, units in sorted(_MINOR_UNITS.items())}
    | {"BTC": Currency("BTC", 8, fiat=False), "SAT": Currency("SAT", 0, fiat=False)}
)


def normalize_currency(code: str) -> str:
    """``" usd "`` -> ``"USD"``; UnknownCurrency for anything not in the table."""
    normalized = code.strip().upper() if isinstance(code, str) else None
    if normalized not in CURRENCIES:
        raise UnknownCurrency(f"Unknown currency: {str(code)[:12]!r}", field="currency")
    return normalized


def currency(code: str) -> Currency:
    return CURRENCIES[normalize_currency(code)]


def fiat_minor_units(code: str) -> int:
    """Decimal places of ``code`` (2 for USD, 0 for JPY, 3 for KWD, 8 for BTC, 0 for SAT)."""
    return currency(code).minor_units


def is_fiat(code: str) -> bool:
    return currency(code).fiat
