"""GET /t/ (who is here), GET/POST /t/login/{person_id} (the PIN), POST /t/logout.

The PIN is a password field with the phone's number pad (``inputmode=numeric``): a plain form, so a
login works with JavaScript off; with JavaScript an on-screen keypad fills the same field. Wrong PINs
and lockouts are counted by the staff service (stored on the person: a restart does not reset them).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.terminal.access import (
    SESSION_COOKIE,
    forget_cookie,
    seconds_until,
    see_other,
    set_cookie,
)
from app.checkout_server.terminal.keys import TERMINAL
from app.checkout_server.terminal.pages import read_form, render
from app.core.errors import NotFound, UserFacingError
from app.core.staff import ROLE_LABELS, PinRefused

logger = logging.getLogger(__name__)

NOTICES = {"paired": "This device is now a till of the shop. Tap your name to log in.",
           "ended": "Your session ended. Log in again with your PIN.",
           "out": "You are logged out."}


async def people_page(request: web.Request) -> web.Response:
    terminal = request[TERMINAL]
    people = await request.app[SERVICES].terminals.people(terminal)
    notice = next((text for key, text in NOTICES.items() if request.query.get(key) == "1"), None)
    rows = [{"id": p.id, "name": p.name, "role": ROLE_LABELS[p.role]} for p in people if p.active]
    return render(request, "people.html", {"title": f"{terminal.name}: who is selling?", "people": rows,
                                           "notice": notice})


async def _person(request: web.Request) -> tuple[str, str]:
    person_id = request.match_info["person_id"]
    for person in await request.app[SERVICES].terminals.people(request[TERMINAL]):
        if person.id == person_id and person.active:
            return person.id, person.name
    raise NotFound("This person may not log in on this till.")


def _pin_page(request: web.Request, person_id: str, name: str, *, status: int = 200,
              error: str | None = None) -> web.Response:
    return render(request, "login.html", {"title": f"PIN for {name}", "person_id": person_id, "name": name,
                                          "error": error, "scripts": ("pin.js",), "keys": "123456789"},
                  status=status)


async def login_page(request: web.Request) -> web.Response:
    person_id, name = await _person(request)
    return _pin_page(request, person_id, name)


def refusal_text(exc: UserFacingError) -> str:
    """What a refused PIN says: how many tries are left, or how long the lockout lasts."""
    if not isinstance(exc, PinRefused):
        return str(exc)
    locked_for_s, attempts_left = exc.locked_for_s, exc.attempts_left
    if locked_for_s > 0:
        wait = f"{locked_for_s} seconds" if locked_for_s < 120 else f"{(locked_for_s + 59) // 60} minutes"
        return f"Too many wrong PINs. This person is locked out: try again in {wait}."
    return f"Wrong PIN. {attempts_left} attempt{'' if attempts_left == 1 else 's'} left before a lockout."


async def login(request: web.Request) -> web.StreamResponse:
    person_id, name = await _person(request)
    form = await read_form(request)
    pin = form.get("pin", "").strip()[:16]
    if not pin:
        return _pin_page(request, person_id, name, status=422, error="Enter your PIN.")
    try:
        session = await request.app[SERVICES].terminals.login(request[TERMINAL], person_id, pin)
    except UserFacingError as exc:
        if exc.http_status >= 500:
            raise
        return _pin_page(request, person_id, name, status=exc.http_status, error=refusal_text(exc))
    response = see_other("/t/sale")
    set_cookie(request, response, SESSION_COOKIE, session.token, seconds_until(session.expires_at, datetime.now(UTC)))
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token and len(token) <= 200:
        await request.app[SERVICES].terminals.logout(request[TERMINAL], token)
    response = see_other("/t/?out=1")
    forget_cookie(response, SESSION_COOKIE)
    return response
