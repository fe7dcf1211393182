"""The asking side of request/reply: one NATS connection helper and one client that turns
Billwire's error header back into a `BillwireError`, for every caller (services, gateway, probe).

A reply carrying `ERROR_HEADER` is an `ErrorReply`: it is raised as the `BillwireError` the
answering service raised. Nobody answering (no responders, or no reply within the timeout)
is `ServiceNotAnswering`, a `BillwireError` with code SERVICE_UNAVAILABLE, so a caller that
only passes errors on needs no NATS exception of its own.

Deliberately light (nats-py and msgspec only, no FastStream, no OpenTelemetry unless tracing
is on): the health probe imports it on every run.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, TypeVar

import msgspec
import nats
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from billwire_shared.errors import ERROR_HEADER, BillwireError, ErrorCode, ErrorReply
from billwire_shared.subjects import Names
from billwire_shared.telemetry import outgoing_headers, span

log = logging.getLogger("billwire.bus")
ReplyType = TypeVar("ReplyType")
_encoder = msgspec.json.Encoder()
_error_decoder = msgspec.json.Decoder(ErrorReply)


def nats_servers(url: str) -> list[str]:
    """NATS_URL may name every node of a cluster: `nats://a:4222,nats://b:4222`."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def _log_nats_error(exc: Exception) -> None:
    log.warning("NATS: %s", exc)


async def connect_nats(url: str, **options: Any) -> NatsClient:
    """A NATS connection to every server `url` names; by default it reconnects forever and
    logs connection trouble as a warning (`options` override either, or add nats-py's own)."""
    options.setdefault("max_reconnect_attempts", -1)
    options.setdefault("error_cb", _log_nats_error)
    return await nats.connect(nats_servers(url), **options)


class ServiceNotAnswering(BillwireError):
    """Nobody answered a request: no replica listens on its subject, or none replied in time."""

    def __init__(self, service: str) -> None:
        super().__init__(ErrorCode.SERVICE_UNAVAILABLE, f"The {service} service is not answering; try again shortly.")
        self.service = service


def error_of(msg: Any) -> BillwireError | None:
    """The error a reply carries, if it is an error reply (`ERROR_HEADER` set); else None."""
    if not (msg.headers and ERROR_HEADER in msg.headers):
        return None
    try:
        reply = _error_decoder.decode(msg.data)
    except msgspec.DecodeError:  # an error reply whose body is not an ErrorReply: keep what it said
        code = msg.headers[ERROR_HEADER]
        reply = ErrorReply(
            code=ErrorCode(code) if code in ErrorCode.__members__ else ErrorCode.INTERNAL_ERROR,
            message=f"unreadable error reply: {msg.data[:200]!r}",
        )
    return BillwireError(reply.code, reply.message, list(reply.details), reply.status)


class BusClient:
    """Requests to other services over one NATS connection, under a deployment's prefix."""

    def __init__(self, nc: NatsClient, names: Names, timeout: float) -> None:
        self.nc, self.names, self.timeout = nc, names, timeout

    async def request(
        self, subject: str, payload: bytes, *, timeout: float | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """Send `payload` to `subject` (unprefixed) and return the reply's bytes; an error reply
        is raised as its BillwireError, no answer as ServiceNotAnswering."""
        full = self.names.subject(subject)
        # The request id, and when tracing a client span whose context the service continues.
        with span(f"{full} request", "CLIENT", {"messaging.system": "nats", "messaging.destination.name": full}):
            try:
                msg = await self.nc.request(full, payload, timeout=timeout or self.timeout, headers=outgoing_headers(headers))
            except (NoRespondersError, NatsTimeout) as exc:
                raise ServiceNotAnswering(subject.split(".", 1)[0]) from exc
        if (error := error_of(msg)) is not None:
            raise error
        return msg.data

    async def call(
        self, subject: str, command: Any, *, timeout: float | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """`request` with `command` encoded as JSON."""
        return await self.request(subject, _encoder.encode(command), timeout=timeout, headers=headers)

    async def ask(self, subject: str, command: Any, reply_type: type[ReplyType], *, timeout: float | None = None,
                  headers: dict[str, str] | None = None) -> ReplyType:
        """`call`, with the reply decoded as `reply_type`."""
        return _decoder(reply_type).decode(await self.call(subject, command, timeout=timeout, headers=headers))


@functools.cache
def _decoder(reply_type: type[ReplyType]) -> msgspec.json.Decoder[ReplyType]:
    return msgspec.json.Decoder(reply_type)
