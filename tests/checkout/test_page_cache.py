"""Rendered-page cache: expiry, invalidation by events, one shared render under concurrency."""

import asyncio

import pytest

from app.checkout_server.shopper.page_cache import PageCache


async def test_single_render_shared_and_invalidated():
    now = [0.0]
    cache = PageCache(ttl_s=5, clock=lambda: now[0])
    renders = []

    async def render():
        renders.append(1)
        await asyncio.sleep(0.01)
        return b"page"

    bodies = await asyncio.gather(*(cache.get_or_render("inv", "k", render) for _ in range(20)))
    assert bodies == [b"page"] * 20 and len(renders) == 1
    assert await cache.get_or_render("inv", "k", render) == b"page" and len(renders) == 1
    cache.invalidate("inv")
    await cache.get_or_render("inv", "k", render)
    now[0] = 6.0
    await cache.get_or_render("inv", "k", render)
    assert len(renders) == 3


async def test_render_errors_reach_every_waiter_and_are_not_cached():
    cache = PageCache()

    async def fail():
        await asyncio.sleep(0.01)
        raise LookupError("no such invoice")

    results = await asyncio.gather(*(cache.get_or_render("x", "k", fail) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    with pytest.raises(LookupError):
        await cache.get_or_render("x", "k", fail)


async def test_event_during_render_is_not_cached_stale():
    cache = PageCache()

    async def render():
        cache.invalidate("inv")  # an event committed while we were reading
        return b"old"

    await cache.get_or_render("inv", "k", render)
    assert cache.get("inv", "k") is None


async def test_cached_pages_never_echo_foreign_query_params(client, shop):
    html = await (await client.get(f"/i/{shop.invoice.id}?evil=%22zzz")).text()
    assert "zzz" not in html and "evil" not in html
