"""What an invoice listing asks for: one filter shared by the service's SQL query and the
front ends' client-side check of newly created invoices (same rules in both)."""

from __future__ import annotations

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
            text = self.text.strip()
            low = text.lower()
            if not (invoice.id == text or invoice.address == text
                    or low in (invoice.order_id or "").lower() or low in invoice.description.lower()
                    or low in (invoice.buyer_email or "").lower()):
                return False
        return True
