"""Product images: PNG, JPEG, WebP or GIF (app/core/images.py: sniffed from magic bytes, never trusted
from a header), <= 2 MiB, stored under ``<network_dir>/images/`` with random names. The product row
keeps only the file name.

``save_product`` is the window's one call for "product with its image": the image and the fields are
checked before anything is written, the file is written atomically (temporary file + rename), and the
row (new or updated) names it in one transaction; when that transaction fails the new file is removed,
so a product and its image are saved together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.core.errors import NotFound, ProductNotFound
from app.core.images import MAX_IMAGE_BYTES, MEDIA_TYPES, ImageTooLarge, check_image, sniff_image
from app.core.records import Product
from app.services.catalog.products import ProductService

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp|gif)$")

__all__ = ["MAX_IMAGE_BYTES", "ImageNotFound", "ImageTooLarge", "ProductImageStore", "sniff_image"]


class ImageNotFound(NotFound):
    code = "image_not_found"


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

    async def save_product(self, store_id: str, fields: Mapping[str, Any], *, product_id: str | None = None,
                           image: bytes | None = None) -> Product:
        """Create (``product_id`` None) or update a product, with ``image`` as its new picture if given."""
        kind = check_image(image) if image is not None else None
        await self._products.check(store_id, fields)
        old = await self._products.get(product_id) if product_id is not None else None
        if old is not None and old.store_id != store_id:
            raise ProductNotFound("Product not found.")
        if image is None or kind is None:
            return await self._write_row(store_id, product_id, fields)
        name = await self._store_file(kind, image)
        try:
            product = await self._write_row(store_id, product_id, {**fields, "image": name})
        except BaseException:
            await asyncio.to_thread(self._unlink, name)
            raise
        if old is not None and old.image:
            await asyncio.to_thread(self._unlink, old.image)
        logger.info("product %s saved with image (%s, %d bytes)", product.id, kind, len(image))
        return product

    async def _write_row(self, store_id: str, product_id: str | None, fields: Mapping[str, Any]) -> Product:
        if product_id is None:
            values = dict(fields)
            return await self._products.create(store_id, name=values.pop("name", ""), price=values.pop("price", ""),
                                               **values)
        return await self._products.update(product_id, fields)

    async def replace(self, product: Product, data: bytes) -> Product:
        """A new picture for an existing product (the API's image upload)."""
        return await self.save_product(product.store_id, {}, product_id=product.id, image=data)

    async def remove(self, product: Product) -> Product:
        updated = await self._products.update(product.id, {"image": None})
        if product.image:
            await asyncio.to_thread(self._unlink, product.image)
        return updated

    async def _store_file(self, kind: str, data: bytes) -> str:
        name = f"{secrets.token_hex(16)}.{kind}"
        await asyncio.to_thread(self._write, name, data)
        return name

    def _write(self, name: str, data: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = self._dir / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self._dir / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _unlink(self, name: str) -> None:
        if _NAME.fullmatch(name):
            (self._dir / name).unlink(missing_ok=True)
