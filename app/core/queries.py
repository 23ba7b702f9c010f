"""What an invoice listing asks for: one filter shared by the service's SQL query and the
front ends' client-side check of newly created invoices (same rules in both)."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.core.records import Invoice


@dataclass(frozen=True)
class InvoiceFilter:
    store_id: str | None = None
    store_ids: Sequence[str] | None = None
    status: Sequence[str] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    order_id: str | None = None

    def matches(self, invoice: Invoice) -> bool:
        """Client-side check for a newly created invoice (the same rules as the service's SQL)."""
        if self.store_id and invoice.store_id != self.store_id:
            return False
        if self.store_ids is not None and invoice.store_id not in self.store_ids:
            return False
        if self.status and str(invoice.status) not in {str(s) for s in self.status}:
            return False
        if self.created_from and invoice.created_at < self.created_from:
            return False
        if self.created_to and invoice.created_at >= self.created_to:
            return False
        if self.order_id and invoice.order_id != self.order_id:
            return False
        if self.text:
            return text_matches(self.text, invoice)
        return True


# The text search (``InvoiceFilter.text``), the same rules here and in the service's SQL
# (app/services/invoicing/listing.py): the invoice id or address exactly, or, case-insensitively for
# ASCII letters (as SQLite's LIKE), a term of MIN_TERM characters or more anywhere in the order id,
# description or buyer e-mail (every character literal: % _ * " are not wildcards), a shorter term as
# the whole order id (a shorter term has no trigram to look up: see docs/invoices.md).
MIN_TERM = 3
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(value: str) -> str:
    """ASCII letters to lower case, nothing else (SQLite's LIKE and ``=`` on case variants)."""
    return value.translate(_ASCII_LOWER)


def search_term(text: str) -> str:
    return text.strip()


def case_variants(term: str) -> list[str]:
    """Every spelling of a short term that ``fold`` makes equal (at most 2 ** len(term))."""
    spellings = [""]
    for char in term:
        options = {char.lower(), char.upper()} if char in string.ascii_letters else {char}
        spellings = [s + o for s in spellings for o in sorted(options)]
    return spellings


def text_matches(text: str, invoice: Invoice) -> bool:
    term = search_term(text)
    if not term or invoice.id == term or invoice.address == term:
        return True
    low = fold(term)
    if len(term) < MIN_TERM:
        return fold(invoice.order_id or "") == low
    return (low in fold(invoice.order_id or "") or low in fold(invoice.description)
            or low in fold(invoice.buyer_email or ""))
