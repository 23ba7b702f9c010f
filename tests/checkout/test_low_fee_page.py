"""The checkout page warns about a low-fee unconfirmed payment (fee measured through the chain port)."""

from app.chain.models import TxFee
from tests.checkout.conftest import pay_fake, wait_for, wait_status


async def test_low_fee_payment_shows_the_warning_until_confirmed(client, services, shop):
    services.fake_chain.estimates = {2: 50_000}  # 50 sat/vB
    services.fake_chain.fees = {"aa" * 32: TxFee(fee_sat=141, vsize=141)}  # 1 sat/vB
    pay_fake(services, shop.invoice, shop.invoice.amount_due_sat)
    invoice = await wait_status(services, shop.invoice.id, "paid")
    assert invoice.payments[0].fee is not None and invoice.payments[0].fee.low
    html = await (await client.get(f"/i/{shop.invoice.id}")).text()
    assert 'id="low-fee"' in html and "Low fee: confirmation may take long." in html
    services.fake_chain.outputs.clear()
    pay_fake(services, shop.invoice, shop.invoice.amount_due_sat, height=190)  # now mined
    await wait_for(lambda: _confirmed(services, shop.invoice.id))
    assert 'id="low-fee"' not in await (await client.get(f"/i/{shop.invoice.id}")).text()


async def _confirmed(services, invoice_id):
    return (await services.invoices.get(invoice_id)).payments[0].confirmations > 0
