"""Seeing inside the running system, with every service real: a send through the gateway's HTTP
port is one trace from the HTTP request to the SMTP conversation, every log line of it names
the request and the trace, and each service's /metrics shows what it did.

The module runs its own system (database, subject prefix, invoices, rendering with Chromium,
mailer with a real SMTP server, the gateway under uvicorn): tracing is decided when a service
starts, and the session's stack started before this module installed its tracer provider.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from aiosmtpd.controller import Controller
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from billwire_cli.embedded import free_port
from billwire_gateway.app import GatewaySettings, create_app
from billwire_invoices.accounts.handlers import create_account
from billwire_invoices.app import InvoicesService
from billwire_invoices.settings import InvoicesSettings
from billwire_mailer.app import MailerService, MailerSettings
from billwire_rendering.app import RenderingService, RenderingSettings
from billwire_shared import subjects
from billwire_shared.telemetry import LogContext, tracing_enabled
from tests.deploy.monitoring import monitoring_queries, promql_metric_names
from tests.integration.mailer.conftest import SmtpSink
from tests.servers import delete_prefixed_streams, fresh_database
from tests.stack import BUYER, serve_over_http

PROFILE = {
    "company_name": "Traced GmbH", "vat_id": "DE136695976", "email": "billing@traced.example",
    "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
    "bank": {"account_holder": "Traced GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}


@dataclass
class System:
    base: str  # the gateway's URL
    prefix: str
    metrics: dict[str, str]  # service -> its /metrics URL
    spans: InMemorySpanExporter
    sink: SmtpSink
    relay_port: int
    logs: list[logging.LogRecord]
    invoices: InvoicesService


class Captured(logging.Handler):
    """Every record, with the request id and trace id the services' log handler adds."""

    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.INFO)
        self.into = into
        self.addFilter(LogContext())

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


