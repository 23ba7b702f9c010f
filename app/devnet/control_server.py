"""HTTP control endpoint on loopback (aiohttp): the Devnet's scenario API as JSON in/out.

`python -m app.devnet serve` runs it; the CLI subcommands talk to it. (What the app's own front ends
may do to a devnet is the smaller `app.devnet.control.DevnetControl`.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from aiohttp import web

from app.devnet.devnet import Devnet
from app.devnet.errors import DevnetError, NotFound

logger = logging.getLogger(__name__)

DEVNET_KEY = web.AppKey("devnet", Devnet)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")
D = TypeVar("D")


class BadRequest(DevnetError):
    code = "bad_request"

    def __init__(self, message: str, *, code: str = "bad_request") -> None:
        super().__init__(message)
        self.code = code


# Bounds, checked before any work (one control call must not stall the devnet or the app embedding it).
MAX_BODY_BYTES = 2 * 1024 * 1024  # a raw transaction of 1 MB is 2 MB of hex
MAX_INT_DIGITS = 20
MAX_CONTAINERS = 10_000  # objects + lists in one body; the deepest real body nests 3
MAX_LIST_ITEMS = 1000  # outputs of a replacement, txids to re-mine
MAX_SAT = 21_000_000 * 100_000_000
MAX_BLOCKS = 1000  # blocks mined (or replaced by a reorg) in one call
_MAXIMA = {"n": MAX_BLOCKS, "depth": MAX_BLOCKS, "new_blocks": MAX_BLOCKS, "fee_rate": 100_000,
           "sat_per_vbyte": 100_000}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound as exc:
        return _error(404, exc.code, str(exc))
    except BadRequest as exc:
        return _error(413 if exc.code == "payload_too_large" else 400, exc.code, str(exc))
    except DevnetError as exc:
        return _error(400, exc.code, str(exc))
    except web.HTTPException as exc:
        response = _error(exc.status, "http_error", exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:  # noqa: BLE001 - the edge: log, answer a generic 500, never a traceback
        logger.exception("control request %s %s failed", request.method, request.path)
        return _error(500, "internal_error", "internal error")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:  # before int(): a 4,000-digit number costs real time, a huge `n` hours
        raise BadRequest(f"numbers have at most {MAX_INT_DIGITS} digits", code="number_too_large")
    return int(text)


def _no_fractions(text: str) -> object:
    raise BadRequest("numbers are integers (satoshis, counts)", code="bad_request")


def _loads(raw: bytes) -> object:
    """JSON with integers only, bounded in size and nesting (the devnet cannot import app.core.limits)."""
    if raw.count(b"[") + raw.count(b"{") > MAX_CONTAINERS:
        raise BadRequest(f"at most {MAX_CONTAINERS} objects and lists in a body", code="too_deep")
    try:
        return json.loads(raw, parse_int=_bounded_int, parse_float=_no_fractions, parse_constant=_no_fractions)
    except RecursionError:
        raise BadRequest("JSON nested too deeply", code="too_deep") from None


async def _body(request: web.Request) -> dict[str, object]:
    if not request.can_read_body:
        return {}
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest(f"body larger than {MAX_BODY_BYTES} bytes", code="payload_too_large")
    try:
        data = _loads(await request.read())
    except ValueError:  # also UnicodeDecodeError
        raise BadRequest("body must be JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _typed(value: object, name: str, kind: type[T]) -> T:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):  # True is an int too
        raise BadRequest(f"field {name!r} has the wrong type")
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= _MAXIMA.get(name, MAX_SAT):
        raise BadRequest(f"field {name!r} must be 0 to {_MAXIMA.get(name, MAX_SAT)}", code="out_of_range")
    if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
        raise BadRequest(f"field {name!r} has more than {MAX_LIST_ITEMS} items", code="too_many_items")
    return value


def _field(data: Mapping[str, object], name: str, kind: type[T]) -> T:
    if name not in data:
        raise BadRequest(f"missing field {name!r}")
    return _typed(data[name], name, kind)


def _optional(data: Mapping[str, object], name: str, kind: type[T], default: D) -> T | D:
    if name not in data or (data[name] is None and default is None):
        return default
    return _typed(data[name], name, kind)


async def status(request: web.Request) -> web.Response:
    return web.json_response(request.app[DEVNET_KEY].status())


async def pay(request: web.Request) -> web.Response:
    data = await _body(request)
    txid = await request.app[DEVNET_KEY].pay(_field(data, "address", str), _field(data, "sat", int),
                                             rbf=_optional(data, "rbf", bool, True),
                                             fee_rate=_optional(data, "fee_rate", int, None))
    return web.json_response({"txid": txid})


async def fund(request: web.Request) -> web.Response:
    data = await _body(request)
    txid = await request.app[DEVNET_KEY].fund(_field(data, "address", str), _field(data, "sat", int))
    return web.json_response({"txid": txid})


async def mine(request: web.Request) -> web.Response:
    data = await _body(request)
    hashes = await request.app[DEVNET_KEY].mine(_optional(data, "n", int, 1), _optional(data, "to_address", str, None),
                                                _optional(data, "time", int, None))
    return web.json_response({"block_hashes": hashes, "tip_height": request.app[DEVNET_KEY].tip_height})


async def replace(request: web.Request) -> web.Response:
    data = await _body(request)
    pairs = _optional(data, "outputs", list, None)
    outputs: list[tuple[str, int]] | None = None
    if pairs is not None:
        if not all(isinstance(o, list) and len(o) == 2 for o in pairs):
            raise BadRequest("outputs must be a list of [address, sat] pairs")
        for _address, sat in pairs:
            _typed(sat, "sat", int)
        outputs = [(o[0], o[1]) for o in pairs]
    txid = await request.app[DEVNET_KEY].replace(_field(data, "txid", str), outputs, _optional(data, "fee", int, None))
    return web.json_response({"txid": txid})


async def double_spend(request: web.Request) -> web.Response:
    data = await _body(request)
    txid = await request.app[DEVNET_KEY].double_spend(_field(data, "txid", str), _field(data, "to_address", str),
                                                      mine=_optional(data, "mine", bool, True))
    return web.json_response({"txid": txid})


async def drop(request: web.Request) -> web.Response:
    data = await _body(request)
    evicted = await request.app[DEVNET_KEY].drop(_field(data, "txid", str))
    return web.json_response({"evicted": evicted})


async def reorg(request: web.Request) -> web.Response:
    data = await _body(request)
    include = _optional(data, "include", list, None)
    if include is not None and not all(isinstance(t, str) for t in include):
        raise BadRequest("include must be a list of txids")
    hashes = await request.app[DEVNET_KEY].reorg(_field(data, "depth", int), include,
                                                 _optional(data, "new_blocks", int, None))
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
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
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
        self.port = int(self._runner.addresses[0][1])
        logger.info("devnet control endpoint at %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
