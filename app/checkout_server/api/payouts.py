"""Payouts: create, list, get, approve, cancel; pay approved payouts from a hot wallet (one transaction),
or export them as a PSBT for a watch-only wallet and import it signed; bump a stuck transaction's fee."""

from __future__ import annotations

import base64

from aiohttp import web

from app.checkout_server.api.idempotent import RECORDED_AFTER
from app.checkout_server.api.messages import as_sent
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.refunds import actor
from app.checkout_server.api.schemas.payouts import (
    BumpIn,
    FeeOptionsOut,
    PayIn,
    PayoutIdsIn,
    PayoutIn,
    PayoutList,
    PayoutListQuery,
    PayoutOut,
    PayoutPage,
    PayoutTxOut,
    PsbtExportOut,
    PsbtImportIn,
    PsbtQuery,
)
from app.core.errors import NotFound, StoreHasNoWallet, UserFacingError, ValidationError
from app.core.payouts import Payout
from app.services.admin.apikeys import Scope

PSBT_TYPE = "application/octet-stream"
SENT_AS = {"address": "destination", "amount": "amount_sat", "amount_sat": "amount_sat"}


def _not_found(payout_id: str) -> NotFound:
    return NotFound(f"Payout {payout_id} not found.", code="payout_not_found", field="payout_ids")


async def _payout(call: Call, payout_id: str) -> Payout:
    payout = await call.services.payouts.get(payout_id)
    if call.key is not None and not call.key.can_access_store(payout.store_id):
        raise _not_found(payout_id)  # other stores' payouts do not exist for this key
    return payout


async def _check_all(call: Call, payout_ids: list[str]) -> list[str]:
    if len(set(payout_ids)) != len(payout_ids):
        raise ValidationError("Each payout may be named once.", code="duplicate_payout", field="payout_ids")
    for payout_id in payout_ids:
        await _payout(call, payout_id)
    return payout_ids


async def create_payout(call: Call) -> PayoutOut:
    body = call.body_as(PayoutIn)
    store = await call.store(body.store_id)
    wallet_id = body.wallet_id
    if wallet_id is None:
        if not store.wallet_ids:
            raise StoreHasNoWallet("This store has no wallet to pay from.", field="wallet_id")
        wallet_id = store.wallet_ids[0]
    elif wallet_id not in store.wallet_ids:
        raise ValidationError("This wallet is not one of the store's wallets.", code="invalid_wallet",
                              field="wallet_id")
    try:
        payout = await call.services.payouts.create(store.id, wallet_id, body.destination, body.amount_sat,
                                                    label=body.label, actor=actor(call))
    except UserFacingError as exc:  # the domain's field names -> this body's
        raise as_sent(exc, SENT_AS) from None
    return PayoutOut.of(payout)


async def list_payouts(call: Call) -> PayoutPage:
    query = call.query_as(PayoutListQuery)
    if query.store_id:
        call.check_store(query.store_id)
    else:
        call.require_unrestricted()
    page = await call.services.payouts.list(store_id=query.store_id, status=query.payout_status(),
                                            limit=query.limit, offset=query.offset)
    return PayoutPage(items=[PayoutOut.of(p) for p in page.items], total=page.total, offset=page.offset,
                      limit=page.limit)


async def get_payout(call: Call) -> PayoutOut:
    return PayoutOut.of(await _payout(call, call.param("payout_id")))


async def approve_payouts(call: Call) -> PayoutList:
    ids = await _check_all(call, call.body_as(PayoutIdsIn).payout_ids)
    return PayoutList(items=[PayoutOut.of(p) for p in await call.services.payouts.approve(ids, actor=actor(call))])


async def cancel_payout(call: Call) -> PayoutOut:
    payout = await _payout(call, call.param("payout_id"))
    return PayoutOut.of(await call.services.payouts.cancel(payout.id))


async def payout_fees(call: Call) -> FeeOptionsOut:
    wallet_id = call.param("wallet_id")
    await call.services.wallets.get(wallet_id)
    return FeeOptionsOut.of(await call.services.payouts.fee_options(wallet_id))


async def pay_payouts(call: Call) -> PayoutTxOut:
    body = call.body_as(PayIn)
    ids = await _check_all(call, body.payout_ids)
    return PayoutTxOut.of(await call.services.payouts.pay_hot(ids, body.fee.choice()))


