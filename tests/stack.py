"""Pytest plugin: the real services of this run, in-process, on the run's own database and prefix.

`stack` runs an invoices-service replica and a gateway (served through httpx's ASGI
transport with its lifespan) against real NATS and Postgres. `new_account()` makes an
account with an admin key; `api(key)` is an HTTP client that sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio
from litestar import Litestar

from billwire_gateway.app import GatewaySettings, create_app
from billwire_invoices.accounts.handlers import create_account
from billwire_invoices.app import InvoicesService
from billwire_invoices.settings import InvoicesSettings
from billwire_mailer.app import MailerService, MailerSettings
from billwire_rendering.app import RenderingService, RenderingSettings
from tests.servers import fresh_database


class Api:
    """An HTTP client for one API key; paths are relative to /api/v1."""

    def __init__(self, client: httpx.AsyncClient, key: str | None) -> None:
        self.client, self.key = client, key

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        base = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return base | (headers or {})

    async def request(self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None, **kw) -> httpx.Response:
        url = path if path.startswith(("/api/", "/health", "/ready", "/schema")) else f"/api/v1{path}"
        return await self.client.request(method, url, json=json, headers=self._headers(headers), **kw)

    async def get(self, path: str, **kw) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw) -> httpx.Response:
        return await self.request("POST", path, json=json, **kw)

    async def patch(self, path: str, json: Any = None, **kw) -> httpx.Response:
        return await self.request("PATCH", path, json=json, **kw)

    async def put(self, path: str, json: Any = None, **kw) -> httpx.Response:
        return await self.request("PUT", path, json=json, **kw)

    async def delete(self, path: str, **kw) -> httpx.Response:
        return await self.request("DELETE", path, **kw)


@contextlib.asynccontextmanager
async def serve_over_http(app: Any, port: int) -> AsyncIterator[str]:
    """`app` served by uvicorn on a local port, as the gateway runs in production; yields its base URL."""
    import uvicorn

    from billwire_gateway.server import uvicorn_config

    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, lifespan="on"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Stack:
    database_url: str
    nats_url: str
    prefix: str
    invoices: InvoicesService
    http: httpx.AsyncClient
    gateways: list[Litestar] = field(default_factory=list)
    rendering: RenderingService | None = None  # set while the `rendering` fixture runs

    def env(self) -> dict[str, str]:
        """Environment for a service started as a separate process."""
        return os.environ | {"DATABASE_URL": self.database_url, "NATS_URL": self.nats_url, "BILLWIRE_PREFIX": self.prefix}

    def settings(self, cls: type, **overrides: Any) -> Any:
        return cls(**{"database_url": self.database_url, "nats_url": self.nats_url, "prefix": self.prefix} | overrides)

    async def new_account(self, name: str = "Test company") -> tuple[str, str]:
        assert self.invoices.pool is not None
        account_id, key = await create_account(self.invoices.pool, name)
        return str(account_id), key.key

    def api(self, key: str | None) -> Api:
        return Api(self.http, key)

    @contextlib.asynccontextmanager
    async def gateway(self, **overrides: Any) -> AsyncIterator[Api]:
        """Another gateway replica (own NATS connection, caches) with its own settings."""
        # Every in-process request comes from 127.0.0.1: failed-auth limits are for tests that set them.
        settings = self.settings(GatewaySettings, **({"auth_failures_per_minute": 100_000} | overrides))
        async with serve_in_process(create_app(settings)) as client:
            yield Api(client, None)

    @contextlib.asynccontextmanager
    async def served(self, **overrides: Any) -> AsyncIterator[str]:
        """A gateway served by uvicorn over real HTTP (its own parser and path decoding), as in
        production; yields its base URL."""
        from billwire_cli.embedded import free_port

        port = free_port()
        defaults = {"rate_limit_per_minute": 100_000, "rate_limit_per_account_per_minute": 100_000, "auth_failures_per_minute": 100_000,
                    "port": port}
        async with serve_over_http(create_app(self.settings(GatewaySettings, **(defaults | overrides))), port) as base:
            yield base

    @contextlib.asynccontextmanager
    async def rendering_service(self, **overrides: Any) -> AsyncIterator[RenderingService]:
        """A rendering replica (own browser, pages and consumers) on this run's database and prefix."""
        defaults = {"chromium_install": False, "outbox_poll_interval": 0.2, "render_pages": 2, "db_pool_size": 4}
        service = RenderingService(self.settings(RenderingSettings, **(defaults | overrides)))
        async with service.running():
            yield service

    @contextlib.asynccontextmanager
    async def mailer_service(self, **overrides: Any) -> AsyncIterator[MailerService]:
        """A mailer on this run's database and prefix; its relay is down (a free port nobody
        listens on) unless `smtp_port` names one, so sends wait in its queue or fail there."""
        from billwire_cli.embedded import free_port

        defaults = {"smtp_port": free_port(), "outbox_poll_interval": 0.2}
        async with MailerService(self.settings(MailerSettings, **(defaults | overrides))).running() as service:
            yield service

    @property
    def python(self) -> str:
        return sys.executable


