"""Traces across every hop, and the request id and trace id on every log line.

One HTTP call is one trace: the gateway's span (Litestar's OpenTelemetry middleware), the NATS
request to a service (a client span here, its W3C `traceparent` in the message headers), the
service's handling (FastStream's NATS telemetry middleware continues the trace from those
headers), the events it causes (the outbox keeps the context with the event row and the
publisher continues it, so rendering and the mailer join the same trace hours later if need
be), and the mailer's SMTP conversation.

Tracing is on when spans have somewhere to go: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and `setup_tracing` installs the SDK with an
OTLP/HTTP exporter; or something else installed an SDK tracer provider first (a test's
in-memory exporter, `opentelemetry-instrument`). Off, nothing of the SDK is imported and no
middleware is added: the only cost is a `request-id` header and a context variable.

`request-id` travels in the same headers (and in the outbox row), so every log line of every
service says which HTTP request it serves, traced or not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import msgspec

REQUEST_ID: ContextVar[str] = ContextVar("billwire_request_id", default="")
REQUEST_ID_HEADER = "request-id"
TRACE_HEADERS = ("traceparent", "tracestate")
TRACER_NAME = "billwire"
_on = False  # once a real provider is installed it cannot be taken away again


def tracing_enabled() -> bool:
    """Whether spans are recorded: a real (SDK) tracer provider is installed. Without the
    OpenTelemetry API even imported there cannot be one."""
    global _on
    if _on:
        return True
    if "opentelemetry.trace" not in sys.modules:
        return False
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    _on = not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
    return _on


def setup_tracing(service: str, env: Mapping[str, str] | None = None) -> bool:
    """Install the SDK with a batching OTLP/HTTP exporter when an endpoint is configured (the
    exporter reads the other `OTEL_EXPORTER_OTLP_*` variables itself); whether it did."""
    env = os.environ if env is None else env
    if not (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return False
    if tracing_enabled():  # already set up (a second service in the same process)
        return True
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    log = logging.getLogger("billwire.telemetry")
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    if protocol != "http/protobuf":
        log.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported: traces go out as OTLP/HTTP (http/protobuf),"
                    " usually port 4318 of the collector", protocol)
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or f"billwire-{service}"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("traces go to %s over OTLP/HTTP", env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return tracing_enabled()


def current_trace_id() -> str:
    """The trace id (32 hex digits) of the span being handled, or "" outside one."""
    if not tracing_enabled():
        return ""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else ""


@contextlib.contextmanager
def span(name: str, kind: str = "INTERNAL", attributes: dict[str, Any] | None = None,
         parent: Mapping[str, str] | None = None) -> Iterator[Any]:
    """A span (current within the block) where no library makes one: a raw NATS request, an
    outbox publish, an SMTP conversation. `parent`: W3C headers to continue instead of the
    current context. Yields None when tracing is off."""
    if not tracing_enabled():
        yield None
        return
    from opentelemetry import propagate, trace

    context = propagate.extract(dict(parent)) if parent else None
    tracer = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(name, context=context, kind=getattr(trace.SpanKind, kind), attributes=attributes) as current:
        yield current


def mark_failed(exc: BaseException) -> None:
    """The current span (a message's processing) failed with `exc`, though the exception is
    answered (an error reply, a delayed redelivery) rather than raised through the span."""
    if not tracing_enabled():
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    if current.is_recording():
        current.record_exception(exc)
        current.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:200]))


def outgoing_headers(headers: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """`headers` plus the request id and, when tracing, the current span's W3C context."""
    request_id = REQUEST_ID.get()
    if not request_id and not tracing_enabled():
        return dict(headers) if headers else None
    out = dict(headers or {})
    if request_id:
        out.setdefault(REQUEST_ID_HEADER, request_id)
    if tracing_enabled():
        from opentelemetry import propagate

        propagate.inject(out)
    return out


def trace_headers() -> str | None:
    """What the outbox keeps with an event row: the request id and the W3C context of now, as
    JSON text; None when there is neither."""
    headers = outgoing_headers()
    return msgspec.json.encode(headers).decode() if headers else None


def stored_headers(text: str | None) -> dict[str, str]:
    """The headers `trace_headers` stored (nothing for rows written before the column existed)."""
    if not text:
        return {}
    try:
        stored = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return {}
    return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}


@contextlib.contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """Log lines inside the block carry `request_id`."""
    token = REQUEST_ID.set(request_id or "")
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class LogContext(logging.Filter):
    """Adds `request_id` and `trace_id` to every record the handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.trace_id = current_trace_id()
        return True
