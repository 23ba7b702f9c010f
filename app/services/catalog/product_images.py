"""Product images: PNG, JPEG or WebP (sniffed from magic bytes, never trusted from a header), <= 2 MiB,
stored under ``<network_dir>/images/`` with random names. The product row keeps only the file name.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from pathlib import Path

from app.core.errors import NotFound, UserFacingError, ValidationError
from app.core.records import Product
from app.services.catalog.products import ProductService

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp)$")


class ImageTooLarge(UserFacingError):
    code = "image_too_large"
    http_status = 413


class ImageNotFound(NotFound):
    code = "image_not_found"


def sniff_image(data: bytes) -> str | None:
    """'png', 'jpg', 'webp' or None, from the file's first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class ProductImageStore:
    def __init__(self, images_dir: Path, products: ProductService) -> None:
        self._dir = images_dir
        self._products = products

    def path(self, name: str) -> Path:
        if not _NAME.fullmatch(name or ""):
            raise ImageNotFound("Image not found.")
        return self._dir / name

    @staticmethod
    def media_type(name: str) -> str:
        return MEDIA_TYPES[name.rsplit(".", 1)[-1]]

    async def read(self, product: Product) -> tuple[bytes, str]:
        if not product.image:
            raise ImageNotFound("This product has no image.")
        path = self.path(product.image)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise ImageNotFound("Image not found.") from None
        return data, self.media_type(product.image)

    async def replace(self, product: Product, data: bytes) -> Product:
        if len(data) > MAX_IMAGE_BYTES:
            raise ImageTooLarge("Images are limited to 2 MiB.", field="image")
        kind = sniff_image(data)
        if kind is None:
            raise ValidationError("Upload a PNG, JPEG or WebP image.", code="unsupported_image_type", field="image")
        name = f"{secrets.token_hex(16)}.{kind}"
        await asyncio.to_thread(self._write, name, data)
        try:
            updated = await self._products.update(product.id, {"image": name})
        except BaseException:
            await asyncio.to_thread(self._unlink, name)
            raise
        if product.image:
            await asyncio.to_thread(self._unlink, product.image)
        logger.info("product %s image set (%s, %d bytes)", product.id, kind, len(data))
        return updated

    async def remove(self, product: Product) -> Product:
        updated = await self._products.update(product.id, {"image": None})
        if product.image:
            await asyncio.to_thread(self._unlink, product.image)
        return updated

    def _write(self, name: str, data: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = self._dir / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        tmp.replace(self._dir / name)

    def _unlink(self, name: str) -> None:
        if _NAME.fullmatch(name):
            (self._dir / name).unlink(missing_ok=True)
