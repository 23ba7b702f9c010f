"""Item 3: failed logins are counted per key id and per peer; a valid key (or daemon login) is never
refused because of anyone else's failures, and the daemon's Basic auth is rate-limited too."""

from __future__ import annotations

import base64
import json
import time

from app.checkout_server.api.keys import API_LIMITS
from app.checkout_server.api.ratelimit import ApiLimits
from app.checkout_server.app import create_app
from app.checkout_server.daemon.app import LOGINS, create_daemon_app
from app.checkout_server.logins import FailedLogins, api_key_id
from app.secrets import Secret
from app.services.compat.bitcart.service import DaemonCredentials, DaemonParts, build_daemon_service
from tests.hardening.conftest import raw_request

FAST = 0.02  # penalty delay in these tests


def _api_app(services, *, public: bool = False):
    app = create_app(services, public=public)
    app[API_LIMITS] = ApiLimits(failed_auth=FailedLogins(5, 1, penalty_s=FAST))
    return app


async def _get(port: int, path: str, authorization: str | None, *, source: str = "127.0.0.1") -> int:
    head = f"GET {path} HTTP/1.1\nHost: 127.0.0.1"
    if authorization is not None:
        head += f"\nAuthorization: {authorization}"
    status, _h, _b = await raw_request(port, head, source=source)
    return status


async def test_valid_key_passes_after_anyone_elses_failures(serve, services):
    listener = await serve(public=False, app=_api_app(services))
    good = (await services.apikeys.bootstrap()).key.reveal()
    key_id = api_key_id(good)
    assert key_id is not None and len(key_id) == 12
    wrong_secret = f"rw_{key_id}_{'A' * 43}"
    statuses = []
    for guess in ["rw_000000000000_nope", "garbage", wrong_secret] * 10:  # 30 failures from 127.0.0.1
        statuses.append(await _get(listener.port, "/api/v1/stores", f"Bearer {guess}"))
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    started = time.perf_counter()
    assert await _get(listener.port, "/api/v1/stores", f"Bearer {good}") == 200  # same peer, same key id
    assert time.perf_counter() - started < 0.5  # no penalty for a valid key
    assert await _get(listener.port, "/api/v1/stores", f"Bearer {wrong_secret}") == 429


async def test_failures_are_counted_per_peer_and_per_key_id(serve, services):
    listener = await serve(public=False, app=_api_app(services))
    good = (await services.apikeys.bootstrap()).key.reveal()
    for _ in range(8):  # peer 127.0.0.2 spends its budget on garbage
        await _get(listener.port, "/api/v1/stores", "Bearer garbage", source="127.0.0.2")
    assert await _get(listener.port, "/api/v1/stores", "Bearer garbage", source="127.0.0.2") == 429
    assert await _get(listener.port, "/api/v1/stores", "Bearer garbage", source="127.0.0.3") == 401  # others: not
    # one key id guessed from many peers: its own budget runs out, wherever the guesses come from
    wrong = f"rw_{api_key_id(good)}_{'B' * 43}"
    statuses = [await _get(listener.port, "/api/v1/stores", f"Bearer {wrong}", source=f"127.0.1.{n}")
                for n in range(1, 9)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert await _get(listener.port, "/api/v1/stores", f"Bearer {good}", source="127.0.1.50") == 200
    other = await services.apikeys.create("other", ["stores:read"])
    assert await _get(listener.port, "/api/v1/stores", f"Bearer rw_{other.api_key.id}_x", source="127.0.1.51") == 401


async def test_greenfield_valid_key_passes_after_failures(serve, services):
    listener = await serve(public=False, app=_api_app(services))
    good = (await services.apikeys.bootstrap()).key.reveal()
    for _ in range(8):
        await _get(listener.port, "/greenfield/api/v1/api-keys/current", "token rw_000000000000_nope")
    assert await _get(listener.port, "/greenfield/api/v1/api-keys/current", "token rw_000000000000_nope") == 429
    assert await _get(listener.port, "/greenfield/api/v1/api-keys/current", f"token {good}") == 200


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


async def test_daemon_basic_auth_is_rate_limited_and_never_refuses_the_right_password(serve, services):
    credentials = DaemonCredentials(login="redwaves", password=Secret("s3cret-daemon-password"))
    parts = DaemonParts(writer=services.writer, events=services.events, wallets=services.wallets,
                        stores=services.stores, invoices=services.invoices, chain=services.chain,
                        network=services.settings.network)
    app = create_daemon_app(build_daemon_service(parts, credentials))
    app[LOGINS] = FailedLogins(10, 10, penalty_s=FAST)
    listener = await serve(public=False, app=app)
    answers = []
    started = time.perf_counter()
    for n in range(40):
        status, headers, body = await raw_request(
            listener.port, f"GET /spec HTTP/1.1\nHost: 127.0.0.1\nAuthorization: {_basic('redwaves', f'guess{n}')}")
        answers.append((json.loads(body)["error"]["message"], headers.get("retry-after")))
    elapsed = time.perf_counter() - started
    assert [m for m, _r in answers[:10]] == ["Unauthorized"] * 10
    assert all(m.startswith("Unauthorized: too many failed logins") and int(r) >= 1 for m, r in answers[10:])
    assert elapsed >= 30 * FAST  # each guess over the budget waits: guessing is slowed down, not only labelled
    status, _h, body = await raw_request(
        listener.port, f"GET /spec HTTP/1.1\nHost: 127.0.0.1\nAuthorization: {_basic('redwaves', 's3cret-daemon-password')}")
    assert status == 200 and "error" not in json.loads(body)


def test_api_key_id_is_the_public_prefix_only():
    assert api_key_id("rw_0123456789ab_secretpart") == "0123456789ab"
    assert api_key_id("rw_0123456789ab_") is None and api_key_id("rw_xyz_abc") is None
    assert api_key_id("Basic abc") is None
