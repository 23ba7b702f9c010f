"""HTTP control endpoint on loopback (aiohttp): the Devnet's scenario API as JSON in/out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from app.devnet.devnet import Devnet
from app.devnet.errors import DevnetError, NotFound

logger = logging.getLogger(__name__)

DEVNET_KEY = web.AppKey("devnet", Devnet)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(DevnetError):
    code = "bad_request"


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound as exc:
        return _error(404, exc.code, str(exc))
    except DevnetError as exc:
        return _error(400, exc.code, str(exc))
    except web.HTTPException as exc:
        return _error(exc.status, "http_error", exc.reason)
    except Exception:  # noqa: BLE001 - the edge: log, answer a generic 500, never a traceback
        logger.exception("control request %s %s failed", request.method, request.path)
        return _error(500, "internal_error", "internal error")


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise BadRequest("body must be JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if name not in data:
        if default is ...:
            raise BadRequest(f"missing field {name!r}")
        return default
    value = data[name]
    if value is None and default is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise BadRequest(f"field {name!r} has the wrong type")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


async def status(request: web.Request) -> web.Response:
    return web.json_response(request.app[DEVNET_KEY].status())


async def pay(request: web.Request) -> web.Response:
    data = await _body(request)
    txid = await request.app[DEVNET_KEY].pay(_field(data, "address", str), _field(data, "sat", int),
                                             rbf=_field(data, "rbf", bool, True),
                                             fee_rate=_field(data, "fee_rate", int, None))
    return web.json_response({"txid": txid})


async def fund(request: web.Request) -> web.Response:
    data = await _body(request)
    txid = await request.app[DEVNET_KEY].fund(_field(data, "address", str), _field(data, "sat", int))
    return web.json_response({"txid": txid})


async def mine(request: web.Request) -> web.Response:
    data = await _body(request)
    hashes = await request.app[DEVNET_KEY].mine(_field(data, "n", int, 1), _field(data, "to_address", str, None))
    return web.json_response({"block_hashes": hashes, "tip_height": request.app[DEVNET_KEY].tip_height})


async def replace(request: web.Request) -> web.Response:
    data = await _body(request)
    outputs = _field(data, "outputs", list, None)
    if outputs is not None:
        if not all(isinstance(o, list) and len(o) == 2 for o in outputs):
            raise BadRequest("outputs must be a list of [address, sat] pairs")
        outputs = [(o[0], o[1]) for o in outputs]
    txid = await request.app[DEVNET_KEY].replace(_field(data, "txid", str), outputs, _field(data, "fee", int, None))
    return web.json_response({"txid": txid})


async def double_spend(request: web.Request) -> web.Response:
    data = await _body(request)
    txid = await request.app[DEVNET_KEY].double_spend(_field(data, "txid", str), _field(data, "to_address", str),
                                                      mine=_field(data, "mine", bool, True))
    return web.json_response({"txid": txid})


async def drop(request: web.Request) -> web.Response:
    data = await _body(request)
    evicted = await request.app[DEVNET_KEY].drop(_field(data, "txid", str))
    return web.json_response({"evicted": evicted})


async def reorg(request: web.Request) -> web.Response:
    data = await _body(request)
    include = _field(data, "include", list, None)
    if include is not None and not all(isinstance(t, str) for t in include):
        raise BadRequest("include must be a list of txids")
    hashes = await request.app[DEVNET_KEY].reorg(_field(data, "depth", int), include,
                                                 _field(data, "new_blocks", int, None))
    return web.json_response({"block_hashes": hashes, "tip_height": request.app[DEVNET_KEY].tip_height})


async def fee_rate(request: web.Request) -> web.Response:
    data = await _body(request)
    await request.app[DEVNET_KEY].set_fee_rate(_field(data, "sat_per_vbyte", int))
    return web.json_response({"fee_rate_sat_vb": request.app[DEVNET_KEY].fee_rate_sat_vb})


async def broadcast(request: web.Request) -> web.Response:
    data = await _body(request)
    return web.json_response({"txid": request.app[DEVNET_KEY].broadcast(_field(data, "hex", str))})


async def server_stop(request: web.Request) -> web.Response:
    await request.app[DEVNET_KEY].stop_server()
    return web.json_response({"serving": False})


async def server_start(request: web.Request) -> web.Response:
    await request.app[DEVNET_KEY].start_server()
    return web.json_response({"serving": True, "server": request.app[DEVNET_KEY].server_string})


def create_control_app(devnet: Devnet) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=8 * 1024 * 1024)
    app[DEVNET_KEY] = devnet
    app.router.add_get("/status", status)
    for path, handler in [("/pay", pay), ("/fund", fund), ("/mine", mine), ("/replace", replace),
                          ("/double_spend", double_spend), ("/drop", drop), ("/reorg", reorg),
                          ("/fee_rate", fee_rate), ("/broadcast", broadcast), ("/server/stop", server_stop),
                          ("/server/start", server_start)]:
        app.router.add_post(path, handler)
    return app


class ControlServer:
    """Owns the aiohttp runner serving ``create_control_app`` on loopback."""

    def __init__(self, devnet: Devnet, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app = create_control_app(devnet)
        self._host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        logger.info("devnet control endpoint at %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
