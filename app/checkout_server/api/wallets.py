"""Wallets: add by xpub, list, get, balance, address usage and gap exposure, address preview."""

from __future__ import annotations

import asyncio

from app.checkout_server.api.errors import Forbidden, ServiceUnavailable
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.common import Paging
from app.checkout_server.api.schemas.stores import (
    AddressPreview,
    AddressUsageOut,
    AddressUseOut,
    WalletBalance,
    WalletIn,
    WalletList,
    WalletOut,
    WalletPreviewIn,
)
from app.core.errors import NotFound, WalletNotFound
from app.services.admin.apikeys import Scope


async def _visible_wallet_ids(call: Call) -> set[str] | None:
    if call.key is None or call.key.store_ids is None:
        return None
    ids: set[str] = set()
    for store_id in call.key.store_ids:
        try:
            ids.update((await call.services.stores.get(store_id)).wallet_ids)
        except NotFound:
            continue
    return ids


async def _wallet_id(call: Call) -> str:
    wallet_id = call.param("wallet_id")
    visible = await _visible_wallet_ids(call)
    if visible is not None and wallet_id not in visible:
        raise Forbidden("This API key may only see the wallets of its stores.", code="store_forbidden")
    return wallet_id


async def list_wallets(call: Call) -> WalletList:
    visible = await _visible_wallet_ids(call)
    wallets = await call.services.wallets.list()
    return WalletList(items=[WalletOut.of(w) for w in wallets if visible is None or w.id in visible])


async def add_wallet(call: Call) -> WalletOut:
    call.require_unrestricted()
    body = call.body_as(WalletIn)
    # the keys are checked off the loop first, so a bad key never costs the loop its parse
    await asyncio.to_thread(call.services.wallets.validate_keys, body.keys, threshold=body.threshold,
                            script_type=body.script_type)
    wallet = await call.services.wallets.add_wallet(body.name, body.keys, threshold=body.threshold,
                                                    script_type=body.script_type, gap_limit=body.gap_limit)
    return WalletOut.of(wallet)


async def preview_wallet(call: Call) -> AddressPreview:
    body = call.body_as(WalletPreviewIn)
    # key parsing and derivation (~1 ms a key, ~0.3 ms an address) run off the loop
    addresses = await asyncio.to_thread(call.services.wallets.preview_addresses, body.keys, body.count,
                                        threshold=body.threshold, script_type=body.script_type)
    return AddressPreview(addresses=addresses)


async def get_wallet(call: Call) -> WalletOut:
    return WalletOut.of(await call.services.wallets.get(await _wallet_id(call)))


async def wallet_balance(call: Call) -> WalletBalance:
    wallet = await call.services.wallets.get(await _wallet_id(call))
    chain = call.services.chain
    if chain is None or not hasattr(chain, "wallet_balance") or not chain.state().connected:
        raise ServiceUnavailable("The chain connection is not ready; try again shortly.", code="chain_unavailable")
    try:
        confirmed, unconfirmed = await chain.wallet_balance(wallet.id)
    except KeyError:
        raise WalletNotFound("The wallet is not open yet.") from None
    return WalletBalance(wallet_id=wallet.id, confirmed_sat=confirmed, unconfirmed_sat=unconfirmed)


async def wallet_addresses(call: Call) -> AddressUsageOut:
    paging = call.query_as(Paging)
    usage = await call.services.address_usage.usage(await _wallet_id(call), offset=paging.offset,
                                                      limit=paging.limit)
    items = [AddressUseOut(derivation_index=u.derivation_index, address=u.address, invoice_id=u.invoice_id,
                           allocated_at=u.allocated_at, used=u.used, received_sat=u.received_sat) for u in usage.items]
    return AddressUsageOut(wallet_id=usage.wallet_id, next_index=usage.next_index, gap_limit=usage.gap_limit,
                           used_count=usage.used_count, max_unused_run=usage.max_unused_run,
                           gap_exposure=usage.gap_exposure, items=items, total=usage.total, offset=usage.offset,
                           limit=usage.limit)


def operations() -> list[Operation]:
    tag = "wallets"
    return [
        Operation("GET", "/wallets", list_wallets, "List wallets", tag, Scope.WALLETS_READ, WalletList),
        Operation("POST", "/wallets", add_wallet, "Add a watch-only wallet by xpub", tag, Scope.WALLETS_WRITE,
                  WalletOut, body=WalletIn, status=201),
        Operation("POST", "/wallets/preview", preview_wallet, "First receive addresses of a key, without saving",
                  tag, Scope.WALLETS_READ, AddressPreview, body=WalletPreviewIn),
        Operation("GET", "/wallets/{wallet_id}", get_wallet, "Get a wallet", tag, Scope.WALLETS_READ, WalletOut),
        Operation("GET", "/wallets/{wallet_id}/balance", wallet_balance, "Wallet balance from the chain", tag,
                  Scope.WALLETS_READ, WalletBalance),
        Operation("GET", "/wallets/{wallet_id}/addresses", wallet_addresses,
                  "Handed-out addresses, their use, and the gap exposure", tag, Scope.WALLETS_READ, AddressUsageOut,
                  query=Paging),
    ]
