"""create_daemon_app(daemon) -> web.Application: Bitcart's daemon protocol on its own loopback listener.

Routes (all behind HTTP Basic auth, Bitcart-style: a bad login is a JSON-RPC -32600 "Unauthorized"):
``POST /`` JSON-RPC, ``GET /spec`` the error spec, ``GET /ws`` event notifications.
Requests carrying an ``Origin`` header are refused: Bitcart clients never send one, browsers always
do, so a web page cannot drive the daemon even with cached credentials.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import math
import weakref
from base64 import b64decode
from collections.abc import Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from app.checkout_server.connections import WS_SLOTS, WebSocketSlots
from app.checkout_server.daemon import spec
from app.checkout_server.daemon.jsonrpc import (
    RpcError,
    RpcRequest,
    check_not_batch,
    error,
    ok,
    parse_request,
    translate,
)
from app.checkout_server.daemon.methods import DaemonMethods
from app.checkout_server.listeners import Listener
from app.checkout_server.logins import FailedLogins
from app.core import limits
from app.core.errors import UserFacingError
from app.core.limits import LimitExceeded
from app.services.compat.bitcart.events import Subscription
from app.services.compat.bitcart.service import DaemonService
from app.services.compat.bitcart.wallets import DaemonWallet, wallet_key

logger = logging.getLogger(__name__)

DAEMON: web.AppKey[DaemonService] = web.AppKey("daemon", DaemonService)
METHODS: web.AppKey[DaemonMethods] = web.AppKey("daemon_methods", DaemonMethods)
SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("daemon_sockets", weakref.WeakSet)
LOGINS: web.AppKey[FailedLogins] = web.AppKey("daemon_logins", FailedLogins)  # tests replace it before start
MAX_BODY_BYTES = 1024 * 1024
PARSE_ON_LOOP_BYTES = 64 * 1024  # bigger bodies are parsed in a worker thread
MAX_WS_MESSAGE_BYTES = 16 * 1024  # a client only ever sends {"xpub": ...}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        login, _, password = b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return login, password


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if "Origin" in request.headers:
        return error(None, spec.UNAUTHORIZED, "Unauthorized")
    credentials = _basic_auth(request.headers.get("Authorization"))
    if credentials is not None and request.app[DAEMON].credentials.matches(*credentials):
        return await handler(request)  # valid credentials pass whatever others failed
    refusal = await request.app[LOGINS].failed(request.remote or "unknown", credentials[0][:64] if credentials else None)
    if refusal is None:
        return error(None, spec.UNAUTHORIZED, "Unauthorized")
    wait_s = max(1, math.ceil(refusal.retry_after_s))
    response = error(None, spec.UNAUTHORIZED, f"Unauthorized: too many failed logins, try again in {wait_s} s")
    response.headers["Retry-After"] = str(wait_s)
    return response


async def _read_body(request: web.Request) -> bytes:
    """The body, refused past MAX_BODY_BYTES (by Content-Length before reading anything)."""
    too_large = RpcError(spec.LIMIT_EXCEEDED, f"Request body larger than {MAX_BODY_BYTES} bytes")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # chunked bodies: aiohttp stops reading at client_max_size
        raise too_large from None


async def _parse(body: bytes) -> RpcRequest:
    check_not_batch(body)
    if len(body) > PARSE_ON_LOOP_BYTES:  # a big body (raw transactions) is parsed off the loop
        return await asyncio.to_thread(parse_request, body)
    return parse_request(body)


async def handle_rpc(request: web.Request) -> web.Response:
    req_id = None
    try:
        rpc = await _parse(await _read_body(request))
        req_id = rpc.id
        result = await _execute(request.app, rpc.method, rpc.args, rpc.kwargs)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON-RPC error (translate logs the unexpected)
        failure = translate(exc)
        return error(req_id, failure.code, failure.message, failure.data)
    return ok(req_id, result)


async def _execute(app: web.Application, method: str, args: list[object], kwargs: dict[str, object]) -> object:
    daemon, methods = app[DAEMON], app[METHODS]
    if method not in methods.table:
        raise RpcError(spec.PROCEDURE_NOT_FOUND, "Procedure not found")
    xpub = kwargs.pop("xpub", None)
    wallet: DaemonWallet | None = None
    if xpub is not None:
        try:
            wallet = await daemon.wallets.load(xpub)
        except LimitExceeded as exc:
            raise RpcError(spec.LIMIT_EXCEEDED, str(exc)) from None
        except UserFacingError as exc:
            raise RpcError(spec.LOADING_WALLET, str(exc)) from None
    if wallet is None and methods.requires_wallet(method):
        raise RpcError(spec.WALLET_NOT_LOADED, "Wallet not loaded")
    return await methods.call(method, wallet, args, kwargs)


async def handle_spec(request: web.Request) -> web.Response:
    lightning = request.app[DAEMON].lightning
    return web.json_response(spec.build_spec(lightning=lightning is not None and await lightning.running()))


async def handle_ws(request: web.Request) -> web.WebSocketResponse:
    slots, client = request.app[WS_SLOTS], request.remote or "unknown"
    if not slots.take(client):
        raise web.HTTPTooManyRequests(reason="Too many websockets from this address.")
    try:
        return await _serve_ws(request)
    finally:
        slots.give_back(client)


async def _serve_ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_WS_MESSAGE_BYTES)
    await ws.prepare(request)
    daemon = request.app[DAEMON]
    request.app[SOCKETS].add(ws)
    subscription = daemon.events.subscribe()
    sender = asyncio.create_task(_send_notifications(ws, subscription), name="daemon-ws-sender")
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await _register(daemon, subscription, msg.data)
    finally:
        subscription.close()
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        request.app[SOCKETS].discard(ws)
    return ws


async def _register(daemon: DaemonService, subscription: Subscription, text: str) -> None:
    """``{"xpub": ...}`` scopes the socket to that wallet and loads it, so its events flow at once."""
    try:
        data = limits.loads(text)
        if not isinstance(data, dict) or not data.get("xpub"):
            return
        key, _options = wallet_key(data["xpub"])
        subscription.wallet_key = key
        await daemon.wallets.load(key)
    except ValueError:
        logger.debug("daemon websocket: ignored a message that is not JSON")
    except UserFacingError as exc:
        logger.info("daemon websocket: wallet not loaded (%s)", exc.code)


async def _send_notifications(ws: web.WebSocketResponse, subscription: Subscription) -> None:
    while not ws.closed:
        notification = await subscription.queue.get()
        try:
            await ws.send_json(notification)
        except ConnectionError:
            return


async def _close_sockets(app: web.Application) -> None:
    sockets = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")


def create_daemon_app(daemon: DaemonService) -> web.Application:
    app = web.Application(middlewares=[auth_middleware], client_max_size=MAX_BODY_BYTES)
    app[DAEMON] = daemon
    app[METHODS] = DaemonMethods(daemon)
    app[SOCKETS] = weakref.WeakSet()
    app[LOGINS] = FailedLogins()
    app[WS_SLOTS] = WebSocketSlots()
    app.router.add_post("/", handle_rpc)
    app.router.add_get("/spec", handle_spec)
    app.router.add_get("/ws", handle_ws)
    app.on_shutdown.append(_close_sockets)
    return app


def daemon_listener(daemon: DaemonService, host: str = "127.0.0.1", port: int = 5000) -> Listener:
    return Listener(create_daemon_app(daemon), host, port, name="daemon")
