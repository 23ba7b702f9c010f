"""The installable till: manifest, icons, service worker, offline page (all answer without a device)."""

from __future__ import annotations

import struct

from app.checkout_server.terminal.pwa import OFFLINE_MESSAGE


async def test_manifest_names_the_till_and_its_icons(client):
    response = await client.get("/t/manifest.webmanifest")
    assert response.status == 200 and response.content_type == "application/manifest+json"
    manifest = await response.json(content_type=None)
    assert manifest["start_url"] == "/t/" and manifest["scope"] == "/t/" and manifest["display"] == "standalone"
    assert manifest["name"] == "RedWaves till"
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        body = await image.read()
        assert image.status == 200 and image.content_type == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", body[16:24])  # the IHDR chunk
        assert f"{width}x{height}" == icon["sizes"]
    assert sorted(icon["sizes"] for icon in manifest["icons"]) == ["192x192", "512x512"]


async def test_service_worker_caches_only_the_offline_page(client):
    response = await client.get("/t/sw.js")
    body = await response.text()
    assert response.status == 200 and response.content_type == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/t/" and response.headers["Cache-Control"] == "no-cache"
    assert 'cache.addAll([OFFLINE])' in body and 'var OFFLINE = "/t/offline.html"' in body
    assert body.count("cache.put") == 0


async def test_offline_page(client):
    response = await client.get("/t/offline.html")
    assert response.status == 200 and OFFLINE_MESSAGE in await response.text()
    assert OFFLINE_MESSAGE == "This till is offline. Payments cannot be taken until it reconnects."
    assert (await client.get("/t/icons/other.png")).status == 404
    assert (await client.get("/t/static/missing.js")).status == 404


async def test_the_till_without_its_slash(client):
    response = await client.get("/t", allow_redirects=False)
    assert response.status == 308 and response.headers["Location"] == "/t/"
