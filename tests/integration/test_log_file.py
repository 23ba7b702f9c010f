"""The log file tells the day's story: start-up, an invoice, its payment, the stop; and no xpub or
buyer e-mail ever reaches it (real Runtime on the devnet, real Electrum, logging as `redwaves` sets it)."""

from __future__ import annotations

import logging

import pytest

from app.core.statuses import InvoiceStatus
from app.logs import configure_logging
from tests.conftest import TEST_VPUB
from tests.integration.helpers import make_store, wait_status, wait_synced

pytestmark = pytest.mark.slow

BUYER = "alice.buyer@example.com"


async def test_start_invoice_payment_and_stop_reach_the_file_redacted(tmp_path):
    from app.config import load_settings
    from app.runtime import Runtime

    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "devnet": True,
                                  "private_port": 0, "public_enabled": False})
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging(settings.log_dir, "warning", console=False)
    runtime = Runtime(settings)
    try:
        await runtime.start()
        services = runtime.services
        assert services is not None
        await wait_synced(runtime)
        store = await make_store(services)  # adds the wallet from TEST_VPUB
        invoice = await services.invoices.create(store.id, price="12.50", buyer_email=BUYER)
        logging.getLogger("tests").info("buyer %s asked for a receipt (key %s)", BUYER, TEST_VPUB)
        assert runtime.devnet is not None
        await runtime.devnet.pay(invoice.address, invoice.amount_due_sat)
        await wait_status(services, invoice.id, InvoiceStatus.PAID)
    finally:
        await runtime.stop()
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
    log = (settings.log_dir / "redwaves.log").read_text()
    assert "started: " in log and "database ready" in log
    assert f"invoice {invoice.id} created for store {store.id}: 12.50 USD" in log
    assert f"invoice {invoice.id}: payment.received" in log  # the engine's line for the payment
    assert "stopped " in log
    assert BUYER not in log and TEST_VPUB not in log and TEST_VPUB[:40] not in log
    assert "buyer a***@example.com asked for a receipt (key vpub5Y6cjg…)" in log  # the redacted forms
