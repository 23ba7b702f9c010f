"""GET /health: version, network, database and chain connection state."""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.keys import SERVICES


async def health(request: web.Request) -> web.Response:
    report = await request.app[SERVICES].health()
    return web.json_response(report, status=200 if report["db"]["ok"] else 503)


def routes() -> list:
    from app.checkout_server.routes import Route

    return [Route("GET", "/health", health, public=False, name="health")]
