"""Greenfield server info, the current API key, stores and their payment methods."""

from __future__ import annotations

from urllib.parse import urlsplit

from app.checkout_server.greenfield.auth import GfCall, permissions_of
from app.checkout_server.greenfield.models import store_data, store_payment_methods
from app.services.delivery.webhook_payloads import LIGHTNING_METHOD_ID, PAYMENT_METHOD_ID

GREENFIELD_VERSION = "2.0.0"  # the BTCPay API level emulated; clients use it to pick request shapes


async def server_info(call: GfCall) -> dict[str, object]:
    chain = call.services.chain
    state = chain.state() if chain is not None else None
    synced = bool(state is not None and state.connected and state.synced)
    height = state.tip_height if state is not None else None
    sync: dict[str, object] = {"cryptoCode": "BTC", "nodeInformation": None, "syncHeight": height,
                            "available": synced}
    if height is not None:
        sync["chainHeight"] = height
    methods = [PAYMENT_METHOD_ID]
    if (await call.services.lightning.status()).running:  # BTCPay lists Lightning while its node is reachable
        methods.append(LIGHTNING_METHOD_ID)
    info: dict[str, object] = {"version": GREENFIELD_VERSION, "supportedPaymentMethods": methods,
                               "fullySynched": synced, "syncStatus": [sync]}
    onion = urlsplit(call.services.urls.current().get("onion") or "").hostname
    if onion:  # BTCPay's "Tor hostname", while the onion service is up
        info["onion"] = onion
    return info


async def current_api_key(call: GfCall) -> dict[str, object]:
    header = call.request.headers.get("Authorization", "")
    return {"apiKey": header.partition(" ")[2].strip(), "label": call.key.name,
            "permissions": permissions_of(call.key)}


async def list_stores(call: GfCall) -> list[dict[str, object]]:
    stores = await call.services.stores.list(include_archived=True)
    return [store_data(s) for s in stores if call.key.can_access_store(s.id)]


async def get_store(call: GfCall) -> dict[str, object]:
    store_id = call.param("store_id")
    call.check_store(store_id)
    return store_data(await call.services.stores.get(store_id))


async def store_methods(call: GfCall) -> list[dict[str, object]]:
    store_id = call.param("store_id")
    call.check_store(store_id)
    methods = store_payment_methods(await call.services.stores.get(store_id))
    enabled = call.request.query.get("enabled")
    if enabled is not None:
        methods = [m for m in methods if m["enabled"] == (enabled.lower() == "true")]
    return methods
