"""Invoices anyone can create without a key (the ready store's checkout, keyless API calls): the rules.

Every such invoice takes a fresh address that is never reused, and a wallet restored elsewhere stops
scanning after ``gap_limit`` unused addresses in a row; so a shop page open to the world must not
hand out addresses without bound. The rules:

- A store takes public invoices when its ``checkout.anyone_can_create_invoice`` says so; without
  that setting, only when it has a catalogue (at least one product on sale: the ready store).
- At most ``checkout.public_invoice_budget`` (default ``DEFAULT_BUDGET``) public invoices may be open
  and unpaid at once; beyond it creation is refused. The budget refills as they expire or get paid.
- The merchant hears about it once per crossing (an outbox event ``BUDGET_REACHED``), again only after
  the count fell below the budget and reached it once more.

Pure: the services count the open invoices and keep the "already told" mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.errors import UserFacingError, ValidationError

SETTING = "anyone_can_create_invoice"
BUDGET_SETTING = "public_invoice_budget"
DEFAULT_BUDGET = 50
MAX_BUDGET = 10_000
BUDGET_REACHED = "store.public_budget_reached"  # outbox event type
STORE_BURST = 20  # public invoices per store at once, then STORE_PER_MINUTE (every client together)
STORE_PER_MINUTE = 20.0


class PublicInvoicesOff(UserFacingError):
    """The store does not take invoices from people without a key."""

    code = "public_invoices_off"
    http_status = 403


class PublicBudgetReached(UserFacingError):
    """Too many public invoices of this store are open and unpaid; ``retry_after_s``: until the next one expires."""

    code = "public_invoice_budget"
    http_status = 429

    def __init__(self, message: str, *, budget: int, open_count: int, retry_after_s: int = 60) -> None:
        super().__init__(message)
        self.budget = budget
        self.open_count = open_count
        self.retry_after_s = retry_after_s  # the service sets it from the next expiry


def allows_public(checkout: Mapping[str, Any], *, has_catalogue: bool) -> bool:
    """Does the store take invoices from anyone? Its setting when set, else: only with a catalogue."""
    setting = checkout.get(SETTING)
    return setting if isinstance(setting, bool) else has_catalogue


def budget_of(checkout: Mapping[str, Any]) -> int:
    value = checkout.get(BUDGET_SETTING)
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_BUDGET \
        else DEFAULT_BUDGET


def check_budget(open_count: int, budget: int) -> None:
    """PublicBudgetReached when one more public invoice would pass ``budget``."""
    if open_count >= budget:
        raise PublicBudgetReached(
            f"This store already has {open_count} unpaid invoices from its public page open (the limit is "
            f"{budget}). New ones can be created as those expire or are paid.",
            budget=budget, open_count=open_count)


def clean_public_options(checkout: dict[str, Any]) -> dict[str, Any]:
    """A store's checkout options with the public-invoice settings checked (the window and the API)."""
    if SETTING in checkout and not isinstance(checkout[SETTING], bool):
        raise ValidationError("'anyone_can_create_invoice' must be true or false.",
                              code="invalid_anyone_can_create_invoice", field=SETTING)
    if BUDGET_SETTING in checkout:
        value = checkout[BUDGET_SETTING]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BUDGET:
            raise ValidationError(f"Open public invoices at most must be a whole number from 1 to {MAX_BUDGET}.",
                                  code="invalid_public_invoice_budget", field=BUDGET_SETTING)
    return checkout


@dataclass(frozen=True)
class BudgetReached:
    """The payload of the ``BUDGET_REACHED`` outbox event."""

    store_id: str
    budget: int
    open_count: int

    type = BUDGET_REACHED

    def to_payload(self) -> dict[str, object]:
        return {"type": self.type, "store_id": self.store_id, "budget": self.budget, "open_count": self.open_count}


def alert_text(store_name: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of the merchant's notification."""
    budget = payload.get("budget", DEFAULT_BUDGET)
    return (f"{store_name}: the shop page is turning shoppers away",
            f"{budget} invoices created from the public shop page of {store_name} are open and unpaid, the limit "
            f"you set. New shoppers see “This shop is busy” until some of them expire or are paid. If these are "
            f"real orders, raise “Open public invoices at most” in Stores; if not, someone may be creating "
            f"invoices to use up addresses, and the limit is protecting your wallet.")

