"""The installable till: /t/manifest.webmanifest, /t/sw.js, /t/offline.html, /t/icons/*, /t/static/*.

These answer without a paired device (a browser fetches them before or outside a session). The
service worker caches only the offline page and shows it when a navigation fails: it never caches a
sale, a QR or a receipt. Icons are resources/redwaves.svg rendered at 192 and 512 px.
"""

from __future__ import annotations

import json

from aiohttp import web

from app.checkout_server.shopper.assets import _respond as respond
from app.checkout_server.terminal.keys import TERMINAL_ASSETS
from app.checkout_server.terminal.pages import render

OFFLINE_MESSAGE = "This till is offline. Payments cannot be taken until it reconnects."
THEME = "#c62f3a"
MANIFEST = {
    "name": "RedWaves till", "short_name": "Till", "description": "Take bitcoin payments at the counter.",
    "id": "/t/", "start_url": "/t/", "scope": "/t/", "display": "standalone", "orientation": "any",
    "background_color": "#ffffff", "theme_color": THEME,
    "icons": [{"src": "/t/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
              {"src": "/t/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"}],
}
_MANIFEST_BODY = json.dumps(MANIFEST, indent=1).encode()


def _asset_response(request: web.Request, name: str, cache_control: str) -> web.Response:
    asset = request.app[TERMINAL_ASSETS].get(name)
    if asset is None:
        raise web.HTTPNotFound()
    return respond(request, asset, cache_control)  # the shopper's: ETag, 304, charset


async def static_file(request: web.Request) -> web.Response:
    return _asset_response(request, request.match_info["name"], "public, max-age=86400")


async def icon(request: web.Request) -> web.Response:
    return _asset_response(request, f"icons/{request.match_info['name']}", "public, max-age=86400")


async def service_worker(request: web.Request) -> web.Response:
    response = _asset_response(request, "sw.js", "no-cache")  # a new worker is picked up at once
    response.headers["Service-Worker-Allowed"] = "/t/"
    return response


async def manifest(request: web.Request) -> web.Response:
    return web.Response(body=_MANIFEST_BODY, content_type="application/manifest+json",
                        headers={"Cache-Control": "public, max-age=3600"})


async def to_start(request: web.Request) -> web.Response:
    """/t (typed without the slash) -> /t/, the start page (a device check happens there)."""
    return web.Response(status=308, headers={"Location": "/t/"})


async def offline_page(request: web.Request) -> web.Response:
    return render(request, "offline.html", {"title": "Till offline", "message": OFFLINE_MESSAGE})
