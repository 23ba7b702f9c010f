"""The one rule for where a merchant tells us to connect to (a network receipt printer, an SMTP server):
a host is an IP address (v4 or v6) or a DNS name (letters, digits and hyphens in dot-separated labels,
at most 253 characters); a port is a whole number from 1 to 65535. Callers raise their own error with
their own words and field."""

from __future__ import annotations

import ipaddress
import re

_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*$")


def is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return _HOST_NAME.match(text) is not None
    return True


def tcp_port(value: object) -> int | None:
    """``value`` (an int, or a string of ASCII digits) as a port from 1 to 65535; None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        return None
    return int(text)
