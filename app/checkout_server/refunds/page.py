"""GET/POST /refund/{refund_id}: the refund's state, and the claim form (a plain POST, then a redirect).

Errors come back on the same page beside the address field (422); a claimed, expired or cancelled
refund shows its state instead of the form. POSTs are limited per refund id (CLAIM_LIMITER).
"""

from __future__ import annotations

import logging
import math

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.refunds.form import MAX_ADDRESS_CHARS, FormTooLarge, read_claim_form
from app.checkout_server.refunds.keys import CLAIM_LIMITER, FORM_TOKENS, REFUND_JINJA
from app.checkout_server.refunds.view import ADDRESS_FIELD_CODES, address_error, refund_context
from app.checkout_server.shopper.pages import base_context, error_page, html_response, keep_query, translator
from app.core.errors import UserFacingError
from app.core.refunds import PublicRefund, RefundStatus

logger = logging.getLogger(__name__)

CLAIM_BURST = 5  # attempts at once per refund id, then one every 12 s
CLAIM_PER_MINUTE = 5


def render_refund(request: web.Request, refund: PublicRefund, *, status: int = 200, address: str = "",
                  error: str | None = None, notice: str | None = None) -> web.Response:
    tr = translator(request)
    context = {**base_context(request), **refund_context(refund, tr), "address": address, "error": error,
               "notice": notice, "token": request.app[FORM_TOKENS].token(refund.id),
               "action": f"/refund/{refund.id}{keep_query(request)}", "max_address": MAX_ADDRESS_CHARS}
    body = request.app[REFUND_JINJA].get_template("refund.html").render(context).encode("utf-8")
    return html_response(body, tr.code, status=status)


async def _public(request: web.Request) -> PublicRefund:
    return await request.app[SERVICES].refunds.public(request.match_info["refund_id"])


async def refund_page(request: web.Request) -> web.Response:
    refund = await _public(request)  # RefundNotFound -> the 404 page (html_error_middleware)
    notice = translator(request).gettext("Thank you. Your address was saved.") if (
        request.query.get("claimed") == "1" and refund.destination) else None
    return render_refund(request, refund, notice=notice)


def _too_many(request: web.Request, wait_s: float) -> web.Response:
    _ = translator(request).gettext
    return error_page(request, 429, _("Too many attempts for this refund. Please wait a minute and try again."),
                      headers={"Retry-After": str(max(1, math.ceil(wait_s)))})


async def refund_claim(request: web.Request) -> web.StreamResponse:
    refund_id = request.match_info["refund_id"]
    _ = translator(request).gettext
    wait = request.app[CLAIM_LIMITER].take(refund_id)
    if wait:
        return _too_many(request, wait)
    try:
        form = await read_claim_form(request)
    except FormTooLarge:
        return error_page(request, 413)
    refund = await _public(request)
    address = form.address.strip()
    if refund.status is not RefundStatus.OPEN:  # claimed, paid, expired or cancelled: say so, change nothing
        return render_refund(request, refund, status=409, notice=_closed_notice(request, refund.status))
    if not request.app[FORM_TOKENS].valid(refund.id, form.token):
        return render_refund(request, refund, status=400, address=address[:MAX_ADDRESS_CHARS],
                             error=_("This form was open for too long. Please send it again."))
    if not address:
        return render_refund(request, refund, status=422, error=_("Enter a Bitcoin address."))
    if len(address) > MAX_ADDRESS_CHARS:
        return render_refund(request, refund, status=422, address=address[:MAX_ADDRESS_CHARS],
                             error=_("This is too long for a Bitcoin address."))
    try:
        await request.app[SERVICES].refunds.claim(refund.id, address)
    except UserFacingError as exc:
        if exc.code in ADDRESS_FIELD_CODES or exc.field == "address":
            return render_refund(request, refund, status=422, address=address,
                                 error=address_error(exc, translator(request), refund.network))
        if exc.http_status >= 500:
            raise
        # already claimed, expired, cancelled: show what the refund is now, and why nothing happened
        logger.info("refund %s claim refused: %s", refund.id, exc.code)
        return render_refund(request, await _public(request), status=409, notice=_refusal(request, exc))
    raise web.HTTPSeeOther(f"/refund/{refund.id}{keep_query(request, claimed='1')}")


def _closed_notice(request: web.Request, status: RefundStatus) -> str | None:
    _ = translator(request).gettext
    if status in (RefundStatus.CLAIMED, RefundStatus.PAID):
        return _("This refund was already claimed. It can be claimed only once.")
    if status is RefundStatus.EXPIRED:
        return _("This refund link has expired. Ask the shop for a new one.")
    return None  # cancelled: the page's state says it


def _refusal(request: web.Request, exc: UserFacingError) -> str:
    _ = translator(request).gettext
    if exc.code == "refund_already_claimed":
        return _("This refund was already claimed. It can be claimed only once.")
    if exc.code == "refund_link_expired":
        return _("This refund link has expired. Ask the shop for a new one.")
    return str(exc)
