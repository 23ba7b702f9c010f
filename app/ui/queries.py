"""The invoice list's query: the shared filter from app.core (same rules as the service's SQL)."""

from app.core.queries import InvoiceFilter as InvoiceQuery

__all__ = ["InvoiceQuery"]
