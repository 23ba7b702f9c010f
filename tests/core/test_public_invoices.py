"""The rules for invoices created without a key: the store's switch, the budget, the settings' checks."""

import pytest

from app.core.errors import ValidationError
from app.core.public_invoices import (
    BUDGET_REACHED,
    DEFAULT_BUDGET,
    PublicBudgetReached,
    allows_public,
    budget_of,
    check_budget,
    clean_public_options,
)
from app.services.delivery.notification_rules import channels_for, triggers


def test_the_setting_wins_and_without_it_the_catalogue_decides():
    assert allows_public({}, has_catalogue=True) is True
    assert allows_public({}, has_catalogue=False) is False
    assert allows_public({"anyone_can_create_invoice": False}, has_catalogue=True) is False
    assert allows_public({"anyone_can_create_invoice": True}, has_catalogue=False) is True
    assert allows_public({"anyone_can_create_invoice": "yes"}, has_catalogue=False) is False  # never truthy strings


def test_budget_default_and_refusal():
    assert budget_of({}) == DEFAULT_BUDGET == 50
    assert budget_of({"public_invoice_budget": 3}) == 3
    assert budget_of({"public_invoice_budget": True}) == DEFAULT_BUDGET
    check_budget(2, 3)
    with pytest.raises(PublicBudgetReached) as refused:
        check_budget(3, 3)
    assert refused.value.code == "public_invoice_budget" and refused.value.http_status == 429
    assert refused.value.open_count == 3 and refused.value.budget == 3


@pytest.mark.parametrize("options", [{"public_invoice_budget": 0}, {"public_invoice_budget": 10_001},
                                     {"public_invoice_budget": "5"}, {"public_invoice_budget": True},
                                     {"anyone_can_create_invoice": "true"}])
def test_bad_settings_are_refused_with_their_field(options):
    with pytest.raises(ValidationError) as refused:
        clean_public_options(dict(options))
    assert refused.value.field == next(iter(options))


def test_the_budget_alert_reaches_tray_and_email_whatever_the_rules():
    assert triggers(BUDGET_REACHED, {}) == [BUDGET_REACHED]
    assert channels_for({"rules": []}, [BUDGET_REACHED]) == ["tray", "email"]
    assert channels_for({"rules": []}, ["invoice.paid"]) == []
