"""DEVNET ONLY: "Pay with devnet" and "Mine a block" on the checkout page (regtest + embedded devnet).

On any other network these answer 404, exactly like a route that does not exist.
"""

from __future__ import annotations

import logging

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.pages import keep_query
from app.core.statuses import InvoiceStatus
from app.devnet.control import DevnetControl

logger = logging.getLogger(__name__)


def _devnet(request: web.Request) -> DevnetControl:
    services = request.app[SERVICES]
    devnet = services.devnet
    if devnet is None or services.settings.network != "regtest":
        raise web.HTTPNotFound()
    return devnet


def _back(request: web.Request, invoice_id: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/i/{invoice_id}{keep_query(request)}")


async def devnet_pay(request: web.Request) -> web.Response:
    devnet = _devnet(request)
    invoice = await request.app[SERVICES].invoices.get(request.match_info["invoice_id"])
    if invoice.status == InvoiceStatus.PENDING and invoice.remaining_sat > 0:
        txid = await devnet.pay(invoice.address, invoice.remaining_sat)
        logger.info("devnet paid invoice %s: %s sat in %s", invoice.id, invoice.remaining_sat, txid)
    raise _back(request, invoice.id)


async def devnet_mine(request: web.Request) -> web.Response:
    devnet = _devnet(request)
    invoice = await request.app[SERVICES].invoices.get(request.match_info["invoice_id"])
    await devnet.mine(1)
    raise _back(request, invoice.id)
