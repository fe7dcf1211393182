"""The mailer against real NATS, Postgres and a real SMTP server (aiosmtpd) started per test.

`mailer_harness(...)` runs one mailer replica on a database and a subject prefix of its own,
a stand-in for the rendering service's `rendering.rpc.artifact.get` (see `FakeRendering`),
and records the `events.email.*` the mailer emits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import nats
import pytest
from aiosmtpd.controller import Controller

from billwire_cli.embedded import free_port
from billwire_mailer.app import MailerService, MailerSettings
from billwire_shared import subjects
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.rendering import (
    Artifact,
    ArtifactChunk,
    DocumentRendered,
    GetArtifactChunk,
)
from billwire_shared.errors import ERROR_HEADER, ErrorCode, ErrorReply
from billwire_shared.ids import new_id
from billwire_shared.subjects import Names
from tests.servers import fresh_database

_prefixes = itertools.count(1)


# -- a real SMTP server ----------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    at: float
    peer: Any = None  # the client's (host, port): one per connection


@dataclass
class SmtpSink:
    """aiosmtpd handler: records every accepted message; can refuse recipients with 550 and
    answer DATA with 451 a number of times first."""

    reject: set[str] = field(default_factory=set)  # RCPT TO these gets 550
    fail_data: int = 0  # answer this many DATA commands with 451 first
    hang_up: int = 0  # take this many messages, then drop the connection instead of answering
    per_connection: int = 0  # after this many messages on one connection, MAIL gets a 421 and it closes
    received: list[Received] = field(default_factory=list)
    data_attempts: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.per_connection and getattr(session, "messages", 0) >= self.per_connection:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_attempts.append(time.monotonic())
            if self.fail_data > 0:
                self.fail_data -= 1
                return "451 4.3.0 Temporary local problem, try again later"
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, time.monotonic(), session.peer))
            session.messages = getattr(session, "messages", 0) + 1
            if self.hang_up > 0:
                self.hang_up -= 1
                server.transport.close()  # the reply never reaches the client
        return "250 2.0.0 Ok: queued"


@contextlib.contextmanager
def smtp_server(sink: SmtpSink, port: int | None = None):
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Any:
    sink = SmtpSink()
    with smtp_server(sink) as controller:
        yield sink, controller.port


# -- stands in for the rendering service -----------------------------------------------------


class FakeRendering:
    """Stands in for the rendering service's `rendering.rpc.artifact.get` contract
    (`GetArtifactChunk` -> `ArtifactChunk`, or an ErrorReply), so the mailer is tested alone:
    it serves bytes this test made, in small chunks so that transfers take several requests.
    The e2e and cluster tests run the real rendering service."""

    def __init__(self, nc: nats.NATS, names: Names, chunk_bytes: int = 64 * 1024) -> None:
        self.nc, self.names, self.chunk_bytes = nc, names, chunk_bytes
        self.files: dict[UUID, tuple[UUID, Artifact, bytes]] = {}
        self.requests = 0

    def add(self, account_id: UUID, data: bytes, filename: str = "INV-2026-0001.pdf", media_type: str = "application/pdf") -> Artifact:
        artifact = Artifact(
            id=new_id(), document_id=new_id(), version=1, preview=False, filename=filename,
            media_type=media_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            template="classic", language="en", created_at=datetime.now(UTC),
        )
        self.files[artifact.id] = (account_id, artifact, data)
        return artifact

    async def start(self) -> None:
        await self.nc.subscribe(self.names.subject(subjects.ARTIFACT_GET), queue="rendering", cb=self._serve)

    async def _serve(self, msg: Any) -> None:
        self.requests += 1
        request = msgspec.json.decode(msg.data, type=GetArtifactChunk)
        found = self.files.get(request.artifact_id)
        if found is None or found[0] != request.ctx.account_id:
            error = ErrorReply(code=ErrorCode.NOT_FOUND, message=f"Artifact {request.artifact_id} was not found.")
            await self.nc.publish(msg.reply, msgspec.json.encode(error), headers={ERROR_HEADER: error.code.value})
            return
        _, artifact, data = found
        part = data[request.offset: request.offset + self.chunk_bytes]
        last = request.offset + len(part) >= len(data)
        await msg.respond(msgspec.json.encode(ArtifactChunk(artifact=artifact, offset=request.offset, data=part, last=last)))


# -- the harness -----------------------------------------------------------------------------


@dataclass
class Harness:
    service: MailerService
    names: Names
    nc: nats.NATS
    rendering: FakeRendering
    events: list[Event] = field(default_factory=list)

    @property
    def pool(self) -> Any:
        return self.service.pool

    async def publish(self, event: Event, msg_id: str | None = None) -> None:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        await self.nc.jetstream().publish(self.names.subject(subjects.DOCUMENT_RENDERED), msgspec.json.encode(event), headers=headers)

    async def rendered(self, send: SendRequest | None, artifact: Artifact, **more: Any) -> Event:
        """Publish `events.document.rendered` for `send` as the rendering service would."""
        account_id = send.account_id if send else UUID(int=1)
        data = DocumentRendered(
            account_id=account_id, document_id=artifact.document_id, version=1, artifact=artifact, send=send, **more
        )
        event = Event(id=new_id(), type="document.rendered", occurred_at=datetime.now(UTC), account_id=account_id, data=data)
        await self.publish(event, str(event.id))
        return event

    async def rendered_send(self, pdf_size: int = 200_000, timeout: float = 20.0) -> SendRequest:
        """A new send whose PDF (`pdf_size` bytes) the rendering stand-in announces; back once the
        mailer reported on it with an event."""
        send = new_send()
        await self.rendered(send, self.rendering.add(send.account_id, pdf_bytes(pdf_size)))
        await self.wait_for(lambda: self.of(send.id), timeout=timeout)
        return send

    def of(self, send_id: UUID, kind: str | None = None) -> list[Event]:
        return [e for e in self.events if e.data["send_request_id"] == str(send_id) and (kind is None or e.type == kind)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.05)

    async def request(self, subject: str, body: Any) -> Any:
        msg = await self.nc.request(self.names.subject(subject), msgspec.json.encode(body), timeout=10)
        return msg


async def answering(nc: nats.NATS, names: Names) -> None:
    """Wait until the mailer's RPC subscriptions have reached the server (another connection's
    request may otherwise arrive first and find no responders); `get` is subscribed last."""
    probe = msgspec.json.encode({"ctx": {"account_id": str(UUID(int=0))}})
    async with asyncio.timeout(10):
        while True:
            try:
                await nc.request(names.subject(subjects.MAILER_QUOTA_GET), probe, timeout=1)
                return
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                await asyncio.sleep(0.05)


def new_send(account_id: UUID | None = None, **changes: Any) -> SendRequest:
    values: dict[str, Any] = {
        "id": new_id(), "account_id": account_id or new_id(), "document_id": new_id(), "document_number": "INV-2026-0001",
        "document_type": "invoice", "version": 1, "sender_name": "Acme GmbH", "reply_to": "billing@acme.example",
        "to": ["ap@globex.example"], "cc": ["cfo@globex.example"], "bcc": [], "subject": "Invoice INV-2026-0001",
        "body": "Dear Globex,\n\nplease find attached invoice INV-2026-0001.\n\nAcme GmbH\n", "requested_at": datetime.now(UTC),
    }
    return SendRequest(**(values | changes))


def pdf_bytes(size: int = 200_000) -> bytes:
    """Bytes that look like a PDF and cover every byte value (base64 must round-trip them)."""
    body = bytes(range(256)) * (size // 256 + 1)
    return b"%PDF-1.7\n" + body[:size] + b"\n%%EOF\n"


@pytest.fixture
def mailer_harness(pg_admin_url: str, nats_url: str, bus_prefix: str):
    """Factory: `async with mailer_harness(smtp_port=..., **settings) as h:`."""

    @contextlib.asynccontextmanager
    async def start(smtp_port: int, **overrides: Any) -> AsyncIterator[Harness]:
        names = Names(f"{bus_prefix}_mail{next(_prefixes)}")
        async with fresh_database(pg_admin_url) as database_url:
            settings = MailerSettings(**{
                "database_url": database_url, "nats_url": nats_url, "prefix": names.prefix,
                "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_from": "invoices@billwire.test",
                "smtp_timeout": 5.0, "send_retry_delays": "0.3,0.6", "send_attempts": 4,
                "outbox_poll_interval": 0.2, "rpc_timeout": 5.0,
            } | overrides)
            nc = await nats.connect(nats_url)
            rendering = FakeRendering(nc, names)
            await rendering.start()
            service = MailerService(settings)
            harness = Harness(service, names, nc, rendering)

            async def collect(msg: Any) -> None:
                harness.events.append(msgspec.json.decode(msg.data, type=Event))

            await nc.subscribe(names.subject("events.email.>"), cb=collect)
            try:
                async with service.running():
                    await answering(nc, names)
                    yield harness
            finally:
                await nc.close()

    return start
