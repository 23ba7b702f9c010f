"""Offscreen: the whole first day through the real window (wizard, invoice, live payment)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import run
from tests.ui.scenario import run_first_day

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_first_day_offscreen(gui, qloop, artifacts):
    result = run(qloop, run_first_day(gui, artifacts), 120)
    assert "checksum" in result["bad_key_message"]
    assert result["preview"][0].startswith("bcrt1q")
    assert result["row_status_text"].startswith("Paid")
    assert any(title == "Payment received" and result["invoice_id"] in msg for title, msg in result["notifications"])
    assert result["detail_payments"] == 1
    assert "$12.50" in result["dashboard_today"]
    services = gui.runtime.services  # the wizard wrote one wallet and one store, linked
    (wallet,) = run(qloop, services.wallets.list())
    (store,) = run(qloop, services.stores.list())
    assert store.id == result["store_id"] and store.wallet_ids == (wallet.id,) and store.name == "Corner Shop"
