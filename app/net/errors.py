"""Errors of the exposure layer (tor, TLS, ports). Each has a stable ``code`` the GUI and /health show."""

from __future__ import annotations

from app.core.errors import UserFacingError


class NetError(UserFacingError):
    """A network set-up problem the merchant can fix in the settings; str() says what and how."""

    code = "network_setup"
    http_status = 503


class TorError(NetError):
    NOT_FOUND = "tor_not_found"
    LAUNCH_FAILED = "tor_launch_failed"
    CONTROL_UNREACHABLE = "tor_control_unreachable"
    AUTH_FAILED = "tor_auth_failed"
    ONION_FAILED = "tor_onion_failed"
    DIED = "tor_died"
    REQUIRED = "tor_required"
    SOCKS_FAILED = "tor_socks_failed"

    code = LAUNCH_FAILED


class TlsError(NetError):
    CERT_UNREADABLE = "tls_cert_unreadable"
    KEY_UNREADABLE = "tls_key_unreadable"
    CERT_INVALID = "tls_cert_invalid"

    code = CERT_INVALID


class PortInUse(NetError):
    code = "port_in_use"


class InvalidTrustedProxy(NetError):
    code = "invalid_trusted_proxy"
    http_status = 422
