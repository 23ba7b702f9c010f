"""Products of a store's catalog."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.checkout_server.api.schemas.common import (
    DecimalString,
    Name,
    QueryModel,
    RequestModel,
    ResponseModel,
    optional,
)
from app.core.records import Product


class ProductUpdate(RequestModel):
    name: Name = optional()
    price: DecimalString = optional(description="In the store's default currency, as a decimal string.")
    description: str = optional(max_length=5000)
    category: str = optional(max_length=100)
    stock: int | None = optional(ge=0, le=1_000_000_000, description="null = not tracked")
    archived: bool = optional()


class ProductIn(ProductUpdate):
    name: Name
    price: DecimalString


class ProductQuery(QueryModel):
    include_archived: bool = False


class ProductOut(ResponseModel):
    id: str
    store_id: str
    name: str
    description: str
    price: DecimalString
    category: str
    image_url: str | None = Field(description="API path of the image (needs products:read), or null.")
    stock: int | None
    archived: bool
    created_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        url = f"/api/v1/stores/{product.store_id}/products/{product.id}/image" if product.image else None
        return cls(id=product.id, store_id=product.store_id, name=product.name, description=product.description,
                   price=format(product.price, "f"), category=product.category, image_url=url, stock=product.stock,
                   archived=product.archived, created_at=product.created_at)


class ProductList(ResponseModel):
    items: list[ProductOut]
