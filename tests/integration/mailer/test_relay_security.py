"""The mailer against relays that want more than plain SMTP: STARTTLS or implicit TLS, with a
user name and password (aiosmtpd with a certificate made for the test), a refused password,
and a certificate nobody vouches for while validation is on (the default)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from billwire_cli.embedded import free_port
from tests.integration.mailer.conftest import SmtpSink

USER, PASSWORD = "billwire", "s3cret pass"
# aiosmtpd warns about AUTH without STARTTLS; behind implicit TLS every byte is encrypted.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def server_tls(directory: Path) -> ssl.SSLContext:
    """A TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.crt", directory / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@dataclass
class GuardedSink(SmtpSink):
    """Records, per accepted message, whether it came over TLS and who had logged in."""

    sessions: list[tuple[bool, bytes | None]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append((encrypted, getattr(session.auth_data, "login", None)))
        return await super().handle_DATA(server, session, envelope)


def check_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@contextlib.contextmanager
def relay(sink: GuardedSink, context: ssl.SSLContext, implicit: bool) -> Iterator[int]:
    """A relay that accepts mail only after TLS (STARTTLS, or from the first byte) and a login."""
    port = free_port()
    # Behind implicit TLS aiosmtpd does not know the connection is encrypted: it is from the first byte.
    tls = {"ssl_context": context, "auth_require_tls": False} if implicit else {"tls_context": context, "require_starttls": True}
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=check_password, auth_required=True, **tls)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


async def send_through(mailer_harness, port: int, **settings) -> tuple[object, object]:
    async with mailer_harness(port, **settings) as h:
        send = await h.rendered_send(20_000, timeout=30)
        [event] = h.of(send.id)
        return send, event


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
async def test_tls_with_a_login_delivers_the_email(mailer_harness, tmp_path: Path, security: str, implicit: bool) -> None:
    """STARTTLS after the greeting, or TLS from the first byte (implicit): either way logged in."""
    sink = GuardedSink()
    with relay(sink, server_tls(tmp_path), implicit=implicit) as port:
        send, event = await send_through(
            mailer_harness, port, smtp_security=security, smtp_username=USER, smtp_password=PASSWORD, smtp_validate_certs=False,
        )
    assert event.type == "email.delivered", event.data
    [got] = sink.received
    assert sink.sessions == [(True, USER.encode())]  # over TLS, logged in
    assert email.message_from_bytes(got.content, policy=email.policy.default)["Message-ID"] == f"<{send.id}@billwire.test>"


async def test_a_refused_password_fails_the_send_with_the_relays_answer(mailer_harness, tmp_path: Path) -> None:
    sink = GuardedSink()
    with relay(sink, server_tls(tmp_path), implicit=False) as port:
        _, event = await send_through(
            mailer_harness, port, smtp_security="starttls", smtp_username=USER, smtp_password="wrong", smtp_validate_certs=False,
        )
    assert event.type == "email.failed" and "535" in event.data["reason"], event.data
    assert sink.received == []


async def test_a_certificate_nobody_vouches_for_is_refused_while_validation_is_on(mailer_harness, tmp_path: Path) -> None:
    sink = GuardedSink()
    with relay(sink, server_tls(tmp_path), implicit=True) as port:
        _, event = await send_through(mailer_harness, port, smtp_security="tls", smtp_username=USER, smtp_password=PASSWORD)
    assert event.type == "email.failed" and "certificate" in event.data["reason"].lower(), event.data
    assert sink.received == []
