"""app/core/hosts.py: the host and port rule shared by the receipt printer and the SMTP settings."""

from __future__ import annotations

import pytest

from app.core.hosts import is_host, tcp_port


@pytest.mark.parametrize("text", ["192.168.1.50", "::1", "fe80::1", "printer", "smtp.example.com", "a-b.c9"])
def test_hosts(text):
    assert is_host(text)


@pytest.mark.parametrize("text", ["", "not a host!", "-lead.example", "a..b", "x" * 254, "host:25", "é.example"])
def test_not_hosts(text):
    assert not is_host(text)


@pytest.mark.parametrize("value, port", [(9100, 9100), ("25", 25), (" 587 ", 587), (1, 1), ("65535", 65535)])
def test_ports(value, port):
    assert tcp_port(value) == port


@pytest.mark.parametrize("value", [0, 65536, "0", "99999", "", "x", "²", "9100.0", 9100.0, True, None, -1])
def test_not_ports(value):
    assert tcp_port(value) is None
