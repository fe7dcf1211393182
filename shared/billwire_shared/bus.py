"""NATS wiring shared by every service: the broker, typed error replies, the EVENTS stream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg
import msgspec
import nats
from fast_depends.exceptions import ValidationError as DependsValidationError
from fast_depends.msgspec import MsgSpecSerializer
from faststream import BaseMiddleware, Response
from faststream.nats import NatsBroker
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from billwire_shared.bus_client import nats_servers
from billwire_shared.consumers import (
    Durable,
    ExhaustedWatch,
    Redelivery,
    ensure_advisory_stream,
    ensure_consumer,
    ensure_dead_letter_stream,
)
from billwire_shared.errors import (
    ERROR_HEADER,
    BillwireError,
    ErrorCode,
    ErrorReply,
    FieldError,
)
from billwire_shared.field_errors import field_error
from billwire_shared.subjects import Names
from billwire_shared.telemetry import REQUEST_ID_HEADER, mark_failed, request_context, tracing_enabled

log = logging.getLogger("billwire.bus")
JETSTREAM_WAIT = 120.0  # seconds a starting service waits for JetStream before it gives up


def error_response(reply: ErrorReply) -> Response:
    return Response(reply, headers={ERROR_HEADER: reply.code.value})


class ErrorReplies(BaseMiddleware):
    """Answer a request with a typed ErrorReply instead of leaving the caller to time out."""

    async def consume_scope(self, call_next, msg):  # type: ignore[override]
        reply = getattr(getattr(msg, "raw_message", None), "reply", "") or ""
        if not reply or reply.startswith("$JS.ACK"):  # an event, not a request: Redelivery decides
            return await call_next(msg)
        try:
            return await call_next(msg)
        except BillwireError as exc:
            return error_response(exc.reply)
        except DependsValidationError as exc:
            original = getattr(exc, "original_error", None)
            detail = field_error(original) if isinstance(original, msgspec.ValidationError) else FieldError(field="", message=str(exc))
            return error_response(ErrorReply(code=ErrorCode.VALIDATION_ERROR, message="The request is invalid.", details=[detail]))
        except (asyncpg.CharacterNotInRepertoireError, asyncpg.UntranslatableCharacterError) as exc:
            # Postgres stores no NUL characters; the gateway refuses them first, this is the backstop.
            return error_response(ErrorReply(
                code=ErrorCode.VALIDATION_ERROR, message="Text contains a character that cannot be stored.",
                details=[FieldError(field="", message=str(exc))],
            ))
        except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
                asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            mark_failed(exc)
            # The database is out of reach for a moment: the caller may retry (with its key).
            log.warning("database unavailable in %s: %r", getattr(msg, "subject", "?"), exc)
            return error_response(ErrorReply(code=ErrorCode.SERVICE_UNAVAILABLE, message="The database is busy or unreachable; retry shortly."))
        except Exception as exc:
            mark_failed(exc)
            log.exception("unhandled error in %s", getattr(msg, "subject", "?"))
            return error_response(ErrorReply(code=ErrorCode.INTERNAL_ERROR, message="Internal error; it has been logged."))


async def decode_json(msg: Any) -> Any:
    """Bodies are JSON written by msgspec; read them with msgspec too (not the stdlib)."""
    return msgspec.json.decode(msg.body) if msg.body else None


class _TaskCallbacks(logging.Filter):
    """FastStream 0.7.8 reports at INFO each subscriber task it sees ending ("callback for
    Task-16 is being executed..."): dozens of lines at every stop. Shown at DEBUG instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith("callback for Task-"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


class RequestContext(BaseMiddleware):
    """The `request-id` a message carries (a request from the gateway, an event from an outbox
    row) is the request id of every log line its handler writes."""

    async def consume_scope(self, call_next, msg):  # type: ignore[override]
        headers = getattr(msg, "headers", None) or {}
        with request_context(headers.get(REQUEST_ID_HEADER)):
            return await call_next(msg)


def create_broker(nats_url: str, *, service: str = "", prefix: str = "", **kwargs: Any) -> NatsBroker:
    """The broker of a service: msgspec in and out, typed error replies, redelivery; with
    `service`, its handlers are measured (billwire_shared.metrics) and, when tracing is on,
    traced by FastStream's own NATS telemetry middleware (outermost: the handlers run in its span)."""
    logger = logging.getLogger("billwire.faststream")
    if not any(isinstance(f, _TaskCallbacks) for f in logger.filters):
        logger.addFilter(_TaskCallbacks())
    # Redelivery before ErrorReplies: it must see a failure that ErrorReplies would turn into a reply.
    middlewares: list[Any] = [RequestContext, Redelivery, ErrorReplies]
    if service:
        from billwire_shared.metrics import MessageMetrics

        middlewares.append(MessageMetrics(service, prefix))
    if tracing_enabled():
        from faststream.nats.opentelemetry import NatsTelemetryMiddleware

        middlewares.insert(0, NatsTelemetryMiddleware())
    return NatsBroker(
        nats_servers(nats_url),
        serializer=MsgSpecSerializer(),
        decoder=decode_json,
        middlewares=middlewares,
        logger=logger,
        log_level=logging.DEBUG,
        **kwargs,
    )


def events_stream_config(names: Names, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=names.events_stream,
        subjects=[names.events_wildcard],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=120.0,
        max_age=30 * 24 * 3600.0,
    )


async def declare_jetstream(
    js: nats.js.JetStreamContext, names: Names, durables: Iterable[Durable], replicas: int = 1, *, within: float = JETSTREAM_WAIT,
    watch: ExhaustedWatch | None = None,
) -> None:
    """The EVENTS, dead-letter and delivery-limit streams, a service's durable consumers and its
    `watch`'s, created or updated once JetStream answers. A clustered JetStream elects its meta leader seconds after its servers
    start (and again after losing one); until then these requests time out or answer 503, and a
    service that gave up at the first one never started."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + within, 0.5
    while True:
        try:
            await ensure_events_stream(js, names, replicas)
            await ensure_dead_letter_stream(js, names, replicas)
            await ensure_advisory_stream(js, names, replicas)
            for durable in durables:
                await ensure_consumer(js, names, durable)
            if watch is not None:
                await watch.declare(js)
            return
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError) as exc:
            if loop.time() + delay > deadline:
                raise
            log.warning("JetStream is not answering yet (%r); declaring the streams again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def ensure_events_stream(js: nats.js.JetStreamContext, names: Names, replicas: int = 1) -> None:
    config = events_stream_config(names, replicas)
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)
