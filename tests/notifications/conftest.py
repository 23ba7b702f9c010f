"""A real SMTP peer (aiosmtpd, plain / STARTTLS / implicit TLS, optional AUTH) and a restartable service stack
(SQLite on tmp_path, the fake chain of tests/services, notifications on top)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.chain.keys import set_network
from app.chain.models import AddressesChanged, TipChanged
from app.config import load_settings
from app.core.payments import ObservedOutput
from app.db.engine import Database
from app.secrets import SecretStore
from app.services.container import build_services
from app.services.delivery.email import EmailService
from app.services.delivery.notification_channels import ChannelRegistry, TrayNotifier
from app.services.delivery.notifications import NotificationService
from app.services.delivery.retry import RetryPolicy
from tests.conftest import TEST_VPUB
from tests.services.conftest import FakeChain

USER, PASSWORD = "shop", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Certs:
    cert_path: str
    key_path: str
    pem: bytes

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_path, self.key_path)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.pem.decode())


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> Certs:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(pem)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return Certs(str(folder / "cert.pem"), str(folder / "key.pem"), pem)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait(self, count: int, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.messages) < count:  # noqa: ASYNC110 - filled from aiosmtpd's thread
                await asyncio.sleep(0.02)


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data is not None and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServers:
    certs: Certs
    started: list[Controller] = field(default_factory=list)

    async def start(self, *, port: int | None = None, starttls: bool = False, implicit_tls: bool = False,
                    auth: bool = False) -> tuple[Inbox, int]:
        inbox, port = Inbox(), port or free_port()
        kwargs: dict = {}
        if starttls:
            kwargs.update(tls_context=self.certs.server_context(), require_starttls=True)
        if implicit_tls:
            kwargs.update(ssl_context=self.certs.server_context())
        if auth:
            kwargs.update(authenticator=_authenticator, auth_require_tls=not implicit_tls and starttls,
                          auth_required=True)
        controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs)
        await asyncio.to_thread(controller.start)
        self.started.append(controller)
        return inbox, port

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()


@pytest.fixture
async def smtp(certs):
    servers = SmtpServers(certs)
    try:
        yield servers
    finally:
        await asyncio.to_thread(servers.stop_all)


FAST = RetryPolicy(base_delay_s=0.2, max_delay_s=0.5, poll_s=0.5, max_attempts=50)


@asynccontextmanager
async def service_stack(data_dir, *, tls_context=None, policy=FAST, tray=None):
    """Everything from the database to NotificationService, started; stopped in reverse."""
    set_network("regtest")
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    db = Database(settings.db_path)
    await db.start()
    svc = build_services(settings, db, FakeChain())
    await svc.rates.load()
    await svc.events.start()
    svc.engine._tick_s = 0.05
    await svc.engine.start()
    secrets = SecretStore("regtest")
    mail = EmailService(svc.stores, secrets, invoice_url=lambda invoice_id: f"http://shop.test/i/{invoice_id}",
                        tls_context=tls_context)
    notifications = NotificationService(svc.writer, svc.events, svc.stores, svc.invoices, mail,
                                        ChannelRegistry(mail, secrets, tray or TrayNotifier(), timeout_s=2),
                                        policy=policy)
    await notifications.start()
    svc.email, svc.notifications, svc.secrets = mail, notifications, secrets
    try:
        yield svc
    finally:
        await notifications.stop()
        await svc.engine.stop()
        await svc.events.stop()
        await db.stop()


async def make_store(svc, name="Shop", **settings):
    existing = await svc.wallets.list()
    wallet = existing[0] if existing else await svc.wallets.add_wallet("main", TEST_VPUB)
    return await svc.stores.create(name, default_currency="USD", wallet_ids=[wallet.id], **settings)


async def wait_status(svc, invoice_id, status, timeout_s=5.0):
    async with asyncio.timeout(timeout_s):
        while (invoice := await svc.invoices.get(invoice_id)).status != status:  # noqa: ASYNC110 - DB poll
            await asyncio.sleep(0.02)
    return invoice


async def pay(svc, invoice, *, confirm: bool):
    chain = svc.chain
    height = 201 if confirm else 0
    chain.outputs[invoice.address] = [ObservedOutput("ab" * 32, 0, invoice.amount_due_sat, height, True)]
    if confirm:
        chain.current.tip_height = 201
        svc.engine.on_chain_event(TipChanged(height=201))
    svc.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))


async def wait_deliveries(svc, store_id, predicate, timeout_s=10.0, channel="email"):
    notifications = svc.notifications
    async with asyncio.timeout(timeout_s):
        while True:
            rows = [r for r in await notifications.deliveries(store_id) if channel is None or r.channel == channel]
            if predicate(rows):
                return rows
            await asyncio.sleep(0.05)
