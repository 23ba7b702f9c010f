"""Roles enforced in the services, with attribution and audit rows: invoices (create, mark, today,
sales per person with tips), refunds (cashier requests, manager approves), payouts, products, stores."""

from decimal import Decimal

import pytest

from app.core.errors import Conflict
from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from app.core.staff import SYSTEM, NotAllowed, Role
from app.core.statuses import InvoiceStatus


async def _shop(services):
    from tests.conftest import TEST_VPUB

    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    a = await services.stores.create("North", default_currency="USD", wallet_ids=[wallet.id])
    b = await services.stores.create("South", default_currency="USD", wallet_ids=[wallet.id])
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    staff = services.staff
    manager = staff.actor_of(await staff.add("Mia", "manager", "2345", store_ids=[a.id]))
    carl_p = await staff.add("Carl", "cashier", "3456", store_ids=[a.id])
    cleo_p = await staff.add("Cleo", "cashier", "4567", store_ids=[a.id])
    t1, _ = await services.terminals.add("Till 1", a.id, [carl_p.id])
    t2, _ = await services.terminals.add("Till 2", a.id, [cleo_p.id])
    carl = staff.actor_of(carl_p, terminal_id=t1.id)
    cleo = staff.actor_of(cleo_p, terminal_id=t2.id)
    return a, b, manager, carl, cleo, t1, t2


async def test_cashier_sells_only_in_own_store_and_is_attributed(services):
    a, b, manager, carl, cleo, t1, t2 = await _shop(services)
    invoice = await services.invoices.create(a.id, price="10.00", tip=Decimal("1.50"), actor=carl)
    assert (invoice.created_by, invoice.terminal_id, invoice.tip) == (carl.person_id, t1.id, Decimal("1.50"))
    assert (await services.invoices.get(invoice.id)).tip == Decimal("1.50")
    with pytest.raises(NotAllowed) as refused:
        await services.invoices.create(b.id, price="10.00", actor=carl)
    assert refused.value.code == "not_allowed"
    [row] = [e for e in await services.audit.list(terminal_id=t1.id) if e.action == "invoice.create"]
    assert (row.person_id, row.person_name, row.terminal_name, row.target_id) == (carl.person_id, "Carl", "Till 1",
                                                                                invoice.id)
    assert row.detail["tip"] == "1.50"
    system = await services.invoices.create(a.id, price="1.00")  # API keys and the daemon: SYSTEM, no row
    assert system.created_by is None
    assert not [e for e in await services.audit.list() if e.target_id == system.id]


async def test_cashier_mark_refused_manager_mark_audited(services):
    a, b, manager, carl, cleo, t1, t2 = await _shop(services)
    invoice = await services.invoices.create(a.id, price="10.00", actor=carl)
    other = await services.invoices.create(a.id, price="10.00", actor=cleo)
    with pytest.raises(NotAllowed) as refused:
        await services.invoices.mark(invoice.id, "complete", actor=carl)
    assert refused.value.code == "not_allowed" and refused.value.http_status == 403
    with pytest.raises(NotAllowed):  # another seller's invoice
        await services.invoices.mark(other.id, "invalid", actor=carl)
    cancelled = await services.invoices.mark(invoice.id, "invalid", actor=carl)  # one's own unpaid: Cancel
    assert cancelled.status is InvoiceStatus.INVALID
    marked = await services.invoices.mark(other.id, "complete", actor=manager)
    assert marked.status is InvoiceStatus.COMPLETE
    marks = [e for e in await services.audit.list(store_id=a.id) if e.action == "invoice.mark"]
    assert {(e.person_name, e.target_id, e.detail["to"]) for e in marks} == {("Carl", invoice.id, "invalid"),
                                                                            ("Mia", other.id, "complete")}


async def test_two_terminals_today_and_sales_by_person(services):
    a, b, manager, carl, cleo, t1, t2 = await _shop(services)
    mine = [await services.invoices.create(a.id, price="10.00", tip=Decimal("2"), actor=carl) for _ in range(2)]
    theirs = await services.invoices.create(a.id, price="5.00", tip=Decimal("0.50"), actor=cleo)
    assert {i.id for i in await services.invoices.today(a.id, actor=carl)} == {i.id for i in mine}
    assert [i.id for i in await services.invoices.today(a.id, actor=cleo)] == [theirs.id]
    assert len(await services.invoices.today(a.id, actor=manager)) == 3
    assert [i.id for i in await services.invoices.today(a.id, terminal_id=t2.id, actor=manager)] == [theirs.id]
    with pytest.raises(NotAllowed):
        await services.invoices.today(b.id, actor=carl)
    for invoice in (*mine, theirs):
        await services.invoices.mark(invoice.id, "complete")
    sales = {s.person_name: s for s in await services.invoices.sales_by_person(1, a.id)}
    assert sales["Carl"].count == 2 and sales["Carl"].fiat == {"USD": Decimal("20.00")}
    assert sales["Carl"].tips == {"USD": Decimal("4")} and sales["Carl"].terminal_name == "Till 1"
    assert sales["Cleo"].tips == {"USD": Decimal("0.50")} and sales["Cleo"].sat == 0
    with pytest.raises(NotAllowed):
        await services.invoices.sales_by_person(1, a.id, actor=carl)


