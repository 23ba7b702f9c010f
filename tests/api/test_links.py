"""Issue 19 item 4: every checkout link RedWaves gives out is one a shopper can open, in the documented order
(store public URL, onion over Tor, configured public URL, LAN address, trusted request origin); never a
wildcard bind address. Real Runtime, public listener bound to 0.0.0.0, real HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import pytest

from app.config import load_settings
from app.runtime import Runtime
from app.services.ports import checkout_base, checkout_url
from tests.conftest import TEST_VPUB

pytestmark = pytest.mark.slow


def test_the_order_of_bases():
    urls = {"private": "http://127.0.0.1:8470", "public": "http://192.168.1.5:8471",
            "shop": "https://shop.example", "onion": "http://abc.onion"}
    assert checkout_base(urls, store_url="https://store.example") == "https://store.example"
    assert checkout_base(urls, over_tor=True) == "http://abc.onion"
    assert checkout_base(urls) == "https://shop.example"
    assert checkout_base({**urls, "shop": ""}) == "http://192.168.1.5:8471"
    no_lan = {"private": urls["private"], "public": "http://0.0.0.0:8471", "onion": urls["onion"]}
    assert checkout_base(no_lan, request_origin="http://localhost:8470") == "http://localhost:8470"
    assert checkout_base(no_lan) == "http://abc.onion"  # no request (e-mail, the window): onion, then private
    assert checkout_url({"public": "http://[::]:8471", "private": urls["private"]}, "inv_1") == \
        "http://127.0.0.1:8470/i/inv_1"
    assert checkout_base({"public": "http://0.0.0.0:1"}) is None


async def _post(url: str, key: str, body: dict) -> dict:
    scheme = "token" if "/greenfield/" in url else "Bearer"  # BTCPay's scheme / the REST API's
    headers = {"Authorization": f"{scheme} {key}"}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as resp:
        assert resp.status in (200, 201), await resp.text()
        return await resp.json()


@pytest.mark.parametrize("public_url", [None, "https://pay.example.com"])
async def test_links_from_a_listener_bound_to_all_interfaces(tmp_path, public_url):
    extra = {"public_url": public_url} if public_url else {}
    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "private_port": 0,
                                  "public_enabled": True, "public_host": "0.0.0.0", "public_port": 0, **extra})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        services = runtime.services
        assert "public" in runtime.urls, runtime.urls
        wallet = await services.wallets.add_wallet("w", TEST_VPUB)
        store = await services.stores.create("Shop", default_currency="BTC", wallet_ids=[wallet.id])
        key = (await services.apikeys.create("t", ["full"])).key.reveal()
        private = runtime.urls["private"]
        gf = await _post(f"{private}/greenfield/api/v1/stores/{store.id}/invoices/", key, {"amount": "0.001"})
        rest = await _post(f"{private}/api/v1/stores/{store.id}/invoices", key, {"price": "0.001"})
        for link, invoice_id in ((gf["checkoutLink"], gf["id"]), (rest["checkout_url"], rest["id"])):
            host = urlsplit(link).hostname
            assert host not in ("0.0.0.0", "::") and link.endswith(f"/i/{invoice_id}"), link
            if public_url:
                assert link == f"{public_url}/i/{invoice_id}"
            else:  # a LAN address of the public listener, else this request's own origin
                assert link.startswith(runtime.urls["public"] if "0.0.0.0" not in runtime.urls["public"]
                                       else private), (link, runtime.urls)
        mail_link = services.email.invoice_link(store, rest["id"])
        assert mail_link is not None and "0.0.0.0" not in mail_link

        await services.stores.update(store.id, {"email": {"public_url": "https://store.example"}})
        again = await _post(f"{private}/greenfield/api/v1/stores/{store.id}/invoices", key, {"amount": "0.001"})
        assert again["checkoutLink"] == f"https://store.example/i/{again['id']}"
    finally:
        await runtime.stop()
