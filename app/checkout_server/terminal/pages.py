"""Rendering terminal pages: their own templates and static files, the shopper's headers (strict CSP,
no-store, nosniff, no framing) and its translator (amounts in the device's locale)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.pages import html_response, translator
from app.checkout_server.terminal.keys import ACTOR, TERMINAL, TERMINAL_ASSETS, TERMINAL_JINJA
from app.core.errors import UserFacingError

STATIC_PREFIX = "/t/static/"


def static_url(request: web.Request, name: str) -> str:
    asset = request.app[TERMINAL_ASSETS].get(name)
    if asset is None:
        raise KeyError(name)
    return f"{STATIC_PREFIX}{name}?v={asset.etag}"


def base_context(request: web.Request) -> dict[str, object]:
    tr = translator(request)
    actor = request.get(ACTOR)
    return {"_": tr.gettext, "lang": tr.code, "static": lambda name: static_url(request, name),
            "terminal": request.get(TERMINAL), "actor": actor, "network": request.app[SERVICES].settings.network,
            "refresh_s": None, "scripts": (), "title": "RedWaves till", "nav": None}


def render(request: web.Request, template: str, context: Mapping[str, object], *, status: int = 200,
           headers: Mapping[str, str] | None = None) -> web.Response:
    merged = {**base_context(request), **context}
    body = request.app[TERMINAL_JINJA].get_template(template).render(merged).encode("utf-8")
    return html_response(body, translator(request).code, status=status, headers=headers)


def error_page(request: web.Request, status: int, message: str, *, title: str | None = None,
               headers: Mapping[str, str] | None = None, pair_link: bool = False) -> web.Response:
    titles = {401: "Not allowed here", 403: "Not allowed", 404: "Not found", 409: "Not possible now",
              422: "Please check", 429: "Too many requests"}
    return render(request, "error.html", {"title": title or titles.get(status, "Something went wrong"),
                                          "message": message, "status": status, "pair_link": pair_link},
                  status=status, headers=headers)


MAX_FORM_BYTES = 16 * 1024


class FormTooLarge(UserFacingError):
    code = "form_too_large"
    http_status = 413


async def read_form(request: web.Request) -> dict[str, str]:
    """A bounded urlencoded form; repeated names keep their last value, files are ignored."""
    if request.content_length is None or request.content_length > MAX_FORM_BYTES:
        raise FormTooLarge("That form is too large.")
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}
