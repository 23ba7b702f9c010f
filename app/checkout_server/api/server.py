"""Server info (any key), health (no key), the OpenAPI document and its HTML page (no key)."""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.api.operations import AUTHENTICATED, Call, Operation
from app.checkout_server.api.schemas.webhooks import ChainInfo, Health, ServerInfo
from app.checkout_server.health import report_part
from app.core.events import EVENT_TYPES
from app.services.admin.apikeys import Scope


async def server_info(call: Call) -> ServerInfo:
    services = call.services
    chain = ChainInfo(connected=False, synced=False, tip_height=None)
    if services.chain is not None:
        state = services.chain.state()
        chain = ChainInfo(connected=bool(state.connected), synced=bool(state.synced), tip_height=state.tip_height)
    return ServerInfo(version=services.version, network=services.settings.network, scopes=list(Scope),
                      event_types=sorted(EVENT_TYPES), rate_sources=services.rates.source_names, chain=chain)


async def health(call: Call) -> web.Response:
    services = call.services
    report = await services.health()
    body = Health(status="ok" if report.get("status") == "ok" else "degraded", version=services.version,
                  network=services.settings.network, db_ok=bool(report_part(report, "db").get("ok")),
                  chain_connected=bool(report_part(report, "chain").get("connected")))
    return web.Response(body=body.model_dump_json(), content_type="application/json",
                        status=200 if body.status == "ok" else 503)


async def openapi_json(call: Call) -> web.Response:
    from app.checkout_server.api.openapi import openapi_document

    return web.json_response(openapi_document(), headers={"Cache-Control": "no-cache"})


async def docs_page(call: Call) -> web.Response:
    from app.checkout_server.api.docs_page import render_docs

    return render_docs()


def operations() -> list[Operation]:
    tag = "server"
    return [
        Operation("GET", "/server/info", server_info, "Version, network, chain state, scopes, event types", tag,
                  AUTHENTICATED, ServerInfo),
        Operation("GET", "/health", health, "Liveness: database and chain connection", tag, None, Health),
        Operation("GET", "/openapi.json", openapi_json, "This API as an OpenAPI 3.1 document", tag, None,
                  extra_content={"application/json": {"schema": {"type": "object"}}}),
        Operation("GET", "/docs", docs_page, "Readable list of the operations", tag, None,
                  extra_content={"text/html": {"schema": {"type": "string"}}}),
    ]
