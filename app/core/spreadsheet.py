"""CSV cells a spreadsheet opens safely: text that it would run as a formula gets a leading quote.

Only for text someone else typed (order ids, descriptions, e-mails): our own ids and numbers stay
as they are (an invoice id may start with "-"; it cannot hold a formula: URL-safe characters only)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = frozenset({"order_id", "description", "buyer_email"})


def safe_cell(value: object) -> str:
    """``value`` as CSV text; ``=HYPERLINK(...)`` in a description becomes ``'=HYPERLINK(...)``."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_cell(column: str, value: object) -> str:
    """``value`` of ``column`` as CSV text: quoted against formulas when the column holds typed text."""
    return safe_cell(value) if column in TEXT_COLUMNS else ("" if value is None else str(value))