async def test_cashier_requests_refund_manager_approves(services):
    a, b, manager, carl, cleo, t1, t2 = await _shop(services)
    invoice = await services.invoices.create(a.id, price="10.00", actor=carl)
    await _pay(services, invoice)
    await services.invoices.mark(invoice.id, "complete")
    req = RefundRequest(RefundVariant.RATE_THEN)
    requested = await services.refunds.create(invoice.id, req, actor=carl)
    assert requested.status is RefundStatus.REQUESTED and requested.created_by == "Carl"
    with pytest.raises(Conflict) as waits:  # its link does not work yet
        await services.refunds.claim(requested.id, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080")
    assert waits.value.code == "refund_not_approved"
    assert (await services.refunds.public(requested.id)).status is RefundStatus.REQUESTED
    with pytest.raises(NotAllowed):
        await services.refunds.approve(requested.id, actor=carl)
    approved = await services.refunds.approve(requested.id, actor=manager)
    assert approved.status is RefundStatus.OPEN
    cancelled = await services.refunds.cancel(approved.id, actor=manager)
    assert cancelled.status is RefundStatus.CANCELLED
    actions = [(e.action, e.person_name) for e in await services.audit.list(store_id=a.id)
               if e.target_type == "refund"]
    assert set(actions) == {("refund.request", "Carl"), ("refund.approve", "Mia"), ("refund.cancel", "Mia")}


async def test_products_stores_payouts_guarded(services):
    a, b, manager, carl, cleo, t1, t2 = await _shop(services)
    with pytest.raises(NotAllowed):
        await services.products.create(a.id, name="Tea", price="2.00", actor=carl)
    tea = await services.products.create(a.id, name="Tea", price="2.00", actor=manager)
    with pytest.raises(NotAllowed):
        await services.products.update(tea.id, {"price": "3.00"}, actor=carl)
    with pytest.raises(NotAllowed):
        await services.products.create(b.id, name="Tea", price="2.00", actor=manager)
    await services.stores.update(a.id, {"name": "North Shop"}, actor=manager)
    with pytest.raises(NotAllowed):
        await services.stores.update(b.id, {"name": "Mine now"}, actor=manager)
    with pytest.raises(NotAllowed):  # where the money goes: the owner only
        await services.stores.update(a.id, {"wallet_ids": []}, actor=manager)
    with pytest.raises(NotAllowed):
        await services.stores.create("Third", actor=manager)
    address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    with pytest.raises(NotAllowed):
        await services.payouts.create(a.id, a.wallet_ids[0], address, 10_000, actor=carl)
    payout = await services.payouts.create(a.id, a.wallet_ids[0], address, 10_000, actor=manager)
    with pytest.raises(NotAllowed):
        await services.payouts.approve([payout.id], actor=carl)
    if payout.status != "approved":  # under the store's auto-approval limit it is approved at once
        [payout] = await services.payouts.approve([payout.id], actor=manager)
    assert payout.status == "approved"
    with pytest.raises(NotAllowed):
        await services.payouts.cancel(payout.id, actor=carl)
    await services.payouts.cancel(payout.id, actor=manager)
    with pytest.raises(NotAllowed):
        await services.payouts.approve(["pay_x"], actor=carl)
    with pytest.raises(NotAllowed):
        await services.payouts.cancel("pay_x", actor=carl)
    actions = {e.action for e in await services.audit.list(store_id=a.id) if e.person_name == "Mia"}
    assert {"product.change", "store.change", "payout.create", "payout.cancel"} <= actions
    assert SYSTEM.role is Role.OWNER


async def _pay(services, invoice):
    from app.chain.models import AddressesChanged
    from app.core.payments import ObservedOutput

    services.fake_chain.outputs[invoice.address] = [ObservedOutput("ab" * 32, 0, invoice.amount_due_sat, 0, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}),
                                                    wallet_id=invoice.wallet_id))
    import asyncio

    for _ in range(200):
        if (await services.invoices.get(invoice.id)).amount_paid_sat:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not paid")
