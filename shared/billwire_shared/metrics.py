"""Prometheus metrics every worker shares, and the small HTTP server that shows them.

Workers (invoices, rendering, mailer) serve no HTTP of their own (their probes ask over NATS),
so `BILLWIRE_METRICS_PORT` starts prometheus_client's own server on that port, `/metrics`
only. The gateway serves `/metrics` on its HTTP port instead (billwire_gateway.observability).

Series carry a `service` label: Prometheus adds the pod's labels, but several services may
share one process (the tests, the benchmarks) and one registry with it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from fast_depends.exceptions import ValidationError as DependsValidationError
from faststream import BaseMiddleware
from prometheus_client import Counter, Gauge, Histogram

from billwire_shared.errors import BillwireError

log = logging.getLogger("billwire.metrics")

MESSAGES_HANDLED = Counter(
    "billwire_messages_handled_total", "Bus messages (requests and events) a handler finished, by subject", ["service", "subject"]
)
MESSAGES_FAILED = Counter(
    "billwire_messages_failed_total",
    "Bus messages whose handler failed (an error that is not the caller's: retried events, 5xx replies)", ["service", "subject"],
)
MESSAGE_SECONDS = Histogram(
    "billwire_message_handling_seconds", "Time a handler took for one bus message, by subject", ["service", "subject"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
OUTBOX_BACKLOG = Gauge("billwire_outbox_backlog", "Committed events not yet published to JetStream (set by the publishing replica)", ["service"])
OUTBOX_LAG = Gauge(
    "billwire_outbox_lag_seconds", "Age of the oldest committed event not yet published (0: none waiting)", ["service"]
)
OUTBOX_PUBLISHED = Counter("billwire_outbox_published_total", "Events published from the outbox to JetStream", ["service"])
DEAD_LETTERS = Counter(
    "billwire_dead_letters_total", "Events given up on and kept in the dead-letter stream, by consumer", ["consumer"]
)


def _failed(exc: BaseException) -> bool:
    """A handler error that is the service's own, not a refusal of the caller's request."""
    if isinstance(exc, BillwireError):
        return exc.reply.http_status >= 500
    return not isinstance(exc, DependsValidationError)


class MessageMetrics:
    """FastStream middleware factory: counts and times each message a `service` handles.
    Innermost in the broker's chain, so it sees the handler's own exception (before
    `ErrorReplies` turns it into a reply or `Redelivery` into a delayed nak)."""

    def __init__(self, service: str, prefix: str = "") -> None:
        self.service = service
        self.strip = f"{prefix}." if prefix else ""

    def __call__(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _Measured(msg, context=context, metrics=self)

    def observe(self, raw: Any, seconds: float, failed: bool) -> None:
        """One message handled outside FastStream (billwire_shared.consumers.EventFeed)."""
        labels = (self.service, self.subject(raw))
        if failed:
            MESSAGES_FAILED.labels(*labels).inc()
        MESSAGE_SECONDS.labels(*labels).observe(seconds)
        MESSAGES_HANDLED.labels(*labels).inc()

    def subject(self, raw: Any) -> str:
        subject = getattr(raw, "subject", "") or "?"
        return subject[len(self.strip):] if self.strip and subject.startswith(self.strip) else subject


class _Measured(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, metrics: MessageMetrics) -> None:
        super().__init__(msg, context=context)
        self.metrics = metrics

    async def consume_scope(self, call_next, msg):  # type: ignore[override]
        labels = (self.metrics.service, self.metrics.subject(getattr(msg, "raw_message", None)))
        started = time.perf_counter()
        try:
            return await call_next(msg)
        except BaseException as exc:
            if _failed(exc):
                MESSAGES_FAILED.labels(*labels).inc()
            raise
        finally:
            MESSAGE_SECONDS.labels(*labels).observe(time.perf_counter() - started)
            MESSAGES_HANDLED.labels(*labels).inc()


class MetricsServer:
    """prometheus_client's HTTP server on `port` (a thread), stopped with the service."""

    def __init__(self, port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from other pods
        self.port, self.host = port, host
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(self.port, addr=self.host)
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
