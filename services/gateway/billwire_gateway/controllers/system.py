from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, Request, Response, get

from billwire_gateway.bus import ApiError
from billwire_gateway.oauth.routes import resource_metadata_url
from billwire_gateway.strict import check_request
from billwire_shared import __version__
from billwire_shared.contracts.common import HealthReply
from billwire_shared.probe import HEALTH_SUBJECTS


class Health(msgspec.Struct):
    status: str
    version: str


class Readiness(msgspec.Struct):
    ready: bool
    nats: bool
    services: dict[str, HealthReply | None]


class SystemController(Controller):
    tags = ["system"]
    include_in_schema = True
    before_request = check_request

    @get("/health", summary="Alive: the process answers")
    async def health(self) -> Health:
        return Health(status="ok", version=__version__)

    @get("/.well-known/mcp.json", summary="How to reach the MCP endpoint")
    async def mcp_discovery(self, request: Request) -> dict:
        oauth = request.app.state.oauth
        return {
            "name": "billwire", "version": __version__, "endpoint": str(request.base_url).rstrip("/") + "/api/mcp",
            "transport": "streamable-http", "stateless": True,
            "authentication": {"type": "bearer", "header": "Authorization", "format": "Bearer bw_..."},
            # Clients that cannot be given a key: the MCP authorization flow (README, "Connecting with OAuth").
            "oauth": {"resource_metadata": resource_metadata_url(oauth.public_url), "authorization_server": oauth.public_url},
        }

    @get("/ready", summary="Ready: NATS is reachable and the invoices service reaches its database")
    async def ready(self, request: Request) -> Response[Readiness]:
        """The other services' health is reported too (with the reason one is not ready, e.g.
        rendering without a browser), but only invoices gates readiness."""
        bus = request.app.state.bus
        services: dict[str, HealthReply | None] = dict.fromkeys(HEALTH_SUBJECTS)

        async def ask(service: str) -> None:
            try:
                services[service] = await bus.call_typed(HEALTH_SUBJECTS[service], {}, HealthReply, timeout=2)
            except (ApiError, asyncio.TimeoutError):
                pass

        if bus.connected:
            await asyncio.gather(*(ask(service) for service in services))
        invoices = services["invoices"]
        ready = bus.connected and invoices is not None and invoices.database
        return Response(Readiness(ready=ready, nats=bus.connected, services=services), status_code=200 if ready else 503)
