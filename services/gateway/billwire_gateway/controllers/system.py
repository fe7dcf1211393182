from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, Request, Response, get

from billwire_gateway.bus import ApiError
from billwire_shared import __version__, subjects as s
from billwire_shared.contracts.common import HealthReply


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

    @get("/health", summary="Alive: the process answers")
    async def health(self) -> Health:
        return Health(status="ok", version=__version__)

    @get("/ready", summary="Ready: NATS is reachable and the invoices service reaches its database")
    async def ready(self, request: Request) -> Response[Readiness]:
        bus = request.app.state.bus
        services: dict[str, HealthReply | None] = {"invoices": None}
        if bus.connected:
            try:
                services["invoices"] = await bus.call_typed(s.SYSTEM_HEALTH, {}, HealthReply, timeout=2)
            except (ApiError, asyncio.TimeoutError):
                pass
        invoices = services["invoices"]
        ready = bus.connected and invoices is not None and invoices.database
        return Response(Readiness(ready=ready, nats=bus.connected, services=services), status_code=200 if ready else 503)
