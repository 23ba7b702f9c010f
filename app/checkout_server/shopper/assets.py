"""Static files (CSS, JS, placeholder image, the modal script), read once into memory at setup.

Only files in the package's static/ folder are served, by exact name; URLs carry a content hash
(``?v=``) so they can be cached for a day.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from app.checkout_server.shopper.keys import ASSETS

STATIC_DIR = Path(__file__).parent / "static"
_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


class Assets:
    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self._files: dict[str, Asset] = {}
        for path in sorted(directory.rglob("*")):
            if path.is_file() and path.suffix in _TYPES:
                body = path.read_bytes()
                name = path.relative_to(directory).as_posix()
                content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self._files[name] = Asset(body, content_type, hashlib.sha256(body).hexdigest()[:16])

    def get(self, name: str) -> Asset | None:
        return self._files.get(name)

    def url(self, name: str) -> str:
        asset = self._files[name]
        return f"/static/{name}?v={asset.etag}"


def _respond(request: web.Request, asset: Asset, cache_control: str) -> web.Response:
    etag = f'"{asset.etag}"'
    headers = {"Cache-Control": cache_control, "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    charset = "utf-8" if asset.content_type.startswith(("text/", "image/svg")) else None
    return web.Response(body=asset.body, content_type=asset.content_type, charset=charset, headers=headers)


async def static_file(request: web.Request) -> web.Response:
    asset = request.app[ASSETS].get(request.match_info["name"])
    if asset is None or request.match_info["name"].startswith("modal/"):
        raise web.HTTPNotFound()
    return _respond(request, asset, "public, max-age=86400")


async def modal_script(request: web.Request) -> web.Response:
    """/modal/redwaves.js: loaded by merchants' own pages (any origin), so short-lived caching."""
    asset = request.app[ASSETS].get("modal/redwaves.js")
    assert asset is not None
    response = _respond(request, asset, "public, max-age=300")
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
