"""Issue 17 item 1 on the shopper forms: an over-long quantity is a friendly 422 page (it was a 500: int() of a
5,000-digit string raises), an oversized form a 413, and neither stalls the loop."""

from __future__ import annotations

from tests.api.timing import assert_fast, timed_with_health

HTML = {"Accept": "text/html"}


async def test_oversized_cart_inputs_are_refused_fast(client, shop):
    espresso = shop.products[0]

    async def health() -> None:
        await (await client.get(f"/s/{shop.store.id}")).read()  # the public listener has no /health: a page

    async def post(data: object) -> tuple[int, str]:
        response = await client.post(f"/s/{shop.store.id}/checkout", data=data, headers=HTML, allow_redirects=False)
        return response.status, await response.text()

    for what, data, status, text in [
        ("5000-digit quantity", {f"qty_{espresso.id}": "9" * 5000}, 422, "whole numbers from 0 to 999"),
        ("5000 zeros", {f"qty_{espresso.id}": "0" * 5000}, 422, "Your cart is empty"),
        ("40 KB form", {f"qty_{espresso.id}": "1", "buyer_email": "a" * 40_000}, 413, "too large"),
    ]:
        timed = await timed_with_health(lambda data=data: post(data), health)
        assert_fast(timed, what)
        assert timed.result[0] == status and text in timed.result[1], (what, timed.result[0])
        assert "Traceback" not in timed.result[1]