async def export_psbt(call: Call) -> PsbtExportOut | web.Response:
    body = call.body_as(PayIn)
    ids = await _check_all(call, body.payout_ids)
    export = await call.services.payouts.export_psbt(ids, body.fee.choice())
    if call.query_as(PsbtQuery).download:
        return web.Response(body=base64.b64decode(export.psbt_base64), content_type=PSBT_TYPE, headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"', "X-Payout-Tx-Id": export.payout_tx_id})
    return PsbtExportOut.of(export)


async def import_psbt(call: Call) -> PayoutTxOut:
    body = call.body_as(PsbtImportIn)
    return PayoutTxOut.of(await call.services.payouts.import_psbt(body.payout_tx_id, body.psbt.strip()))


async def bump_payout_fee(call: Call) -> PayoutTxOut:
    body = call.body_as(BumpIn)
    return PayoutTxOut.of(await call.services.payouts.bump_fee(body.payout_tx_id, body.fee.choice()))


def operations() -> list[Operation]:
    tag = "payouts"
    read, write = Scope.PAYOUTS_READ, Scope.PAYOUTS_WRITE
    psbt_file = {PSBT_TYPE: {"schema": {"type": "string", "format": "binary",
                                        "description": "With `?download=true`: the unsigned PSBT file (BIP174)."}}}
    return [
        Operation("POST", "/payouts", create_payout, "Create a payout", tag, write, PayoutOut, body=PayoutIn,
                  status=201, idempotent=True,
                  description="Starts `awaiting_approval`, or `approved` when the store's "
                              "`checkout.payouts_auto_approve_sat` covers it. 422 `invalid_address` / "
                              "`wrong_network` / `own_address` name `destination`. " + RECORDED_AFTER),
        Operation("GET", "/payouts", list_payouts, "List payouts, newest first", tag, read, PayoutPage,
                  query=PayoutListQuery, description="A key restricted to some stores must name one with `store_id`."),
        Operation("GET", "/payouts/fees/{wallet_id}", payout_fees, "Fee rates to choose from", tag, read,
                  FeeOptionsOut, description="Electrum's estimates (sat/vB) for `next_block`, `hour`, `day`."),
        Operation("POST", "/payouts/approve", approve_payouts, "Approve payouts", tag, write, PayoutList,
                  body=PayoutIdsIn),
        Operation("POST", "/payouts/pay", pay_payouts, "Pay approved payouts from a hot wallet", tag, write,
                  PayoutTxOut, body=PayIn, idempotent=True,
                  description="One transaction (RBF on) for all of them; its id is recorded before it is "
                              "broadcast, so a payout is never paid twice. 409 `payout_not_approved`; a "
                              "watch-only wallet is refused (409 `watch_only_wallet`): use `POST /payouts/psbt`. "
                              + RECORDED_AFTER),
        Operation("POST", "/payouts/psbt", export_psbt, "Export approved payouts as an unsigned PSBT", tag, write,
                  PsbtExportOut, body=PayIn, query=PsbtQuery, extra_content=psbt_file, idempotent=True,
                  description="For watch-only wallets (keys on a hardware wallet): the PSBT carries the BIP32 "
                              "derivations the signer needs. Sign it, then `POST /payouts/psbt/import`."),
        Operation("POST", "/payouts/psbt/import", import_psbt, "Import a signed PSBT and broadcast it", tag, write,
                  PayoutTxOut, body=PsbtImportIn,
                  description="Refused with 422 `psbt_mismatch` unless it pays exactly the exported outputs and "
                              "its change to our own wallet."),
        Operation("POST", "/payouts/bump", bump_payout_fee, "Raise a stuck transaction's fee (RBF)", tag, write,
                  PayoutTxOut, body=BumpIn,
                  description="Hot wallets: a replacement paying the same payouts at a higher rate; whichever "
                              "version confirms settles them."),
        Operation("GET", "/payouts/{payout_id}", get_payout, "Get a payout", tag, read, PayoutOut),
        Operation("POST", "/payouts/{payout_id}/cancel", cancel_payout, "Cancel a payout", tag, write, PayoutOut,
                  description="Only before a transaction for it was signed or broadcast (409 otherwise)."),
    ]
