"""Products: CRUD and an image per product (PNG/JPEG/WebP/GIF sniffed, <= 2 MiB)."""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.api.idempotent import RECORDED_AFTER
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.products import (
    ProductIn,
    ProductList,
    ProductOut,
    ProductQuery,
    ProductUpdate,
)
from app.core.errors import ProductNotFound
from app.core.records import Product
from app.services.admin.apikeys import Scope
from app.services.catalog.product_images import MAX_IMAGE_BYTES

_BINARY = {"schema": {"type": "string", "format": "binary"}}


async def _product(call: Call) -> Product:
    store = await call.store()
    product = await call.services.products.get(call.param("product_id"))
    if product.store_id != store.id:
        raise ProductNotFound("Product not found.")
    return product


async def list_products(call: Call) -> ProductList:
    store = await call.store()
    products = await call.services.products.list(store.id, include_archived=call.query_as(ProductQuery).include_archived)
    return ProductList(items=[ProductOut.of(p) for p in products])


async def create_product(call: Call) -> ProductOut:
    store = await call.store()
    fields = call.body_as(ProductIn).model_dump(exclude_unset=True)
    return ProductOut.of(await call.services.products.create(store.id, **fields))


async def get_product(call: Call) -> ProductOut:
    return ProductOut.of(await _product(call))


async def update_product(call: Call) -> ProductOut:
    product = await _product(call)
    return ProductOut.of(await call.services.products.update(product.id,
                                                                call.body_as(ProductUpdate).model_dump(exclude_unset=True)))


async def delete_product(call: Call) -> None:
    """Archives: invoices keep their own snapshot of what was sold."""
    product = await _product(call)
    await call.services.products.delete(product.id)


async def get_product_image(call: Call) -> web.Response:
    data, media_type = await call.services.product_images.read(await _product(call))
    return web.Response(body=data, content_type=media_type,
                        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})


async def put_product_image(call: Call) -> ProductOut:
    return ProductOut.of(await call.services.product_images.replace(await _product(call), call.raw_body()))


async def delete_product_image(call: Call) -> ProductOut:
    return ProductOut.of(await call.services.product_images.remove(await _product(call)))


def operations() -> list[Operation]:
    tag = "products"
    base = "/stores/{store_id}/products"
    one = base + "/{product_id}"
    image_types = {t: _BINARY for t in ("image/png", "image/jpeg", "image/webp")}
    return [
        Operation("GET", base, list_products, "List a store's products", tag, Scope.PRODUCTS_READ, ProductList,
                  query=ProductQuery),
        Operation("POST", base, create_product, "Create a product", tag, Scope.PRODUCTS_WRITE, ProductOut,
                  body=ProductIn, status=201, idempotent=True, description=RECORDED_AFTER),
        Operation("GET", one, get_product, "Get a product", tag, Scope.PRODUCTS_READ, ProductOut),
        Operation("PATCH", one, update_product, "Update a product", tag, Scope.PRODUCTS_WRITE, ProductOut,
                  body=ProductUpdate),
        Operation("DELETE", one, delete_product, "Delete (archive) a product", tag, Scope.PRODUCTS_WRITE,
                  status=204),
        Operation("GET", one + "/image", get_product_image, "Download the product image", tag,
                  Scope.PRODUCTS_READ, extra_content=image_types),
        Operation("PUT", one + "/image", put_product_image, "Upload the product image (raw bytes)", tag,
                  Scope.PRODUCTS_WRITE, ProductOut, raw_body=MAX_IMAGE_BYTES,
                  description="The body is the image file itself (PNG, JPEG, WebP or GIF, at most 2 MiB). The type "
                              "is recognised from the file's first bytes; the Content-Type header is ignored."),
        Operation("DELETE", one + "/image", delete_product_image, "Remove the product image", tag,
                  Scope.PRODUCTS_WRITE, ProductOut),
    ]
