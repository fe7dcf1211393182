"""Wires the gateway: the NATS connection, auth and limits, routes, OpenAPI (settings in settings.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

from litestar import Litestar, Router, asgi
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from billwire_gateway import observability
from billwire_gateway.bus import Bus
from billwire_gateway.controllers.agents import AgentsController
from billwire_gateway.controllers.approvals import ApprovalController
from billwire_gateway.controllers.archive import ArchiveController
from billwire_gateway.controllers.clients import ClientController, ProductController
from billwire_gateway.controllers.documents import DocumentController, InvoiceController
from billwire_gateway.controllers.files import (
    CancellationFilesController,
    DocumentPdfController,
    InvoicePdfController,
    LogoController,
)
from billwire_gateway.controllers.lifecycle import (
    DocumentActionsController,
    InvoiceLifecycleController,
)
from billwire_gateway.controllers.recurring import RecurringController
from billwire_gateway.controllers.reports import ReportController
from billwire_gateway.controllers.settings import SettingsController
from billwire_gateway.controllers.system import SystemController
from billwire_gateway.controllers.text import FromTextController, PromptController
from billwire_gateway.controllers.users import UsersController
from billwire_gateway.controllers.webhooks import WebhookController
from billwire_gateway.decimal_text import ExactRequest
from billwire_gateway.deps import provide_bus, provide_caller, require_scope
from billwire_gateway.errors import EXCEPTION_HANDLERS
from billwire_gateway.middleware import ApiGuard, RequestShape, add_response_headers
from billwire_gateway.oauth.routes import OAuthServer, resource_metadata_url
from billwire_gateway.observability import MetricsController
from billwire_gateway.openapi import finish_openapi_when_built
from billwire_gateway.security import KeyAuthenticator, RateLimiter
from billwire_gateway.settings import GatewaySettings
from billwire_gateway.strict import check_request
from billwire_gateway.web.api_reference import assets_router, swagger_plugin
from billwire_gateway.web.app import WebApp, template_config, with_web_pages
from billwire_shared import __version__
from billwire_shared.settings import load_settings
from billwire_shared.subjects import Names
from billwire_shared.telemetry import tracing_enabled

log = logging.getLogger("billwire.gateway")
API_BASE = "/api/v1"


class Gateway:
    """The long-lived parts of one gateway process, started and stopped by the lifespan."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.bus = Bus(Names(settings.prefix), settings.rpc_timeout)
        self.auth = KeyAuthenticator(self.bus, ttl=settings.key_cache_seconds, max_entries=settings.key_cache_entries)
        self.limiter = RateLimiter(self.bus, settings.rate_limit_per_minute, replicas=settings.kv_replicas)
        self.failures = RateLimiter(self.bus, settings.auth_failures_per_minute, replicas=settings.kv_replicas)
        self.account_limiter = RateLimiter(self.bus, settings.rate_limit_per_account_per_minute, replicas=settings.kv_replicas)
        self._mcp: Any = None
        self._mcp_app: Any = None
        self._mcp_task: asyncio.Task | None = None
        self._mcp_stop = asyncio.Event()
        self._mcp_lock = asyncio.Lock()
        self._mcp_build_lock = asyncio.Lock()
        self.web = WebApp(self.bus, settings)
        self.oauth = OAuthServer(self.bus, self.web.public_url, settings.kv_replicas, self.failures, settings.client_address_header)

    async def mcp(self) -> Any:
        """The MCP server, built when first needed: the SDK and its models cost a gateway that
        no agent talks to about 30 MB (issue 24's footprint). Built in a worker thread: loading
        the SDK and generating every tool's schemas takes seconds on a busy machine, and on the
        event loop that would hold up every other request of the gateway meanwhile."""
        if self._mcp is None:
            async with self._mcp_build_lock:
                if self._mcp is None:
                    self._mcp = await asyncio.to_thread(self._build_mcp)
        return self._mcp

    def _build_mcp(self) -> Any:
        from billwire_gateway.mcp import create_mcp

        return create_mcp(self.bus, self.settings)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        await self.bus.connect(self.settings.nats_url)
        try:
            await self.auth.start()
            await self.limiter.start()
            await self.failures.start()
            await self.account_limiter.start()
            await self.oauth.grants.start()
            log.info("gateway ready on %s:%s (prefix %r)", self.settings.host, self.settings.port, self.settings.prefix)
            yield
        finally:
            if self._mcp_task is not None:
                self._mcp_stop.set()
                await self._mcp_task
            await self.bus.close()

    async def mcp_endpoint(self, scope: Any, receive: Any, send: Any) -> None:
        """/api/mcp: the MCP app, built and its session manager started on the first request."""
        if self._mcp_app is None:
            async with self._mcp_lock:
                if self._mcp_app is None:
                    self._mcp_app = await self._start_mcp()
        await self._mcp_app(scope, receive, send)

    async def _start_mcp(self) -> Any:
        from mcp.server.transport_security import TransportSecuritySettings

        from billwire_gateway.mcp.numbers import ExactNumbers

        # Bearer keys, not cookies, authenticate MCP calls, so DNS rebinding gains an attacker
        # nothing; the SDK's Host check would only refuse every non-localhost deployment.
        mcp = await self.mcp()
        app = ExactNumbers(mcp.streamable_http_app(
            streamable_http_path="/", stateless_http=True, json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        ), self.settings.max_body_bytes)
        started = asyncio.Event()

        async def serve() -> None:
            # A mounted app's own lifespan never runs: its session manager runs here, until the
            # gateway's lifespan ends.
            async with mcp.session_manager.run():
                started.set()
                await self._mcp_stop.wait()

        self._mcp_task = asyncio.create_task(serve(), name="mcp-session-manager")
        await started.wait()
        return app


