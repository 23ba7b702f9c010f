"""HTTPS for the public listener: the merchant's certificate, or a self-signed one we generate.

The self-signed certificate (EC P-256 by default, RSA 2048 on request) names localhost, 127.0.0.1 and
the machine's LAN addresses. It lives in the data directory (key file mode 0600) and is re-issued
when it nears expiry or the LAN addresses changed. Shoppers' browsers can't verify it, so the GUI
shows its SHA-256 fingerprint for them to compare.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.net.errors import TlsError

if TYPE_CHECKING:  # cryptography is imported lazily (only when TLS is on)
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

logger = logging.getLogger(__name__)

CERT_FILE = "public-cert.pem"
KEY_FILE = "public-key.pem"
VALIDITY_DAYS = 825
RENEW_BEFORE_DAYS = 30


@dataclass(frozen=True)
class TlsOptions:
    """Your options until Settings carries them: enabled + either cert/key paths or a self-signed dir."""

    enabled: bool = False
    cert_path: Path | None = None
    key_path: Path | None = None
    self_signed_dir: Path | None = None
    key_type: str = "ec"  # "ec" (P-256) or "rsa" (2048)


@dataclass(frozen=True)
class CertificateInfo:
    cert_path: Path
    key_path: Path
    fingerprint_sha256: str  # "AB:CD:..." as browsers show it
    self_signed: bool
    not_after: dt.datetime
    hosts: tuple[str, ...]


def fingerprint_sha256(cert_der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(cert_der).digest())


def _read(path: Path, code: str, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TlsError(f"Cannot read the TLS {what} {path}: {exc.strerror}.", code=code, field=f"public_tls_{what}") from None


def _parse_certificate(pem: bytes, path: Path) -> x509.Certificate:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise TlsError(f"{path} is not a PEM certificate.", code=TlsError.CERT_INVALID, field="public_tls_cert") from None


def _san_hosts(cert: x509.Certificate) -> tuple[str, ...]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(san.get_values_for_type(x509.DNSName)) + tuple(
        str(ip) for ip in san.get_values_for_type(x509.IPAddress))


def certificate_info(cert_path: Path, key_path: Path, *, self_signed: bool = False) -> CertificateInfo:
    """Read and check a certificate/key pair (readable, PEM, matching); raises TlsError with a code."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = _parse_certificate(_read(cert_path, TlsError.CERT_UNREADABLE, "cert"), cert_path)
    try:
        key = serialization.load_pem_private_key(_read(key_path, TlsError.KEY_UNREADABLE, "key"), password=None)
    except (ValueError, TypeError):
        raise TlsError(f"{key_path} is not an unencrypted PEM private key.", code=TlsError.KEY_UNREADABLE,
                       field="public_tls_key") from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(Encoding.DER, spki) != cert.public_key().public_bytes(Encoding.DER, spki):
        raise TlsError(f"The key {key_path} does not belong to the certificate {cert_path}.",
                       code=TlsError.CERT_INVALID, field="public_tls_key")
    not_after = cert.not_valid_after.replace(tzinfo=dt.UTC)
    if not_after < dt.datetime.now(dt.UTC):
        logger.warning("TLS certificate %s expired on %s", cert_path, not_after.date())
    return CertificateInfo(cert_path, key_path, fingerprint_sha256(cert.public_bytes(Encoding.DER)), self_signed,
                           not_after, _san_hosts(cert))


def _write_private(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, mode)  # umask may have cleared bits; never widen beyond `mode`
    os.replace(tmp, path)


def _new_key(key_type: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _key_usage(key_type: str) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(digital_signature=True, key_encipherment=key_type == "rsa", content_commitment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def _issue(hosts: list[str], key_type: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = _new_key(key_type)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RedWaves checkout (self-signed)")])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(key_type), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def default_hosts() -> list[str]:
    from app.net.lan import lan_addresses

    return ["localhost", "127.0.0.1", *lan_addresses()]


def ensure_self_signed(directory: Path, *, hosts: list[str] | None = None, key_type: str = "ec") -> CertificateInfo:
    """The self-signed certificate in ``directory``, (re)issued if missing, expiring or missing a host."""
    wanted = hosts if hosts is not None else default_hosts()
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if cert_path.exists() and key_path.exists():
        try:
            info = certificate_info(cert_path, key_path, self_signed=True)
        except TlsError as exc:
            logger.warning("self-signed certificate unusable (%s); issuing a new one", exc.code)
        else:
            fresh = info.not_after - dt.datetime.now(dt.UTC) > dt.timedelta(days=RENEW_BEFORE_DAYS)
            if fresh and set(wanted) <= set(info.hosts):
                return info
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = _issue(wanted, key_type)
    _write_private(key_path, key_pem, 0o600)
    _write_private(cert_path, cert_pem, 0o644)
    info = certificate_info(cert_path, key_path, self_signed=True)
    logger.info("issued a self-signed certificate for %s, SHA-256 %s", ", ".join(wanted), info.fingerprint_sha256)
    return info


def build_ssl_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """A server-side SSLContext (TLS 1.2+) for Listener(ssl_context=...); TlsError if the pair is unusable."""
    certificate_info(cert_path, key_path)  # clear, coded errors before ssl's terse ones
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_path, key_path)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"The certificate {cert_path} cannot be used: {exc}.", code=TlsError.CERT_INVALID,
                       field="public_tls_cert") from None
    return context


def server_tls(options: TlsOptions, *, hosts: list[str] | None = None) -> tuple[ssl.SSLContext, CertificateInfo] | None:
    """What the public listener needs: None when TLS is off, else its context and certificate info."""
    if not options.enabled:
        return None
    if options.cert_path is not None or options.key_path is not None:
        if options.cert_path is None or options.key_path is None:
            raise TlsError("Give both a certificate and its private key, or neither for a self-signed one.",
                           code=TlsError.CERT_INVALID, field="public_tls_key" if options.key_path is None else "public_tls_cert")
        info = certificate_info(options.cert_path, options.key_path)
    else:
        if options.self_signed_dir is None:
            raise TlsError("No directory for the self-signed certificate.", code=TlsError.CERT_INVALID)
        info = ensure_self_signed(options.self_signed_dir, hosts=hosts, key_type=options.key_type)
    return build_ssl_context(info.cert_path, info.key_path), info
