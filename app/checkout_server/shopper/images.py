"""Product images and store logos from the data directory: only files a product or store names,
only plain image types, never outside ``<network dir>/images``. Anything else: a placeholder."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.keys import ASSETS

if TYPE_CHECKING:
    from app.services.container import Services

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,100}(\.[A-Za-z0-9]{1,5})")


def images_dir(services: Services) -> Path:
    return services.settings.network_dir / "images"


def read_image(directory: Path, name: str | None) -> tuple[bytes, str] | None:
    """(bytes, content type) of ``directory/name``, or None if the name or file is not acceptable."""
    if not name or not _NAME.fullmatch(name):
        return None
    content_type = IMAGE_TYPES.get(Path(name).suffix.lower())
    if content_type is None:
        return None
    base = directory.resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
        return None
    return path.read_bytes(), content_type


async def _serve(request: web.Request, name: str | None) -> web.Response:
    found = await asyncio.to_thread(read_image, images_dir(request.app[SERVICES]), name)
    if found is None:
        placeholder = request.app[ASSETS].get("placeholder.svg")
        assert placeholder is not None
        found = (placeholder.body, placeholder.content_type)
    body, content_type = found
    return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "public, max-age=300"})


async def product_image(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    product = await services.products.get(request.match_info["product_id"])
    if product.store_id != request.match_info["store_id"] or product.archived:
        raise web.HTTPNotFound()
    return await _serve(request, product.image)


async def store_logo(request: web.Request) -> web.Response:
    store = await request.app[SERVICES].stores.get(request.match_info["store_id"])
    return await _serve(request, str(store.checkout.get("logo") or "") or None)