@contextlib.contextmanager
def _unused_plugins_hidden() -> Iterator[None]:
    """While Litestar is built, pydantic (and OpenTelemetry, when tracing is off) look absent.

    Litestar adds a plugin for every optional library it can import, and imports it to find out:
    pydantic (the workers' FastStream needs it, so it is installed) and OpenTelemetry's API (for
    its middleware check), about 13 MB in every gateway. The gateway's models are msgspec's (the
    OpenAPI document is the same byte for byte) and tracing brings its own plugin. Hidden only
    while the app is built: the MCP SDK's OAuth routes import pydantic as usual when first used."""
    names = ["pydantic"] + ([] if tracing_enabled() else ["opentelemetry"])
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    settings = settings or load_settings(GatewaySettings)
    gateway = Gateway(settings)
    api = Router(
        path=API_BASE,
        route_handlers=[
            SettingsController, ClientController, ProductController, InvoiceController, DocumentController,
            InvoiceLifecycleController, DocumentActionsController, ReportController,
            InvoicePdfController, DocumentPdfController, CancellationFilesController, LogoController, WebhookController,
            ApprovalController,
            FromTextController, PromptController, RecurringController, ArchiveController, UsersController,
        ],
        dependencies={"caller": Provide(provide_caller), "bus": Provide(provide_bus, sync_to_thread=False)},
        guards=[require_scope],
        before_request=check_request,
        security=[{"bearer": []}],
    )
    mcp = asgi("/api/mcp", is_mount=True, copy_scope=True)(gateway.mcp_endpoint)
    with _unused_plugins_hidden():
        app = _litestar(settings, gateway, api, mcp)
    finish_openapi_when_built(app)
    # Outside Litestar's routing and middleware, inside its before_send hook (request ids).
    app.asgi_handler = RequestShape(app.asgi_handler, settings.max_query_bytes)
    return app


def _litestar(settings: GatewaySettings, gateway: Gateway, api: Router, mcp: Any) -> Litestar:
    return Litestar(
        route_handlers=[
            SystemController, MetricsController, AgentsController, api, mcp, gateway.oauth.route(), gateway.web.router(), assets_router(),
        ],
        lifespan=[gateway.lifespan, gateway.web.lifespan],
        request_class=ExactRequest,
        state=State({"bus": gateway.bus, "gateway": gateway, "web": gateway.web, "oauth": gateway.oauth}),
        template_config=template_config(),
        # Metrics (and the span's route name) first: they see the 401s and 429s of ApiGuard too.
        middleware=[*observability.middleware(), DefineMiddleware(
            ApiGuard, auth=gateway.auth, limiter=gateway.limiter, failures=gateway.failures,
            address_header=settings.client_address_header, account_limiter=gateway.account_limiter,
            resource_metadata=resource_metadata_url(gateway.oauth.public_url),
        )],
        plugins=observability.plugins(),
        before_send=[add_response_headers],
        exception_handlers=with_web_pages(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Billwire API",
            version=__version__,
            description="Agent-first invoicing. Authenticate with `Authorization: Bearer bw_...`.",
            path="/schema",
            render_plugins=[swagger_plugin()],  # served from the installed swagger-ui-bundle: works offline
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        ),
        logging_config=None,
        debug=False,
    )