def in_memory_spans() -> InMemorySpanExporter:
    """An exporter on the process's tracer provider (installed here unless one is already)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), provider
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def system(pg_admin_url: str, nats_url: str) -> AsyncIterator[System]:
    spans = in_memory_spans()
    assert tracing_enabled()
    logs: list[logging.LogRecord] = []
    capture = Captured(logs)
    root = logging.getLogger()
    root.addHandler(capture)
    level = root.level
    root.setLevel(logging.INFO)
    prefix = f"t{secrets.token_hex(4)}"
    sink = SmtpSink(fail_data=1)  # the first hand-over gets a 451: one retry to count
    relay = Controller(sink, hostname="127.0.0.1", port=free_port())
    relay.start()
    ports = {service: free_port() for service in ("invoices", "rendering", "mailer")}
    try:
        async with fresh_database(pg_admin_url) as database_url:
            common = {"database_url": database_url, "nats_url": nats_url, "prefix": prefix, "outbox_poll_interval": 0.2}
            invoices = InvoicesService(InvoicesSettings(**common, metrics_port=ports["invoices"]))
            rendering = RenderingService(RenderingSettings(**common, metrics_port=ports["rendering"], chromium_install=False,
                                                           render_pages=1, db_pool_size=4))
            mailer = MailerService(MailerSettings(
                **common, metrics_port=ports["mailer"], smtp_port=relay.port, smtp_from="billing@billwire.test",
                send_retry_delays="0.5,1", send_attempts=4,
            ))
            async with invoices.running(), rendering.running(), mailer.running():
                port = free_port()
                app = create_app(GatewaySettings(
                    nats_url=nats_url, prefix=prefix, rate_limit_per_minute=100_000, auth_failures_per_minute=100_000,
                ))
                async with serve_over_http(app, port) as base:
                    yield System(
                        base, prefix,
                        {name: f"http://127.0.0.1:{p}/metrics" for name, p in ports.items()} | {"gateway": f"{base}/metrics"},
                        spans, sink, relay.port, logs, invoices,
                    )
            await delete_prefixed_streams(nats_url, prefix)
    finally:
        relay.stop()
        root.removeHandler(capture)
        root.setLevel(level)
        spans.shutdown()  # later modules' spans are not kept


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sent(system: System) -> dict[str, Any]:
    """One invoice sent through the gateway (waiting for the delivery), as the tests below look at it."""
    assert system.invoices.pool is not None
    _, key = await create_account(system.invoices.pool, "Traced GmbH")
    async with httpx.AsyncClient(base_url=system.base, timeout=90) as http:
        headers = {"Authorization": f"Bearer {key.key}"}
        assert (await http.patch("/api/v1/settings/profile", json=PROFILE, headers=headers)).status_code == 200
        draft = await http.post("/api/v1/invoices", headers=headers, json={
            "client": BUYER | {"email": "ap@traced.example"}, "lines": [{"description": "Tracing", "quantity": "2", "unit_price": "90"}],
        })
        assert draft.status_code == 201, draft.text
        sent = await http.post(f"/api/v1/invoices/{draft.json()['id']}/send", params={"wait": 60}, json={},
                               headers=headers | {"X-Request-Id": f"trace-test-{secrets.token_hex(4)}"})
        assert sent.status_code == 202 and sent.json()["state"] == "delivered", sent.text
        return {"request_id": sent.headers["x-request-id"], "invoice": draft.json()["id"]}


def _by_id(spans: tuple[ReadableSpan, ...]) -> dict[int, ReadableSpan]:
    return {span.context.span_id: span for span in spans}


def _ancestry(span: ReadableSpan, spans: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    """`span` and its parents up to the root, root last."""
    chain = [span]
    while chain[-1].parent is not None and chain[-1].parent.span_id in spans:
        chain.append(spans[chain[-1].parent.span_id])
    return chain


async def _wait_for_smtp_span(system: System) -> ReadableSpan:
    async with asyncio.timeout(20):
        while True:
            done = [s for s in system.spans.get_finished_spans() if s.name == "smtp send" and s.status.is_ok]
            if done:
                return done[-1]
            await asyncio.sleep(0.1)


async def test_a_send_is_one_trace_from_the_http_request_to_the_smtp_conversation(system: System, sent: dict) -> None:
    smtp = await _wait_for_smtp_span(system)
    await asyncio.sleep(0.5)  # the consumer spans around it end right after
    spans = _by_id(system.spans.get_finished_spans())
    chain = _ancestry(smtp, spans)
    names = [span.name for span in reversed(chain)]  # root first
    root = chain[-1]
    assert root.kind == trace.SpanKind.SERVER and root.name == "POST /api/v1/invoices/{document_id}/send", names
    assert root.attributes["http.route"] == "/api/v1/invoices/{document_id}/send"
    prefix = system.prefix
    hops = [
        f"{prefix}.{subjects.DOCUMENT_SEND} request",  # the gateway asks the invoices service
        f"{prefix}.{subjects.DOCUMENT_SEND} process",  # which handles it (FastStream's span)
        f"{prefix}.{subjects.INVOICE_SEND_REQUESTED} publish",  # and its outbox publishes the event
        f"{prefix}.{subjects.INVOICE_SEND_REQUESTED} process",  # that rendering handles
        f"{prefix}.{subjects.DOCUMENT_RENDERED} publish",  # rendering's outbox
        f"{prefix}.{subjects.DOCUMENT_RENDERED} process",  # the mailer
        "smtp send",  # and its conversation with the relay
    ]
    positions = [names.index(hop) if hop in names else -1 for hop in hops]
    assert -1 not in positions and positions == sorted(positions), names
    assert {span.context.trace_id for span in chain} == {root.context.trace_id}
    assert smtp.kind == trace.SpanKind.CLIENT and smtp.attributes["server.port"] == system.relay_port
    # The retried attempt (the relay's 451) is in the same trace, failed.
    refused = [s for s in spans.values() if s.name == "smtp send" and not s.status.is_ok]
    assert refused and all(s.context.trace_id == root.context.trace_id for s in refused)
    # ... inside a processing of the event that failed (and was retried), not one that looks fine.
    for span in refused:
        attempt = spans[span.parent.span_id]
        assert attempt.name == f"{prefix}.{subjects.DOCUMENT_RENDERED} process" and not attempt.status.is_ok


async def test_every_log_line_of_the_send_names_its_request_and_trace(system: System, sent: dict) -> None:
    smtp = await _wait_for_smtp_span(system)
    trace_id = trace.format_trace_id(smtp.context.trace_id)
    ours = [record for record in system.logs if record.request_id == sent["request_id"]]
    loggers = {record.name for record in ours}
    assert "billwire.mailer" in loggers, sorted(loggers)  # "send ... delivered as ...", in the mailer
    assert all(record.trace_id == trace_id for record in ours), {(r.name, r.trace_id) for r in ours}
    delivered = [r for r in ours if r.name == "billwire.mailer" and "delivered as" in r.getMessage()]
    assert len(delivered) == 1


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    found = [value for (sample, have), value in samples.items() if sample == name and set(labels.items()) <= set(have)]
    assert found, f"no {name} with {labels}"
    return sum(found)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scraped(system: System, sent: dict) -> dict[str, str]:
    """Each service's /metrics once the send is done (the mailer's span ended: all of it counted)."""
    await _wait_for_smtp_span(system)
    async with httpx.AsyncClient(timeout=10) as http:
        responses = {service: await http.get(url) for service, url in system.metrics.items()}
    for service, response in responses.items():
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain"), service
    return {service: response.text for service, response in responses.items()}


async def test_every_service_shows_what_it_did_at_metrics(system: System, scraped: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        behind_proxy = await http.get(system.metrics["gateway"], headers={"X-Forwarded-For": "203.0.113.9"})
    assert behind_proxy.status_code == 404  # what came through the Ingress never sees them
    gateway = _samples(scraped["gateway"])
    route = "/api/v1/invoices/{document_id}/send"
    assert _value(gateway, "billwire_gateway_requests_total", path=route, method="POST", status_code="202") >= 1
    assert _value(gateway, "billwire_gateway_request_duration_seconds_count", path=route) >= 1
    invoices = _samples(scraped["invoices"])
    assert _value(invoices, "billwire_messages_handled_total", service="invoices", subject=subjects.DOCUMENT_SEND) >= 1
    assert _value(invoices, "billwire_message_handling_seconds_count", service="invoices", subject=subjects.EMAIL_DELIVERED) >= 1
    assert _value(invoices, "billwire_outbox_published_total", service="invoices") >= 1
    rendering = _samples(scraped["rendering"])
    assert _value(rendering, "billwire_messages_handled_total", service="rendering", subject=subjects.INVOICE_SEND_REQUESTED) >= 1
    assert _value(rendering, "billwire_render_seconds_count") >= 1
    assert _value(rendering, "billwire_outbox_published_total", service="rendering") >= 1
    mailer = _samples(scraped["mailer"])
    assert _value(mailer, "billwire_mail_deliveries_total", outcome="delivered") >= 1
    assert _value(mailer, "billwire_mail_retries_total") >= 1
    assert _value(mailer, "billwire_smtp_failures_total", kind="transient") >= 1
    assert _value(mailer, "billwire_messages_failed_total", service="mailer", subject=subjects.DOCUMENT_RENDERED) >= 1
    assert _value(mailer, "billwire_smtp_seconds_count") >= 2
    # There from the start, so that the first increase counts: the outbox's gauges, the dead letters.
    for service in ("invoices", "rendering", "mailer"):
        assert _value(_samples(scraped[service]), "billwire_outbox_backlog", service=service) >= 0
        assert _value(_samples(scraped[service]), "billwire_outbox_lag_seconds", service=service) >= 0
    assert _value(mailer, "billwire_dead_letters_total", consumer="mailer-rendered") == 0


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum")}


def metric_names(text: str) -> set[str]:
    """Every series name a /metrics text offers a query, with or without samples yet."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_every_metric_the_alerts_and_the_dashboard_query_exists(scraped: dict[str, str]) -> None:
    """The PrometheusRule and the Grafana dashboard in deploy/ parse as PromQL, and every
    billwire_* series they name is one a service really serves."""
    offered = set().union(*(metric_names(text) for text in scraped.values()))
    queries = monitoring_queries()
    assert len(queries) >= 10
    for where, query in queries:
        for name in promql_metric_names(query):
            if name.startswith("billwire_"):
                assert name in offered, f"{where}: {name} is served by no service ({query})"
