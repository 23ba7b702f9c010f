"""What the window asks of the exposure (LAN, TLS, Tor changes) and what it is shown back (ExposureState).

Plain values: the runtime's ``ExposureController`` (app/exposure_control.py) applies a change live and
answers with the new state; Settings → Exposure and the wizard build the changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.net.guarded import StartError
    from app.net.tls import CertificateInfo
    from app.net.tor import TorStatus


@dataclass(frozen=True)
class LanChange:
    """The public (LAN) listener: on/off, where it binds, and the shop's public URL (as typed)."""

    enabled: bool
    host: str
    port: int
    public_url: str = ""  # "" = none; validated like the setting public_url


@dataclass(frozen=True)
class TlsChange:
    """HTTPS on the public listener: both paths for the merchant's certificate, neither for self-signed."""

    enabled: bool
    cert_path: Path | None = None
    key_path: Path | None = None


@dataclass(frozen=True)
class TorChange:
    enabled: bool
    mode: str = "launch"  # "launch" our own tor, or "attach" to a running one
    control: str = "127.0.0.1:9051"  # attach: tor's control port (host:port or unix:/path)


@dataclass(frozen=True)
class ExposureState:
    """How shoppers reach the checkout right now, and the settings behind it."""

    lan_enabled: bool = False
    public_host: str = "0.0.0.0"
    public_port: int = 8471
    public_url: str | None = None  # the setting (e.g. https://shop.example)
    serving_url: str | None = None  # the public listener's own URL while it serves
    lan_urls: tuple[str, ...] = ()  # what phones on the LAN can open (one per address for a wildcard bind)
    problem: StartError | None = None  # why the public listener is not serving
    tls_enabled: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    certificate: CertificateInfo | None = None  # the certificate the public listener uses (or will use)
    tor_enabled: bool = False
    tor_mode: str = "launch"
    tor_control: str = "127.0.0.1:9051"
    tor: TorStatus | None = None  # None while tor is off
    config_file: Path | None = None  # where changes are saved
    locked: Mapping[str, str] = field(default_factory=dict)  # setting -> "REDWAVES_X" / "the command line"
    available: bool = True  # False: this RedWaves runs without listeners (tools, tests)

    @property
    def shop_url(self) -> str | None:
        """The URL checkout links use for the public listener: the public URL, else the listener's own."""
        if self.serving_url is None:
            return None
        return self.public_url or (self.lan_urls[0] if self.lan_urls else self.serving_url)

    @property
    def onion_url(self) -> str | None:
        return self.tor.onion_url if self.tor is not None else None
