"""What the gateway shows of itself: Prometheus metrics of every routed request (Litestar's own
middleware, by route template, method and status) at `/metrics`, and, when tracing is on
(billwire_shared.telemetry), a server span per request from Litestar's OpenTelemetry plugin
that the bus calls made while answering continue."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from billwire_gateway.bus import ApiError
from billwire_shared.errors import ErrorCode, ErrorReply
from billwire_shared.telemetry import tracing_enabled

# Requests by `path` (the route template, never the raw path), `method` and `status_code`.
PROMETHEUS = PrometheusConfig(
    app_name="gateway", prefix="billwire_gateway", group_path=True, exclude=["^/metrics$"],
    buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
)
# A reverse proxy in front (the Ingress) sets one of these; Prometheus scraping the pod does not.
FORWARDED = (b"forwarded", b"x-forwarded-for", b"x-real-ip")


class MetricsController(Controller):
    """`/metrics` for Prometheus, scraped from inside the cluster. A request that came through a
    proxy (the public Ingress) is answered 404: the numbers are not for the internet."""

    include_in_schema = False

    @get("/metrics", sync_to_thread=False)
    def metrics(self, request: Request) -> Response[bytes]:
        if any(name in FORWARDED for name, _ in request.scope["headers"]):
            raise ApiError(ErrorReply(code=ErrorCode.NOT_FOUND, message="No such resource."))
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class RouteName:
    """Names the request's server span after its route template (`POST /api/v1/invoices/{id}/send`),
    once routing found it: the OpenTelemetry middleware runs before routing and knows only the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from opentelemetry import trace

        current = trace.get_current_span()
        template = scope.get("path_template")
        if template and current.is_recording():
            route = f"{scope.get('method', '')} {template}".strip()
            current.update_name(route)
            current.set_attribute("http.route", template)
        await self.app(scope, receive, send)


def middleware() -> list[Any]:
    """The app's outermost routed middleware: metrics always, the span's route name when tracing."""
    stack: list[Any] = [PROMETHEUS.middleware]
    if tracing_enabled():
        stack.append(DefineMiddleware(RouteName))
    return stack


def plugins() -> list[Any]:
    """Litestar's OpenTelemetry plugin when tracing is on (its module imports the ASGI
    instrumentation: not loaded otherwise)."""
    if not tracing_enabled():
        return []
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    return [OpenTelemetryPlugin(OpenTelemetryConfig(exclude=["^/metrics$", "^/health$"], exclude_spans=["receive", "send"]))]
