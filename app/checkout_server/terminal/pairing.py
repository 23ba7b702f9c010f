"""GET/POST /t/pair: a device becomes this shop's terminal with the one-time code the window shows.

GET only shows the form (a link previewer or a scanner app opening the URL uses nothing up); the POST
pairs, sets the long-lived device cookie and goes to the people list. Attempts are limited per
address and in total, so codes cannot be guessed (8 characters from a 31-letter alphabet, 10 minutes).
"""

from __future__ import annotations

import logging
import math

from aiohttp import web

from app.checkout_server.exposure import client_address
from app.checkout_server.keys import SERVICES
from app.checkout_server.terminal.access import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE_S,
    SESSION_COOKIE,
    forget_cookie,
    see_other,
    set_cookie,
)
from app.checkout_server.terminal.keys import PAIR_LIMITER, PAIR_TOTAL_LIMITER
from app.checkout_server.terminal.pages import read_form, render
from app.core.errors import UserFacingError

logger = logging.getLogger(__name__)

PAIR_BURST, PAIR_PER_MINUTE = 5, 5  # per address
PAIR_TOTAL_BURST, PAIR_TOTAL_PER_MINUTE = 30, 30  # every address together
MAX_CODE_CHARS = 16


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()[:MAX_CODE_CHARS]


def _pair_page(request: web.Request, code: str, *, status: int = 200, error: str | None = None,
               headers: dict[str, str] | None = None) -> web.Response:
    return render(request, "pair.html", {"title": "Pair this device", "code": code, "error": error,
                                         "max_code": MAX_CODE_CHARS}, status=status, headers=headers)


async def pair_page(request: web.Request) -> web.Response:
    return _pair_page(request, _clean(request.query.get("code", "")))


async def pair(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    code = _clean(form.get("code", ""))
    wait_s = max(request.app[PAIR_LIMITER].take(client_address(request)), request.app[PAIR_TOTAL_LIMITER].take("all"))
    if wait_s > 0:
        return _pair_page(request, code, status=429, error="Too many pairing attempts. Wait a minute and try again.",
                          headers={"Retry-After": str(math.ceil(wait_s))})
    if not code:
        return _pair_page(request, code, status=422, error="Enter the pairing code shown in RedWaves.")
    try:
        terminal, token = await request.app[SERVICES].terminals.pair(code, address=client_address(request))
    except UserFacingError as exc:
        if exc.http_status >= 500:
            raise
        return _pair_page(request, code, status=exc.http_status, error=str(exc))
    logger.info("terminal %s paired from %s", terminal.id, client_address(request))
    response = see_other("/t/?paired=1")
    set_cookie(request, response, DEVICE_COOKIE, token, DEVICE_MAX_AGE_S)
    forget_cookie(response, SESSION_COOKIE)
    return response
