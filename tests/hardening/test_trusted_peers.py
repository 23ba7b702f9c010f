"""The forwarded-header middleware's trusted-proxy decision is remembered per peer string
(app/checkout_server/exposure.py TrustedPeers): same answers as Exposure.trusts, bounded, and
forgotten when the exposure is replaced."""

from __future__ import annotations

from app.checkout_server.exposure import TrustedPeers, forwarded_client
from app.net.exposure import Exposure, parse_trusted_proxies


def test_trusted_peers_answers_as_the_exposure_does():
    exposure = Exposure(parse_trusted_proxies(["10.0.0.0/8", "::1"]))
    peers = TrustedPeers()
    for peer in ("10.1.2.3", "::1", "::ffff:10.0.0.9", "192.0.2.1", "garbage", "", None, "10.1.2.3"):
        assert peers.trusts(exposure, peer) == exposure.trusts(peer), peer
    assert forwarded_client("10.1.2.3", "203.0.113.7", exposure, peers) == "203.0.113.7"
    assert forwarded_client("192.0.2.1", "203.0.113.7", exposure, peers) == "192.0.2.1"


def test_trusted_peers_is_bounded_and_keeps_the_recent_ones():
    exposure = Exposure(parse_trusted_proxies(["10.0.0.0/8"]))
    peers = TrustedPeers(max_size=4)
    assert peers.trusts(exposure, "10.0.0.1")
    for n in range(100):  # a spray of addresses cannot grow it
        peers.trusts(exposure, f"192.0.2.{n}")
        peers.trusts(exposure, "10.0.0.1")  # recently used: kept
    assert len(peers) == 4 and peers.trusts(exposure, "10.0.0.1")


def test_no_trusted_proxy_means_no_parse_and_a_new_exposure_starts_over():
    peers = TrustedPeers()
    assert not peers.trusts(Exposure(), "127.0.0.1") and len(peers) == 0
    old = Exposure(parse_trusted_proxies(["127.0.0.1"]))
    assert peers.trusts(old, "127.0.0.1")
    new = Exposure(parse_trusted_proxies(["10.0.0.0/8"]))  # the settings changed: the cache must not answer
    assert not peers.trusts(new, "127.0.0.1") and peers.trusts(new, "10.0.0.2")
