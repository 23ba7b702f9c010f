"""GET /health: version, network, each component's state (app/services/health.py); 503 when degraded."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from app.checkout_server.feature import Route
from app.checkout_server.keys import SERVICES


def report_part(report: Mapping[str, object], name: str) -> Mapping[str, object]:
    """One section of `Services.health()` ("db", "chain", ...); empty when it is missing."""
    part = report.get(name)
    return part if isinstance(part, Mapping) else {}


async def health(request: web.Request) -> web.Response:
    report = await request.app[SERVICES].health()
    return web.json_response(report, status=200 if report.get("status") == "ok" else 503)


def routes() -> list[Route]:
    return [Route("GET", "/health", health, public=False, name="health")]
