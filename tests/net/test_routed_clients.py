"""With a proxy or Tor-only mode, SMTP, webhooks and Apprise never connect directly nor resolve a name here.

A recording SOCKS5 relay (tests/privacy/socks_relay.py, which never resolves names either) stands in
for tor; real aiosmtpd servers (plain, STARTTLS, implicit TLS with a certificate for ``localhost``).
An audit hook records every name lookup the process makes.
"""

from __future__ import annotations

import sys
from email.message import EmailMessage

import aiohttp
import pytest

from app.net.lan import lan_addresses
from app.net.notify import AppriseProvider, DeliveryFailed
from app.net.proxy import OutboundPolicy, TorUnavailable
from app.net.smtp import RoutedTransport, SmtpError, SmtpMode, SmtpSettings
from tests.notifications.conftest import certs, smtp  # noqa: F401 (fixtures)
from tests.privacy.socks_relay import SocksRelay

_LOOKUPS: list[object] | None = None


def _audit(event: str, args: tuple) -> None:
    if _LOOKUPS is not None and event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        _LOOKUPS.append(args[0])


sys.addaudithook(_audit)


@pytest.fixture
async def relay():
    relay = SocksRelay("127.0.0.1", names={"localhost": "127.0.0.1", "mail.rw.test": "127.0.0.1"})
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "shop@example.com", "buyer@example.com", "Receipt"
    mail.set_content("Thank you")
    return mail


@pytest.mark.parametrize("mode", [SmtpMode.PLAIN, SmtpMode.STARTTLS, SmtpMode.TLS])
async def test_smtp_goes_through_the_proxy_with_remote_dns_and_verified_tls(mode, relay, smtp, certs):  # noqa: F811
    global _LOOKUPS
    inbox, port = await smtp.start(starttls=mode is SmtpMode.STARTTLS, implicit_tls=mode is SmtpMode.TLS)
    transport = RoutedTransport(OutboundPolicy(tor_socks=relay.address, tor_only=True))
    settings = SmtpSettings(host="localhost", port=port, mode=mode, from_address="shop@example.com")
    _LOOKUPS = []
    try:
        await transport(settings, message(), password=None, tls_context=certs.client_context())
        lookups = list(_LOOKUPS)
    finally:
        _LOOKUPS = None
    await inbox.wait(1)
    assert relay.destinations == [("localhost", port)]
    assert [h for h in lookups if h not in ("127.0.0.1",)] == [], "no name resolved locally (EHLO name included)"


@pytest.mark.parametrize("mode", [SmtpMode.STARTTLS, SmtpMode.TLS])
async def test_smtp_through_the_proxy_still_checks_the_server_name(mode, relay, smtp, certs):  # noqa: F811
    """The certificate is for localhost; a server reached as mail.rw.test must fail the TLS check."""
    _inbox, port = await smtp.start(starttls=mode is SmtpMode.STARTTLS, implicit_tls=mode is SmtpMode.TLS)
    transport = RoutedTransport(OutboundPolicy(proxy="socks5:" + relay.address))
    settings = SmtpSettings(host="mail.rw.test", port=port, mode=mode, from_address="shop@example.com")
    with pytest.raises(SmtpError) as failed:
        await transport(settings, message(), password=None, tls_context=certs.client_context())
    assert failed.value.code == SmtpError.TLS_FAILED
    assert relay.destinations == [("mail.rw.test", port)]


async def test_smtp_in_tor_only_mode_without_tor_refuses_instead_of_going_direct(smtp):  # noqa: F811
    _inbox, port = await smtp.start()
    transport = RoutedTransport(OutboundPolicy(tor_socks=None, tor_only=True))
    settings = SmtpSettings(host="127.0.0.1", port=port, mode=SmtpMode.PLAIN, from_address="shop@example.com")
    with pytest.raises(SmtpError) as failed:
        await transport(settings, message(), password=None, tls_context=None)
    assert failed.value.code == "tor_required" and failed.value.retryable


async def test_webhook_session_of_a_proxied_policy_asks_the_proxy(relay):
    policy = OutboundPolicy(proxy="socks5:" + relay.address)
    async with policy.session("http://hooks.rw.test:9/hook") as session:
        with pytest.raises(Exception):  # noqa: B017, PT011 - the relay refuses port 9; only the route matters
            await session.post("http://hooks.rw.test:9/hook", json={})
    assert relay.destinations == [("hooks.rw.test", 9)]


async def test_a_direct_connection_never_looks_up_an_onion_name():
    global _LOOKUPS
    policy = OutboundPolicy()
    _LOOKUPS = []
    try:
        async with aiohttp.ClientSession(connector=policy.shared_connector_factory()()) as session:  # webhooks'
            with pytest.raises(TorUnavailable):
                await session.post("http://abcdefghijklmnop.onion/hook", json={})
        lookups = list(_LOOKUPS)
    finally:
        _LOOKUPS = None
    assert [h for h in lookups if str(h).endswith(".onion")] == []


async def test_apprise_refuses_when_no_direct_connection_is_allowed():
    with pytest.raises(DeliveryFailed) as refused:
        await AppriseProvider(["json://127.0.0.1:9/"], routed=True).send("Paid", "Invoice paid")
    assert refused.value.code == AppriseProvider.NEEDS_DIRECT and not refused.value.retryable


def test_lan_addresses_never_ask_dns():
    global _LOOKUPS
    _LOOKUPS = []
    try:
        lan_addresses()
        lookups = list(_LOOKUPS)
    finally:
        _LOOKUPS = None
    assert lookups == []
