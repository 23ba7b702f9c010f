"""REST: the Lightning node (status, on/off, channels) and Lightning in invoices and payments.

Only the node is fake (tests/fake_lightning.py); services, engine and server are RedWaves' own.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from tests.api.conftest import auth, make_key, wait_for
from tests.conftest import TEST_VPUB
from tests.fake_lightning import NODE_ID, PEER_ID, open_channel_view

HOT_SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PEER = f"{PEER_ID}@127.0.0.1:9735"


async def _node_on(ln, client, key: str) -> str:
    hot = await ln.services.wallets.add_hot_wallet("Till", HOT_SEED)
    resp = await client.post("/api/v1/lightning", json={"wallet_id": hot.id}, headers=auth(key))
    body = await resp.json()
    assert resp.status == 200, body
    assert body["running"] and body["wallet_id"] == hot.id and body["node_id"] == NODE_ID
    return hot.id


async def _ln_store(services, wallet_id: str, **checkout):
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.stores.create("Cafe", default_currency="USD", wallet_ids=[wallet_id],
                                        checkout={"lightning": True, **checkout})


async def test_status_while_off_then_on_and_refusals(ln, ln_client):
    key = await make_key(ln.services, "lightning:write")
    resp = await ln_client.get("/api/v1/lightning", headers=auth(key))
    off = await resp.json()
    assert resp.status == 200
    assert off == {"wallet_id": None, "running": False, "node_id": None, "listen": None, "gossip": False,
                   "incoming_allowed": True, "can_receive_sat": 0, "can_send_sat": 0, "peers": 0, "channels": [],
                   "problem": None}
    watch_only = await ln.services.wallets.add_wallet("Cold", TEST_VPUB)
    resp = await ln_client.post("/api/v1/lightning", json={"wallet_id": watch_only.id}, headers=auth(key))
    error = (await resp.json())["error"]
    assert resp.status == 422 and error["code"] == "lightning_needs_p2wpkh_hot" and error["field"] == "wallet_id"
    assert error["message"].endswith(".")
    resp = await ln_client.post("/api/v1/lightning", json={}, headers=auth(key))
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "missing_field"
    resp = await ln_client.post("/api/v1/lightning/channels", json={"connect": PEER, "amount_sat": 100_000},
                                headers=auth(key))
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "lightning_off"
    await _node_on(ln, ln_client, key)
    reader = await make_key(ln.services, "lightning:read")
    status = await (await ln_client.get("/api/v1/lightning", headers=auth(reader))).json()
    assert status["can_receive_sat"] == 5_000_000 and status["listen"] == "127.0.0.1:9735"
    resp = await ln_client.post("/api/v1/lightning", json={"enabled": False}, headers=auth(reader))
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "insufficient_scope"


async def test_open_list_close_channels_and_disable(ln, ln_client):
    key = await make_key(ln.services, "lightning:write")
    await _node_on(ln, ln_client, key)
    resp = await ln_client.post("/api/v1/lightning/channels", json={"connect": PEER, "amount_sat": 200_000,
                                                                    "push_sat": 50_000}, headers=auth(key))
    channel = await resp.json()
    assert resp.status == 201, channel
    assert channel["peer_id"] == PEER_ID and channel["capacity_sat"] == 200_000 and channel["remote_sat"] == 50_000
    assert channel["state"] == "OPENING" and channel["initiator"] == "local"
    for bad, code in (({"connect": "nonsense", "amount_sat": 200_000}, "invalid_node_uri"),
                      ({"connect": PEER, "amount_sat": 100}, "invalid_value"),
                      ({"connect": PEER, "amount_sat": 200_000, "push_sat": 200_000}, "invalid_push_sat"),
                      ({"connect": PEER, "amount_sat": "200000"}, "invalid_value")):
        resp = await ln_client.post("/api/v1/lightning/channels", json=bad, headers=auth(key))
        error = (await resp.json())["error"]
        assert resp.status == 422 and error["code"] == code, (bad, error)
    listed = await (await ln_client.get("/api/v1/lightning", headers=auth(key))).json()
    assert [c["channel_id"] for c in listed["channels"]] == [channel["channel_id"]]
    resp = await ln_client.post("/api/v1/lightning", json={"enabled": False}, headers=auth(key))
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "channels_open"
    resp = await ln_client.post(f"/api/v1/lightning/channels/{'00' * 32}/close", json={}, headers=auth(key))
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "channel_not_found"
    resp = await ln_client.post(f"/api/v1/lightning/channels/{channel['channel_id']}/close", json={"force": True},
                                headers=auth(key))
    closed = await resp.json()
    assert resp.status == 200 and len(closed["closing_txid"]) == 64
    after = await (await ln_client.get("/api/v1/lightning", headers=auth(key))).json()
    assert after["channels"][0]["state"] == "FORCE_CLOSING"
    assert after["channels"][0]["closing_txid"] == closed["closing_txid"]


async def test_invoice_carries_bolt11_and_a_lightning_payment_completes_it(ln, ln_client):
    key = await make_key(ln.services, "lightning:write", "invoices:write")
    wallet_id = await _node_on(ln, ln_client, key)
    ln.lightning.open(open_channel_view())
    store = await _ln_store(ln.services, wallet_id)
    resp = await ln_client.post(f"/api/v1/stores/{store.id}/invoices", json={"price": "5.00"}, headers=auth(key))
    invoice = await resp.json()
    assert resp.status == 201, invoice
    assert invoice["bolt11"].startswith("lnbcrt") and len(invoice["payment_hash"]) == 64
    assert invoice["lightning_offered"] is True
    assert invoice["payment_uri"].startswith(f"bitcoin:{invoice['address']}?amount=0.0001")
    assert invoice["payment_uri"].endswith("&lightning=" + invoice["bolt11"].upper())
    paid = ln.lightning.settle(invoice["payment_hash"])

    async def complete():
        got = await (await ln_client.get(f"/api/v1/invoices/{invoice['id']}", headers=auth(key))).json()
        return got if got["status"] == "complete" else None

    done = await wait_for(complete, what="the Lightning payment completes the invoice")
    assert done["lightning_offered"] is False and "lightning=" not in done["payment_uri"]
    [payment] = done["payments"]
    assert payment["method"] == "lightning" and payment["state"] == "settled"
    assert payment["payment_hash"] == invoice["payment_hash"] == payment["txid"]
    assert hashlib.sha256(bytes.fromhex(payment["preimage"])).hexdigest() == payment["payment_hash"]
    assert payment["preimage"] == paid.preimage and payment["amount_sat"] == 10_000
    listed = await (await ln_client.get(f"/api/v1/invoices/{invoice['id']}/payments", headers=auth(key))).json()
    assert listed["items"] == [payment]


async def test_no_bolt11_without_opt_in_or_inbound_liquidity(ln, ln_client):
    key = await make_key(ln.services, "lightning:write", "invoices:write")
    wallet_id = await _node_on(ln, ln_client, key)
    await ln.services.rates.set_manual_rate("USD", Decimal("50000"))
    plain = await ln.services.stores.create("Plain", default_currency="USD", wallet_ids=[wallet_id])
    resp = await ln_client.post(f"/api/v1/stores/{plain.id}/invoices", json={"price": "5.00"}, headers=auth(key))
    body = await resp.json()
    assert body["bolt11"] is None and body["payment_hash"] is None and body["lightning_offered"] is False
    assert "lightning=" not in body["payment_uri"]
    ln.lightning.can_receive_sat = 9_999
    store = await _ln_store(ln.services, wallet_id)
    resp = await ln_client.post(f"/api/v1/stores/{store.id}/invoices", json={"price": "5.00"}, headers=auth(key))
    assert (await resp.json())["bolt11"] is None  # 10,000 sat due, 9,999 receivable


async def test_onchain_invoice_json_has_the_new_fields_with_onchain_values(ln, ln_client):
    key = await make_key(ln.services, "invoices:write")
    wallet = await ln.services.wallets.add_wallet("Cold", TEST_VPUB)
    await ln.services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await ln.services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])
    created = await (await ln_client.post(f"/api/v1/stores/{store.id}/invoices", json={"amount_sat": 1000},
                                          headers=auth(key))).json()
    assert created["bolt11"] is None and created["lightning_offered"] is False
    assert created["payment_uri"] == f"bitcoin:{created['address']}?amount=0.00001000"


async def test_webhook_of_a_lightning_payment_carries_method_hash_and_preimage(ln, ln_client, receiver):
    key = await make_key(ln.services, "lightning:write", "invoices:write", "webhooks:write")
    wallet_id = await _node_on(ln, ln_client, key)
    ln.lightning.open(open_channel_view())
    store = await _ln_store(ln.services, wallet_id)
    receiver.secret = "s" * 24
    resp = await ln_client.post(f"/api/v1/stores/{store.id}/webhooks", json={"url": receiver.url, "secret": "s" * 24},
                                headers=auth(key))
    assert resp.status == 201
    invoice = await ln.services.invoices.create(store.id, price="5.00")
    paid = ln.lightning.settle(invoice.payment_hash)

    def bodies() -> list[dict]:
        return [json.loads(r["body"]) for r in receiver.received]

    await wait_for(lambda: any(b["type"] == "payment.received" for b in bodies()), what="payment.received")
    await wait_for(lambda: any(b["type"] == "invoice.status_changed" and b["event"]["new_status"] == "complete"
                               for b in bodies()), what="complete")
    assert all(r["valid"] for r in receiver.received)
    created = next(b for b in bodies() if b["type"] == "invoice.created")
    assert created["invoice"]["bolt11"] == invoice.bolt11 and created["invoice"]["lightning_offered"] is True
    received = next(b for b in bodies() if b["type"] == "payment.received")
    assert received["payment"]["method"] == "lightning" and received["payment"]["state"] == "settled"
    assert received["payment"]["payment_hash"] == invoice.payment_hash
    assert received["payment"]["preimage"] == paid.preimage
