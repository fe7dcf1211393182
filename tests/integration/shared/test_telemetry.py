"""Tracing is on exactly when OTEL_EXPORTER_OTLP_ENDPOINT says where spans go: a real service
process (the mailer, `python -m billwire_mailer`) then sends its spans over OTLP/HTTP to a real
receiver; without it the service loads nothing of the OpenTelemetry SDK and writes its log lines
with the request id all the same."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from billwire_shared import probe, subjects
from billwire_shared.settings import CommonSettings
from tests.servers import delete_prefixed_streams, fresh_database


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver: keeps each export request it is sent."""

    def __init__(self) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.server.exports.append(request)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def spans_of(receiver: Receiver) -> list[tuple[str, str]]:
    """(service.name, span name) of every span received."""
    found = []
    for export in receiver.exports:
        for resource_spans in export.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                found += [(attributes.get("service.name", ""), span.name) for span in scope.spans]
    return found


async def test_a_service_exports_its_spans_over_otlp_when_an_endpoint_is_set(pg_admin_url, nats_url, receiver) -> None:
    prefix = f"t{secrets.token_hex(4)}"
    async with fresh_database(pg_admin_url) as database_url:
        env = os.environ | {
            "DATABASE_URL": database_url, "NATS_URL": nats_url, "BILLWIRE_PREFIX": prefix, "BILLWIRE_SMTP_PORT": "9",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.server_port}", "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
        mailer = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "billwire_mailer", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            settings = CommonSettings(nats_url=nats_url, prefix=prefix)
            async with asyncio.timeout(60):
                while (await probe.check("mailer", settings, 2.0))[0] != probe.OK:  # a health request: one span
                    await asyncio.sleep(0.2)
                while not any(name.endswith(f"{subjects.MAILER_HEALTH} process") for _, name in spans_of(receiver)):
                    await asyncio.sleep(0.1)
        finally:
            mailer.terminate()
            await mailer.wait()
            await delete_prefixed_streams(nats_url, prefix)
    assert set(receiver.paths) == {"/v1/traces"}
    assert {service for service, _ in spans_of(receiver)} == {"billwire-mailer"}


def test_without_an_endpoint_nothing_of_the_sdk_is_loaded() -> None:
    """Off costs nothing: a service's broker, bus client and log set-up load no SDK, install no
    tracing middleware, and its log lines still carry the request id."""
    code = """
import asyncio, logging, sys
from billwire_shared.bus import create_broker
from billwire_shared.logs import configure_logging
from billwire_shared.telemetry import request_context, setup_tracing, tracing_enabled
import billwire_mailer.app, billwire_invoices.app, billwire_rendering.app
assert setup_tracing("mailer") is False and not tracing_enabled()
broker = create_broker("nats://127.0.0.1:4222", service="mailer")
names = [type(m).__name__ if not isinstance(m, type) else m.__name__ for m in broker.middlewares]
configure_logging("INFO")
with request_context("req-42"):
    logging.getLogger("billwire.test").info("hello")
print(names, sorted({m.split(".")[1] for m in sys.modules if m.startswith("opentelemetry.")}), file=sys.stderr)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "[request_id=req-42 trace_id=]: hello" in out.stdout, out.stdout
    middlewares, loaded = out.stderr.strip().splitlines()[-1].split("] [")
    assert "Telemetry" not in middlewares and "MessageMetrics" in middlewares, middlewares
    assert "'sdk'" not in loaded and "'exporter'" not in loaded, loaded
