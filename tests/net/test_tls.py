"""Built-in HTTPS: generated self-signed certificate or the merchant's own, served by a real Listener."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import stat
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.checkout_server.listeners import Listener
from app.net.errors import TlsError
from app.net.tls import TlsOptions, build_ssl_context, certificate_info, ensure_self_signed, server_tls

HOSTS = ["localhost", "127.0.0.1", "192.0.2.10"]


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="<h1>shop</h1>", content_type="text/html")


@pytest.fixture
async def https_listener(tmp_path):
    started = []

    async def make(options: TlsOptions):
        context, info = server_tls(options, hosts=HOSTS)
        app = web.Application()
        app.router.add_get("/", _page)
        listener = Listener(app, "127.0.0.1", 0, name="public", ssl_context=context)
        await listener.start()
        started.append(listener)
        return listener, info

    yield make
    for listener in started:
        await listener.stop()


def test_self_signed_certificate_is_stored_privately_and_reused(tmp_path: Path):
    info = ensure_self_signed(tmp_path / "tls", hosts=HOSTS)
    assert stat.S_IMODE(info.key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(info.cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "192.0.2.10"]
    der = cert.public_bytes(serialization.Encoding.DER)
    assert info.fingerprint_sha256 == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert ensure_self_signed(tmp_path / "tls", hosts=HOSTS) == info  # reused, same fingerprint
    renewed = ensure_self_signed(tmp_path / "tls", hosts=[*HOSTS, "192.0.2.77"])  # the LAN address changed
    assert renewed.fingerprint_sha256 != info.fingerprint_sha256 and "192.0.2.77" in renewed.hosts


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
async def test_https_served_and_verified_with_the_generated_certificate(tmp_path, https_listener, key_type):
    listener, info = await https_listener(TlsOptions(enabled=True, self_signed_dir=tmp_path / "tls",
                                                     key_type=key_type))
    assert listener.url.startswith("https://127.0.0.1:")
    trusting = ssl.create_default_context(cafile=str(info.cert_path))
    async with aiohttp.ClientSession() as session:
        for host in ("127.0.0.1", "localhost"):
            async with session.get(f"https://{host}:{listener.port}/", ssl=trusting) as resp:
                assert resp.status == 200 and "shop" in await resp.text()
        with pytest.raises(aiohttp.ClientConnectorCertificateError):  # default trust store: not trusted
            await session.get(f"https://127.0.0.1:{listener.port}/")
    served = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", listener.port))
    der = ssl.PEM_cert_to_DER_cert(served)
    assert ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()) == info.fingerprint_sha256


async def test_merchant_certificate(tmp_path, https_listener):
    own = ensure_self_signed(tmp_path / "merchant", hosts=["localhost"])  # stands in for a CA-issued pair
    listener, info = await https_listener(TlsOptions(enabled=True, cert_path=own.cert_path, key_path=own.key_path))
    assert not info.self_signed and info.fingerprint_sha256 == own.fingerprint_sha256
    async with aiohttp.ClientSession() as session, session.get(
            f"https://localhost:{listener.port}/", ssl=ssl.create_default_context(cafile=str(own.cert_path))) as resp:
        assert resp.status == 200


def test_bad_certificates_give_coded_errors(tmp_path: Path):
    a = ensure_self_signed(tmp_path / "a", hosts=["localhost"])
    b = ensure_self_signed(tmp_path / "b", hosts=["localhost"])
    with pytest.raises(TlsError) as missing:
        build_ssl_context(tmp_path / "nope.pem", a.key_path)
    assert missing.value.code == TlsError.CERT_UNREADABLE and "nope.pem" in str(missing.value)

    with pytest.raises(TlsError) as unreadable:  # a directory can't be read, even by root
        certificate_info(tmp_path / "a", a.key_path)
    assert unreadable.value.code == TlsError.CERT_UNREADABLE
    with pytest.raises(TlsError) as no_key:
        certificate_info(a.cert_path, tmp_path / "missing-key.pem")
    assert no_key.value.code == TlsError.KEY_UNREADABLE

    with pytest.raises(TlsError) as mismatch:
        build_ssl_context(a.cert_path, b.key_path)
    assert mismatch.value.code == TlsError.CERT_INVALID
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(TlsError) as bad:
        server_tls(TlsOptions(enabled=True, cert_path=garbage, key_path=a.key_path))
    assert bad.value.code == TlsError.CERT_INVALID
    with pytest.raises(TlsError):
        server_tls(TlsOptions(enabled=True, cert_path=a.cert_path))  # key missing
    assert server_tls(TlsOptions(enabled=False)) is None
