"""The public refund page over real HTTP: state, claim once, refusals beside the field, bounds, CSRF, i18n."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from app.checkout_server.refunds.page import CLAIM_BURST
from app.core.refunds import RefundStatus
from tests.checkout.refund_shop import MAINNET_ADDRESS, expire, form_token, refund_shop
from tests.services.refund_helpers import foreign_address

XSS = '<script>alert("x")</script>'


async def _page(client, refund_id: str, **params):
    response = await client.get(f"/refund/{refund_id}", params=params)
    return response, await response.text()


async def _claim(client, refund_id: str, address: str, token: str | None = None, **headers):
    if token is None:
        token = form_token((await _page(client, refund_id))[1])
    return await client.post(f"/refund/{refund_id}", data={"address": address, "token": token},
                             headers=headers, allow_redirects=False)


def _field_error(html: str) -> str:
    found = re.search(r'<p id="address-error" class="field-error" role="alert">([^<]*)</p>', html)
    assert found, html
    return html_lib.unescape(found.group(1))


async def test_open_refund_page_shows_store_amount_expiry_and_form(client, services):
    setup = await refund_shop(services)
    response, html = await _page(client, setup.refund.id)
    assert response.status == 200
    assert "Corner Café" in html and "0.00040000\u00a0BTC" in html and "$20.00" in html
    assert "Claim before" in html and 'name="address"' in html and 'method="post"' in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    assert "<script" not in html  # works with JavaScript off: nothing to run


async def test_claim_once_then_the_second_claim_is_refused(client, services):
    setup = await refund_shop(services)
    address = foreign_address(7)
    response = await _claim(client, setup.refund.id, address)
    assert response.status == 303 and response.headers["Location"] == f"/refund/{setup.refund.id}?claimed=1"
    stored = await services.refunds.get(setup.refund.id)
    assert stored.status is RefundStatus.CLAIMED and stored.destination == address and stored.payout_id
    payout = await services.payouts.get(stored.payout_id)
    assert payout.destination == address and payout.amount_sat == setup.refund.amount_sat

    _, html = await _page(client, setup.refund.id, claimed="1")
    assert "Refund claimed" in html and "Thank you. Your address was saved." in html
    assert f"{address[:8]}…{address[-8:]}" in html and 'name="address"' not in html

    again = await client.post(f"/refund/{setup.refund.id}", data={"address": foreign_address(8), "token": "x"})
    assert again.status == 409 and "It can be claimed only once." in await again.text()
    assert (await services.refunds.get(setup.refund.id)).destination == address  # unchanged
    assert len((await services.payouts.list(store_id=setup.store.id)).items) == 1


async def test_second_claim_with_a_valid_token_is_refused_with_a_reason(client, services):
    setup = await refund_shop(services)
    token = form_token((await _page(client, setup.refund.id))[1])
    first = await _claim(client, setup.refund.id, foreign_address(1), token=token)
    assert first.status == 303
    second = await _claim(client, setup.refund.id, foreign_address(2), token=token)  # the same form sent twice
    html = await second.text()
    assert second.status == 409
    assert "This refund was already claimed. It can be claimed only once." in html
    assert (await services.refunds.get(setup.refund.id)).destination == foreign_address(1)


async def test_expired_link_shows_expired_and_refuses(client, services):
    setup = await refund_shop(services)
    token = form_token((await _page(client, setup.refund.id))[1])
    await expire(services, setup.refund.id)
    _, html = await _page(client, setup.refund.id)
    assert "Refund link expired" in html and 'name="address"' not in html
    response = await _claim(client, setup.refund.id, foreign_address(3), token=token)
    assert response.status == 409
    assert "This refund link has expired" in await response.text()
    assert (await services.refunds.get(setup.refund.id)).destination is None


@pytest.mark.parametrize(("address", "expected"), [
    (MAINNET_ADDRESS, "This address is for another Bitcoin network. This shop pays on regtest"),
    ("bcrt1qnotanaddress", "This is not a valid Bitcoin address."),
    ("\u202e<b>garbage</b>", "This is not a valid Bitcoin address."),
    ("", "Enter a Bitcoin address."),
    ("x" * 150, "This is too long for a Bitcoin address."),
])
async def test_bad_addresses_are_refused_beside_the_field(client, services, address, expected):
    setup = await refund_shop(services)
    response = await _claim(client, setup.refund.id, address)
    html = await response.text()
    assert response.status == 422
    assert _field_error(html).startswith(expected)
    assert 'aria-invalid="true"' in html and "<b>garbage" not in html
    assert (await services.refunds.get(setup.refund.id)).status is RefundStatus.OPEN


async def test_our_own_address_is_refused(client, services):
    setup = await refund_shop(services)
    response = await _claim(client, setup.refund.id, setup.invoice.address)
    assert response.status == 422
    assert _field_error(await response.text()) == (
        "This address belongs to the shop. Enter an address of your own wallet.")
    assert (await services.refunds.get(setup.refund.id)).status is RefundStatus.OPEN


async def test_merchant_text_is_escaped(client, services):
    setup = await refund_shop(services, store_name=XSS)
    _, html = await _page(client, setup.refund.id)
    assert XSS not in html and "&lt;script&gt;" in html


async def test_cross_site_post_and_bad_token_are_refused(client, services):
    setup = await refund_shop(services)
    cross = await _claim(client, setup.refund.id, foreign_address(4), Origin="https://evil.example")
    assert cross.status == 403
    forged = await _claim(client, setup.refund.id, foreign_address(4), token="0" * 32)
    assert forged.status == 400 and "This form was open for too long" in await forged.text()
    assert (await services.refunds.get(setup.refund.id)).status is RefundStatus.OPEN


async def test_bounds_and_rate_limit_per_refund(client, services):
    setup = await refund_shop(services)
    big = await client.post(f"/refund/{setup.refund.id}", data={"address": "x" * 5000, "token": "t"})
    assert big.status == 413
    for _ in range(CLAIM_BURST):
        await client.post(f"/refund/{setup.refund.id}", data={"address": "nope", "token": "t"})
    limited = await client.post(f"/refund/{setup.refund.id}", data={"address": "nope", "token": "t"})
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Too many attempts for this refund" in await limited.text()


async def test_unknown_refund_is_the_404_page(client, services):
    response = await client.get("/refund/" + "A" * 22)
    assert response.status == 404 and "Page not found" in await response.text()


async def test_german_page_and_error(client, services):
    setup = await refund_shop(services)
    _, html = await _page(client, setup.refund.id, lang="de")
    assert "Erstattung bereit zum Abrufen" in html and "Ihre Bitcoin-Adresse" in html and "20,00\u00a0$" in html
    token = form_token(html)
    response = await client.post(f"/refund/{setup.refund.id}?lang=de", data={"address": MAINNET_ADDRESS, "token": token})
    assert _field_error(await response.text()).startswith("Diese Adresse gehört zu einem anderen Bitcoin-Netz")


@pytest.mark.parametrize("code", ["de", "es", "ru"])
def test_refund_page_texts_are_translated(code):
    """The refund package's messages are in the checkout's catalogs (test_i18n covers shopper/ only)."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from app.checkout_server.refunds import routes
    from app.checkout_server.shopper.i18n import LOCALE_DIR

    package = Path(routes.__file__).parent
    options = {"templates/**.html": {"trimmed": "true"}}
    wanted = {m for _, _, m, _, _ in extract_from_dir(str(package), [("**.py", "python"),
                                                                    ("templates/**.html", "jinja2")],
                                                      options_map=options)}
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=code)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert wanted and not wanted - translated, sorted(wanted - translated)
