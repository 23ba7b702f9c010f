"""Rendering shopper pages: language, template context, friendly HTML errors (never a traceback)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from multidict import CIMultiDict

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.i18n import LANGUAGE_NAMES, LOCALES, Translator, explicit_language, negotiate
from app.checkout_server.shopper.keys import ASSETS, CATALOGS, FRAMEABLE, JINJA, NOT_FOUND_PAGES, TRANSLATOR
from app.checkout_server.shopper.security import security_headers
from app.core.errors import UserFacingError

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON_ROUTES = frozenset({"shopper.invoice_status", "shopper.invoice_ws", "shopper.static", "shopper.modal_js",
                         "shopper.qr", "shopper.product_image", "shopper.store_logo"})


def translator(request: web.Request) -> Translator:
    cached = request.get(TRANSLATOR)
    if cached is None:
        code = negotiate(request.query.get("lang"), request.headers.get("Accept-Language"))
        cached = request[TRANSLATOR] = request.app[CATALOGS].get(code)
    return cached


KEPT_METHODS = frozenset({"onchain", "lightning"})  # the checkout's payment tab (?method=)


def kept_params(request: web.Request) -> dict[str, str]:
    """What links keep of this page's query besides the language: the modal view and the payment tab
    (known values only: nothing else of the query is ever echoed into a link)."""
    params: dict[str, str] = {}
    if request.query.get("view") == "modal":
        params["view"] = "modal"
    method = request.query.get("method")
    if method in KEPT_METHODS:
        params["method"] = method
    return params


def keep_query(request: web.Request, **extra: str) -> str:
    """The query string links on a page carry along: an explicit ?lang=, the modal view, the payment tab."""
    params: dict[str, str] = {}
    lang = explicit_language(request.query.get("lang"))
    if lang:
        params["lang"] = lang
    params.update(kept_params(request))
    params.update(extra)
    return f"?{urlencode(params)}" if params else ""


def route_path(request: web.Request) -> str:
    """This page's path rebuilt from its route (never the raw request path), or "" for a query-only link.

    A raw path like ``//evil.example/x`` or ``/%5Cevil.example/x`` would turn a link into one to
    another site; a path built from the route's template, or no path at all (``?lang=de`` stays on
    the current page), is always a same-origin relative link.
    """
    match = request.match_info
    if match.http_exception is not None:
        return ""
    try:
        path = str(match.route.url_for(**match))
    except (KeyError, ValueError, RuntimeError):  # a route without a buildable URL (none today)
        return ""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else ""


def base_context(request: web.Request) -> dict[str, object]:
    tr = translator(request)
    services = request.app[SERVICES]
    assets = request.app[ASSETS]
    path = route_path(request)
    other = kept_params(request)  # never echo other params
    languages = [(code, LANGUAGE_NAMES[code], f"{path}?{urlencode({**other, 'lang': code})}") for code in LOCALES]
    network = services.settings.network
    return {"_": tr.gettext, "ngettext": tr.ngettext, "lang": tr.code, "languages": languages,
            "static": assets.url, "network": network, "modal": False, "refresh_s": None,
            "redirect_url": None, "scripts": (), "body_class": ""}


def render(request: web.Request, template: str, context: Mapping[str, object], *, status: int = 200,
           headers: Mapping[str, str] | None = None) -> web.Response:
    body = render_bytes(request, template, context)
    return html_response(body, translator(request).code, status=status, headers=headers,
                         frameable=bool(request.get(FRAMEABLE)))


def render_bytes(request: web.Request, template: str, context: Mapping[str, object]) -> bytes:
    merged = {**base_context(request), **context}
    return aiohttp_jinja2.render_string(template, request, merged, app_key=JINJA).encode("utf-8")


_PAGE_HEADERS: dict[tuple[str, bool], CIMultiDict[str]] = {}


def _page_headers(lang: str, frameable: bool) -> CIMultiDict[str]:
    """The headers every page in ``lang`` starts with, built once, security headers included
    (security.py adds the same to every other response; it leaves these as they are)."""
    headers = _PAGE_HEADERS.get((lang, frameable))
    if headers is None:
        headers = _PAGE_HEADERS[(lang, frameable)] = CIMultiDict({
            "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Content-Language": lang,
            "Vary": "Accept-Language", **security_headers(frameable)})
    return headers


def html_response(body: bytes, lang: str, *, status: int = 200, headers: Mapping[str, str] | None = None,
                  frameable: bool = False) -> web.Response:
    merged = _page_headers(lang, frameable)
    if headers:
        merged = merged.copy()
        merged.update(headers)
    return web.Response(body=body, status=status, headers=merged)  # the Response copies them


def not_found_page(request: web.Request) -> web.Response:
    """The 404 page: rendered once per language and view, then the same bytes for every unknown
    invoice id or path (an attacker spraying ids costs no template rendering). Its language links
    are query-only (``?lang=de``): nothing of the requested path is on it."""
    tr = translator(request)
    modal = request.query.get("view") == "modal"
    pages = request.app[NOT_FOUND_PAGES]
    body = pages.get((tr.code, modal))
    if body is None:
        _ = tr.gettext
        other = {"view": "modal"} if modal else {}
        languages = [(code, LANGUAGE_NAMES[code], f"?{urlencode({**other, 'lang': code})}") for code in LOCALES]
        body = pages[(tr.code, modal)] = render_bytes(request, "error.html", {
            "title": _("Page not found"), "status": 404, "languages": languages,
            "message": _("This page does not exist. Check the link, or ask the shop for a new one.")})
    return html_response(body, tr.code, status=404, frameable=bool(request.get(FRAMEABLE)))


def error_page(request: web.Request, status: int, message: str | None = None, *,
               headers: Mapping[str, str] | None = None, title: str | None = None) -> web.Response:
    if status == 404 and message is None and title is None and not headers:
        return not_found_page(request)
    _ = translator(request).gettext
    titles = {
        400: _("That request did not look right"),
        404: _("Page not found"),
        405: _("That request did not look right"),
        413: _("That request is too large"),
        422: _("Please check your order"),
        429: _("Too many requests"),
    }
    default_messages = {
        404: _("This page does not exist. Check the link, or ask the shop for a new one."),
        429: _("You have created many invoices in a short time. Please wait a minute and try again."),
    }
    title = title or titles.get(status, _("Something went wrong"))
    text = message or default_messages.get(status) or _("Please try again in a moment.")
    return render(request, "error.html", {"title": title, "message": text, "status": status},
                  status=status, headers=headers)


def _wants_html(request: web.Request) -> bool:
    route = request.match_info.route
    name = route.name or ""
    if name.startswith("shopper."):
        return name not in JSON_ROUTES
    if request.match_info.http_exception is not None:  # no route matched at all
        return "text/html" in request.headers.get("Accept", "")
    return False


@web.middleware
async def html_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Friendly HTML error pages for shopper pages; JSON routes fall through to errors.py."""
    if not _wants_html(request):
        return await handler(request)
    try:
        return await handler(request)
    except UserFacingError as exc:
        status = exc.http_status if 400 <= exc.http_status < 500 else 503
        message = None if status == 404 else str(exc)
        return error_page(request, status, message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_page(request, exc.status, headers={k: v for k, v in exc.headers.items()
                                                        if k in ("Allow", "Retry-After")})
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(request, 500)
