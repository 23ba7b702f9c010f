"""Pairing, the device and session cookies, refusals (unpaired, revoked), PIN logins and lockouts."""

from __future__ import annotations

import pytest

from tests.terminal.conftest import CASHIER_PIN, log_in, pair

NOT_PAIRED = "This device is not paired (or was revoked): ask the owner for a pairing code"
GUARDED = ["/t/", "/t/sale", "/t/today", "/t/login/x", "/t/charge/abc", "/t/paid/abc", "/t/receipt/abc"]


@pytest.mark.parametrize("path", GUARDED)
async def test_unpaired_requests_are_refused_html_and_json(client, till, path):
    page = await client.get(path)
    assert page.status == 401 and page.content_type == "text/html"
    assert NOT_PAIRED in await page.text() and 'href="/t/pair"' in await page.text()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    api = await client.get(path, headers={"Accept": "application/json"})
    assert api.status == 401
    assert (await api.json())["error"] == {"code": "terminal_not_paired", "message": NOT_PAIRED + "."}
    forged = await client.get(path, cookies={"rw_device": "not-a-token"})
    assert forged.status == 401 and NOT_PAIRED in await forged.text()


@pytest.mark.parametrize("path", ["/t/pair", "/t/manifest.webmanifest", "/t/sw.js", "/t/offline.html",
                                  "/t/icons/icon-192.png", "/t/icons/icon-512.png"])
async def test_open_routes_answer_without_a_device(client, path):
    response = await client.get(path)
    assert response.status == 200, path


async def test_pairing_sets_a_device_cookie_once(client, till, aiohttp_client, services):
    form = await client.get(f"/t/pair?code={till.code.lower()}")
    assert f'value="{till.code}"' in await form.text()  # GET only shows the form: the code is still unused
    response = await pair(client, till.code)
    assert response.headers["Location"] == "/t/?paired=1"
    cookie = response.cookies["rw_device"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/t"
    assert int(cookie["max-age"]) > 300 * 86400
    people = await client.get("/t/")
    text = await people.text()
    assert people.status == 200 and "Who is selling?" in text and "Ana" in text and "Max" in text
    assert "This device is now a till" in await (await client.get("/t/?paired=1")).text()
    again = await client.post("/t/pair", data={"code": till.code}, allow_redirects=False)  # used up
    assert again.status == 400 and "not valid (or was used already)" in await again.text()
    assert "rw_device" not in again.cookies
    terminal = (await services.terminals.list())[0]
    assert terminal.state == "paired" and terminal.last_seen_address == "127.0.0.1"


async def test_pairing_attempts_are_limited_per_address(client, till):
    statuses = [(await client.post("/t/pair", data={"code": "WRONG123"})).status for _ in range(7)]
    assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]
    page = await client.post("/t/pair", data={"code": till.code})
    assert page.status == 429 and "Too many pairing attempts" in await page.text()
    assert "Retry-After" in page.headers


async def test_pin_login_wrong_pin_and_lockout(client, till):
    await pair(client, till.code)
    assert (await client.get("/t/sale", allow_redirects=False)).headers["Location"] == "/t/"  # nobody logged in
    form = await client.get(f"/t/login/{till.cashier.id}")
    assert 'type="password" inputmode="numeric"' in await form.text()
    wrong = await client.post(f"/t/login/{till.cashier.id}", data={"pin": "0000"})
    assert wrong.status == 401 and "Wrong PIN. 4 attempts left before a lockout." in await wrong.text()
    for _ in range(3):
        await client.post(f"/t/login/{till.cashier.id}", data={"pin": "0000"})
    last = await client.post(f"/t/login/{till.cashier.id}", data={"pin": "0000"})
    assert "Too many wrong PINs. This person is locked out: try again in 30 seconds." in await last.text()
    locked = await client.post(f"/t/login/{till.cashier.id}", data={"pin": CASHIER_PIN})  # right PIN, still locked
    assert "locked out" in await locked.text() and "rw_session" not in locked.cookies


async def test_login_session_cookie_and_logout(client, till):
    await pair(client, till.code)
    response = await log_in(client, till.cashier, CASHIER_PIN)
    cookie = response.cookies["rw_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/t"
    assert 11 * 3600 < int(cookie["max-age"]) <= 12 * 3600
    sale = await client.get("/t/sale")
    assert sale.status == 200 and "Ana" in await sale.text() and 'action="/t/logout"' in await sale.text()
    out = await client.post("/t/logout", allow_redirects=False)
    assert out.headers["Location"] == "/t/?out=1"
    assert (await client.get("/t/sale", allow_redirects=False)).status == 303
    assert (await client.get("/t/sale", headers={"Accept": "application/json"})).status == 401


async def test_someone_not_of_this_till_cannot_log_in(client, till, services):
    other = await services.staff.add("Zoe", "cashier", "9999", store_ids=[till.shop.store.id])
    await pair(client, till.code)
    assert "Zoe" not in await (await client.get("/t/")).text()
    refused = await client.post(f"/t/login/{other.id}", data={"pin": "9999"})
    assert refused.status == 404 and "may not log in on this till" in await refused.text()


async def test_revoked_terminal_is_refused_on_the_next_request(client, till, services):
    await pair(client, till.code)
    await log_in(client, till.cashier, CASHIER_PIN)
    assert (await client.get("/t/sale")).status == 200
    await services.terminals.revoke(till.terminal.id)
    refused = await client.get("/t/sale")
    assert refused.status == 401 and NOT_PAIRED in await refused.text()
    assert (await client.get("/t/sale", headers={"Accept": "application/json"})).status == 401


async def test_cross_site_posts_are_refused(client, till):
    response = await client.post("/t/pair", data={"code": till.code}, headers={"Origin": "https://evil.example",
                                                                               "Sec-Fetch-Site": "cross-site"})
    assert response.status == 403 and "another website" in await response.text()


async def test_requests_are_limited_per_terminal(client, till, services):
    from app.checkout_server.terminal.keys import REQUEST_LIMITER

    await pair(client, till.code)
    limiter = client.app[REQUEST_LIMITER]
    limiter.capacity, limiter.rate_per_s = 3, 0.001
    statuses = [(await client.get("/t/")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
