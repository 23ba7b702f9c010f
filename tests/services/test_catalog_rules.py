"""Store look validation, archive/restore, and product + image saved together or not at all (real SQLite,
real files)."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.checkout_look import accent_color, logo_url
from app.core.errors import Conflict, UserFacingError, ValidationError
from app.db.models import ProductRow
from tests.conftest import TEST_VPUB

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 16


async def a_store(services, **kw):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    return await services.stores.create("Shop", default_currency="EUR", wallet_ids=[wallet.id], **kw)


@pytest.mark.parametrize(("text", "expected"), [("", ""), ("#abc", "#abc"), ("#C62F3A", "#c62f3a"), (" #00ff00 ", "#00ff00")])
def test_accent_colour_accepts_hex(text, expected):
    assert accent_color(text) == expected


@pytest.mark.parametrize("text", ["banana", "#abcd", "#12345g", "red", "rgb(1,2,3)", "#"])
def test_accent_colour_refuses_the_rest(text):
    with pytest.raises(ValidationError) as caught:
        accent_color(text)
    assert caught.value.field == "accent_color" and caught.value.code == "invalid_accent_color"


PIXEL = base64.b64encode(PNG).decode()


@pytest.mark.parametrize("text", ["", "https://shop.example/logo.png", "http://10.0.0.2:8080/l.webp?x=1",
                                  f"data:image/png;base64,{PIXEL}", "data:image/gif;base64,R0lGODlhAQABAAAAACw="])
def test_logo_url_accepts_http_and_data_images(text):
    assert logo_url(text) == text


@pytest.mark.parametrize("text", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html;base64,PGI+",
                                  "data:image/svg+xml;base64,PHN2Zz4=", "ftp://x/logo.png", "//evil.example/x.png",
                                  "https://", "https://user@evil.example/x.png", "logo.png",
                                  "data:image/png;base64,<script>"])
def test_logo_url_refuses_script_and_other_schemes(text):
    with pytest.raises(ValidationError) as caught:
        logo_url(text)
    assert caught.value.field == "logo_url"


async def test_store_service_refuses_a_bad_look_and_keeps_other_checkout_keys(services):
    store = await a_store(services, checkout={"anyone_can_create_invoice": True})
    for look, field in (({"accent_color": "banana"}, "accent_color"), ({"logo_url": "javascript:alert(1)"}, "logo_url")):
        with pytest.raises(ValidationError) as caught:
            await services.stores.update(store.id, {"checkout": {**store.checkout, **look}})
        assert caught.value.field == field
    assert (await services.stores.get(store.id)).checkout == {"anyone_can_create_invoice": True}
    saved = await services.stores.update(store.id, {"checkout": {**store.checkout, "accent_color": "#ABC"}})
    assert saved.checkout == {"anyone_can_create_invoice": True, "accent_color": "#abc"}
    with pytest.raises(ValidationError):
        await services.stores.create("Other", checkout={"logo_url": "javascript:alert(1)"})


async def test_stores_archive_and_restore(services):
    store = await a_store(services)
    await services.stores.archive(store.id)
    assert [s.id for s in await services.stores.list()] == []
    assert [(s.id, s.archived) for s in await services.stores.list(include_archived=True)] == [(store.id, True)]
    with pytest.raises(Conflict) as refused:  # archived: "hidden, no new invoices", from every face
        await services.invoices.create(store.id, price="5.00")
    assert refused.value.code == "store_archived"
    restored = await services.stores.restore(store.id)
    assert not restored.archived and [s.id for s in await services.stores.list()] == [store.id]


async def test_products_archive_and_restore(services):
    store = await a_store(services)
    product = await services.products.create(store.id, name="Tea", price="2.50")
    await services.products.archive(product.id)
    assert await services.products.list(store.id) == []
    assert [p.archived for p in await services.products.list(store.id, include_archived=True)] == [True]
    assert not (await services.products.restore(product.id)).archived
    assert [p.id for p in await services.products.list(store.id)] == [product.id]


def images(services) -> list:
    folder = services.settings.network_dir / "images"
    return sorted(folder.iterdir()) if folder.exists() else []


async def product_count(services) -> int:
    async with services.writer.read() as session:
        return await session.scalar(select(func.count()).select_from(ProductRow))


@pytest.mark.parametrize(("data", "code"), [(b"%PDF-1.4 not an image", "unsupported_image_type"),
                                             (PNG + b"\x00" * (2 * 1024 * 1024), "image_too_large")])
async def test_product_with_a_bad_image_writes_nothing(services, data, code):
    store = await a_store(services)
    with pytest.raises(UserFacingError) as caught:
        await services.product_images.save_product(store.id, {"name": "Cake", "price": "3.00"}, image=data)
    assert caught.value.code == code and caught.value.field == "image"
    assert await product_count(services) == 0
    assert images(services) == []


async def test_product_with_bad_fields_writes_no_image(services):
    store = await a_store(services)
    with pytest.raises(UserFacingError) as caught:
        await services.product_images.save_product(store.id, {"name": "", "price": "3.00"}, image=PNG)
    assert caught.value.field == "name"
    assert await product_count(services) == 0 and images(services) == []


async def test_product_and_image_saved_together_and_replaced(services):
    store = await a_store(services)
    product = await services.product_images.save_product(store.id, {"name": "Cake", "price": Decimal("3.5")},
                                                         image=PNG)
    assert product.price == Decimal("3.50") and product.image and product.image.endswith(".png")
    (first,) = images(services)
    assert first.name == product.image and first.read_bytes() == PNG
    updated = await services.product_images.save_product(store.id, {"name": "Cake", "price": "4"},
                                                         product_id=product.id, image=GIF)
    (second,) = images(services)  # the old picture is gone, the new one is there
    assert second.name == updated.image and second.suffix == ".gif" and second.read_bytes() == GIF
    assert updated.id == product.id and updated.price == Decimal("4.00")
    assert await product_count(services) == 1


async def test_the_new_file_is_removed_when_the_row_write_fails(services, monkeypatch):
    store = await a_store(services)

    async def failing_create(*_args, **_kw):
        raise ValidationError("The database refused it.", field="name")

    monkeypatch.setattr(services.products, "create", failing_create)
    with pytest.raises(ValidationError):
        await services.product_images.save_product(store.id, {"name": "Cake", "price": "3.00"}, image=PNG)
    assert images(services) == [] and await product_count(services) == 0