async def ready_account(stack: Stack, name: str = "Acme GmbH") -> Api:
    """An account whose profile has everything finalize needs."""
    _, key = await stack.new_account(name)
    api = stack.api(key)
    response = await api.patch("/settings/profile", json={
        "company_name": name,
        "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
        "vat_id": "DE136695976",
        "email": "billing@acme.example",
        "bank": {"account_holder": name, "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    })
    assert response.status_code == 200, response.text
    return api


async def created(api: Api, path: str, body: dict) -> dict:
    """POST `body`, expecting 201: the new resource."""
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def unique(name: str) -> str:
    """`name` with a random suffix, so names never clash with another test's on the shared stack."""
    return f"{name} {secrets.token_hex(4)}"


BUYER = {
    "name": "Globex Corporation",
    "email": "ap@globex.example",
    "address": {"street": "Main Street 5", "zip": "12345", "city": "Springfield", "country": "US"},
}


@contextlib.asynccontextmanager
async def serve_in_process(app: Litestar, client_address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan on this event loop and talk to it through httpx's ASGI transport,
    as a client at `client_address`."""
    to_app: asyncio.Queue = asyncio.Queue()
    from_app: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app, client=(client_address, 123)), base_url="http://gateway.local", timeout=30) as client:
            yield client
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await task


@contextlib.asynccontextmanager
async def own_stack(pg_admin_url: str, nats_url: str, prefix: str, invoices: dict[str, Any], gateway: dict[str, Any]) -> AsyncIterator[Stack]:
    """A stack of one module's own, for settings the shared one cannot have: a fresh database, its
    own bus prefix, the invoices service with `invoices` and a gateway in process with `gateway`."""
    async with fresh_database(pg_admin_url) as database_url:
        common = {"database_url": database_url, "nats_url": nats_url, "prefix": prefix}
        service = InvoicesService(InvoicesSettings(**common, **invoices))
        async with service.running():
            app = create_app(GatewaySettings(**common, **gateway))
            async with serve_in_process(app) as client:
                yield Stack(database_url, nats_url, prefix, service, client, [app])


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stack]:
    # The overdue scheduler passes once at start, then hourly: a test that means it to run makes
    # its own (OverdueScheduler, expire_approvals); every 60 s it marked other tests' invoices
    # overdue between their finalize and their "not yet overdue" checks.
    invoices = InvoicesService(InvoicesSettings(
        database_url=database_url, nats_url=nats_url, prefix=bus_prefix, outbox_poll_interval=0.2, db_pool_size=8,
        overdue_interval=3600.0,
    ))
    async with invoices.running():
        app = create_app(GatewaySettings(
            database_url=database_url, nats_url=nats_url, prefix=bus_prefix, rate_limit_per_minute=100_000,
            rate_limit_per_account_per_minute=100_000, auth_failures_per_minute=100_000,
        ))
        async with serve_in_process(app) as client:
            yield Stack(database_url, nats_url, bus_prefix, invoices, client, [app])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rendering(stack: Stack) -> AsyncIterator[RenderingService]:
    """The stack plus a rendering replica with Chromium, for the tests of one module that ask for it."""
    async with stack.rendering_service() as service:
        stack.rendering = service
        try:
            yield service
        finally:
            stack.rendering = None


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mailer(stack: Stack) -> AsyncIterator[MailerService]:
    """A mailer that accepts sends, for the tests of one module that ask for it (its relay is down:
    they wait in its queue, which is enough there)."""
    async with stack.mailer_service(send_retry_delays="600") as service:
        yield service
