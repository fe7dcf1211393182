"""The mailer's I/O at its edges: the SMTP relay, and the PDF bytes from the rendering service."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from uuid import UUID

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from aiosmtplib.typing import SMTPStatus
from nats.errors import Error as NatsError

from billwire_mailer.domain import RecipientsRefused
from billwire_shared import subjects
from billwire_shared.bus_client import BusClient, ServiceNotAnswering
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.rendering import (
    Artifact,
    ArtifactChunk,
    GetArtifactChunk,
)
from billwire_shared.errors import BillwireError

Security = Literal["none", "starttls", "tls"]
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Relay:
    """The SMTP relay every e-mail goes through, and how long its connections are kept."""

    host: str
    port: int
    security: Security = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    validate_certs: bool = True
    local_hostname: str = "localhost"  # what EHLO says (never a slow reverse DNS lookup)
    reuse_messages: int = 100  # e-mails over one connection before it is closed (1: a connection each)
    idle_seconds: float = 15.0  # an idle connection older than this is closed, not used again


@dataclass
class Handover:
    """How one attempt records that its final dot goes out, and whether it did."""

    mark: Callable[[], Coroutine[Any, Any, None]]
    dot_written: bool = False


@dataclass
class _Kept:
    client: aiosmtplib.SMTP
    sent: int  # messages handed over on this connection
    idle_since: float = 0.0


class SmtpTransport:
    """SMTP conversations with the relay. Every recipient is checked (RCPT) before the message
    is handed over: if the relay refuses any, nothing is sent to anyone.

    A connection carries up to `reuse_messages` e-mails, one after the other (connect, TLS,
    EHLO and AUTH once, not per e-mail). A kept connection that the relay has closed meanwhile
    is noticed at MAIL FROM, before anything was handed over, and replaced by a new one."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._idle: list[_Kept] = []
        self._closing: set[asyncio.Task] = set()

    def _client(self) -> aiosmtplib.SMTP:
        r = self.relay
        return aiosmtplib.SMTP(
            hostname=r.host, port=r.port, username=r.username or None, password=r.password or None,
            use_tls=r.security == "tls", start_tls=r.security == "starttls", validate_certs=r.validate_certs,
            timeout=r.timeout, local_hostname=r.local_hostname,
        )

    async def _connect(self) -> _Kept:
        client = self._client()
        await client.connect()
        return _Kept(client, 0)

    def _take_idle(self) -> _Kept | None:
        now = time.monotonic()
        while self._idle:
            kept = self._idle.pop()  # the most recently used first
            if kept.client.is_connected and now - kept.idle_since < self.relay.idle_seconds:
                return kept
            self._say_goodbye(kept.client)
        return None

    def _release(self, kept: _Kept) -> None:
        if kept.sent >= self.relay.reuse_messages or not kept.client.is_connected:
            self._say_goodbye(kept.client)
            return
        kept.idle_since = time.monotonic()
        self._idle.append(kept)

    def _say_goodbye(self, client: aiosmtplib.SMTP) -> None:
        """QUIT in the background: the reply that mattered is in."""
        task = asyncio.create_task(_quit(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """QUIT every kept connection (the service is stopping)."""
        while self._idle:
            self._say_goodbye(self._idle.pop().client)
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=self.relay.timeout)

    async def _begin(self, sender: str) -> _Kept:
        """A connection on which the relay accepted MAIL FROM."""
        kept = self._take_idle()
        if kept is not None:
            try:
                await kept.client.mail(sender)
                return kept
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError):
                kept.client.close()  # closed by the relay while it was idle: nothing was handed over
            except aiosmtplib.SMTPResponseException as exc:
                kept.client.close()
                if exc.code != SMTPStatus.domain_unavailable:  # 421: the relay is closing it; else a real answer
                    raise
        kept = await self._connect()
        try:
            await kept.client.mail(sender)
        except BaseException:
            kept.client.close()
            raise
        return kept

    async def send(self, sender: str, recipients: list[str], message: bytes, handover: Handover) -> str:
        """Hand `message` to the relay; returns its final reply (e.g. `250 2.0.0 Ok: queued`).

        A relay discards content that never ended, so nothing before the final dot can deliver
        the message and anything after it may have. `handover.mark` records that moment: it is
        started once the envelope was accepted and the content went out, and runs up to its
        first wait (its write to the database) right before the dot is written, with no chance
        for this process to stall in between; its result is awaited after the relay answered.
        A process that dies around the dot has thus, within microseconds, written both or
        neither. A mark that fails at once stops the hand-over before the dot."""
        kept = await self._begin(sender)
        client = kept.client
        try:
            refused = []
            for recipient in recipients:
                try:
                    await client.rcpt(recipient)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    refused.append(exc)
            if refused:
                try:
                    await client.rset()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
                else:
                    self._release(kept)
                raise RecipientsRefused(refused)
            reply = await _data(client, message, handover)
        except RecipientsRefused:
            raise
        except BaseException:
            client.close()
            raise
        kept.sent += 1
        self._release(kept)
        return f"{reply.code} {reply.message}"


