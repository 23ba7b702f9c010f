"""The terminal's top bar: only the pages the person's role may use (the services refuse the rest anyway)."""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.terminal.keys import ACTOR, TERMINAL
from app.core.staff import Permission


def nav_links(request: web.Request, current: str) -> list[dict[str, object]]:
    actor, store_id = request[ACTOR], request[TERMINAL].store_id
    links = []
    if actor.may(Permission.SELL, store_id):
        links.append({"key": "sale", "label": "New sale", "href": "/t/sale"})
    if actor.may(Permission.VIEW_SALES, store_id) or actor.may(Permission.VIEW_OWN_SALES, store_id):
        links.append({"key": "today", "label": "Today", "href": "/t/today"})
    if actor.may(Permission.APPROVE_REFUND, store_id) or actor.may(Permission.REQUEST_REFUND, store_id):
        links.append({"key": "refunds", "label": "Refunds", "href": "/t/refund"})
    return [{**link, "current": link["key"] == current} for link in links]