async def _data(client: aiosmtplib.SMTP, message: bytes, handover: Handover) -> aiosmtplib.SMTPResponse:
    """DATA as aiosmtplib's `SMTP.data` does it (same quoting, line endings and lock), with the
    final dot held back until the hand-over's mark is on its way."""
    protocol = client.protocol
    if protocol is None or protocol._command_lock is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    content = PERIOD_REGEX.sub(b"..", message if _crlf_only(message) else normalize_message_line_endings(message))
    timeout = client.timeout
    try:
        async with protocol._command_lock:
            protocol._response_pending = True
            protocol.write(b"DATA\r\n")
            start = await protocol.read_response(timeout=timeout)
            if start.code != SMTPStatus.start_input:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
            await _write_through(protocol, content, timeout)
            marking = start_now(handover.mark())
            protocol._response_pending = True
            protocol.write(b".\r\n")
            handover.dot_written = True
            try:
                response = await protocol.read_response(timeout=timeout)
            finally:
                with contextlib.suppress(Exception):  # the relay's answer (or its absence) decides
                    await marking
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
        client.close()
        raise
    if response.code != SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    return response


def _crlf_only(message: bytes) -> bool:
    """Whether every line, the last included, already ends in CRLF (as `domain.render` writes
    them): three scans in C instead of a regex substitution over the whole message."""
    pairs = message.count(b"\r\n")
    return message.endswith(b"\r\n") and message.count(b"\r") == pairs and message.count(b"\n") == pairs


def start_now(coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Run `coro` at once up to its first wait, the rest as a task (Python 3.12's eager task
    start): whatever it writes before that wait is written before the caller's next line."""
    try:
        first = coro.send(None)
    except StopIteration as stop:
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        done.set_result(stop.value)
        return done

    async def rest(waiting: Any) -> T:
        try:
            while True:
                if isinstance(waiting, asyncio.Future):
                    await asyncio.wait([waiting])
                else:  # a bare yield: let the loop run once
                    await asyncio.sleep(0)
                try:
                    waiting = coro.send(None)  # the awaited future's result, or its exception, goes in
                except StopIteration as stop:
                    return stop.value
        except asyncio.CancelledError:
            coro.close()
            raise

    return asyncio.ensure_future(rest(first))


async def _write_through(protocol: Any, data: bytes, timeout: float | None) -> None:
    """Write `data` and wait until all of it left this process for the kernel, which still
    sends it if the process dies next (so the final dot never overtakes unsent content)."""
    transport = protocol.transport
    transport.set_write_buffer_limits(high=0, low=0)  # pause while anything is buffered here
    try:
        protocol.write(data)
        async with asyncio.timeout(timeout):
            await protocol._drain_helper()
    except TimeoutError as exc:
        raise aiosmtplib.SMTPTimeoutError("timed out handing the message to the relay") from exc
    finally:
        if not transport.is_closing():
            transport.set_write_buffer_limits()


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    finally:
        client.close()


class ArtifactUnavailable(Exception):
    """The PDF could not be fetched now (no responder, timeout, broken transfer): try later."""


class ArtifactMissing(Exception):
    """The rendering service answered that the artifact does not exist: trying again won't help."""


async def fetch_artifact(bus: BusClient, account_id: UUID, artifact: Artifact, *, max_bytes: int) -> bytes:
    """The artifact's bytes through `rendering.rpc.artifact.get`, chunk by chunk, checked
    against the size and sha256 the rendering service reports."""
    if artifact.size > max_bytes:
        raise ArtifactMissing(f"the attachment is {artifact.size} bytes, more than the {max_bytes} allowed")
    parts: list[bytes] = []
    offset = 0
    ctx = Caller(account_id=account_id)
    while True:
        request = GetArtifactChunk(ctx=ctx, artifact_id=artifact.id, offset=offset)
        try:
            chunk = await bus.ask(subjects.ARTIFACT_GET, request, ArtifactChunk, headers={"account-id": str(account_id)})
        except ServiceNotAnswering as exc:
            raise ArtifactUnavailable(f"the rendering service did not answer: {exc.__cause__!r}") from exc
        except BillwireError as exc:
            if exc.reply.http_status == 404:
                raise ArtifactMissing(f"the rendering service has no artifact {artifact.id}: {exc.reply.message}") from exc
            raise ArtifactUnavailable(f"the rendering service answered {exc.reply.code}: {exc.reply.message}") from exc
        except (NatsError, TimeoutError) as exc:
            raise ArtifactUnavailable(f"the rendering service did not answer: {exc!r}") from exc
        if chunk.offset != offset or chunk.artifact.id != artifact.id:
            raise ArtifactUnavailable(f"the rendering service answered offset {chunk.offset} for {offset}")
        parts.append(chunk.data)
        offset += len(chunk.data)
        if offset > max_bytes:
            raise ArtifactMissing(f"the attachment is larger than the {max_bytes} bytes allowed")
        if chunk.last:
            stored = chunk.artifact
            break
        if not chunk.data:
            raise ArtifactUnavailable("the rendering service sent an empty chunk before the last")
    data = b"".join(parts)
    if len(data) != stored.size or hashlib.sha256(data).hexdigest() != stored.sha256:
        raise ArtifactUnavailable(f"the artifact's bytes do not match its size and sha256 ({len(data)} bytes received)")
    return data
