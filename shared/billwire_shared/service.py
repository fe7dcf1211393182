"""What every service process shares: its Postgres schema and pool, its broker and NATS connection,
its consumers, dead-letter watch and outbox publisher, health, signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import asyncpg
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from billwire_shared import __version__, subjects
from billwire_shared.bus import create_broker, declare_jetstream
from billwire_shared.bus_client import BusClient, connect_nats
from billwire_shared.consumers import Durable, ExhaustedWatch
from billwire_shared.contracts.common import HealthReply
from billwire_shared.db import open_schema_pool
from billwire_shared.metrics import MetricsServer
from billwire_shared.migrate import migrate
from billwire_shared.outbox import OutboxPublisher
from billwire_shared.settings import CommonSettings
from billwire_shared.subjects import Names

HEALTH_SUBJECTS = {"invoices": subjects.SYSTEM_HEALTH, "rendering": subjects.RENDERING_HEALTH, "mailer": subjects.MAILER_HEALTH}


class ServiceSettings(CommonSettings, kw_only=True, frozen=True):
    db_pool_size: int = 8
    # Connections the pool keeps open while idle (each is a Postgres backend of a few MB).
    db_pool_min_size: int = 2
    migrate_on_start: bool = True
    # Messages each subscriber handles at once (FastStream's default is one).
    rpc_concurrency: int = 32
    outbox_poll_interval: float = 1.0
    events_replicas: int = 1
    metrics_port: int = 0  # Prometheus /metrics on this port (0: off)


def health_handler(
    service: str, pool: asyncpg.Pool, check: Callable[[], bool] | None = None, reason: Callable[[], str] | None = None,
    state: Callable[[], str] | None = None,
) -> Callable[[dict], Any]:
    """Health over the bus: the database answers, and `check` (the service's own resources) holds;
    `reason` says why not, `state` what those resources are doing."""

    async def health(body: dict) -> HealthReply:
        try:
            async with pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1")
            database = True
        except Exception:
            database = False
        ready = database and (check is None or check())
        why = "" if ready else "the database is unreachable" if not database else reason() if reason else ""
        return HealthReply(
            service=service, version=__version__, database=database, ready=ready, reason=why, state=state() if state else "",
        )

    health.__name__ = f"{service}_health"
    return health


class Service:
    """One replica of a service: migrates its schema, opens its pool, answers on the bus, and
    runs what every service runs beside its handlers: a NATS connection of its own (requests
    to other services, the outbox, dead letters), its durable consumers and their dead-letter
    watch, and the publisher of its outbox.

    A service declares what it has; `running()` starts it in order and stops it in reverse:
    - `durables`: its JetStream consumers (created before the broker binds to them);
    - `sweeps`: periodic clean-ups of its schema, run by the outbox publisher's leader;
    - `register()`: its handlers; `ready_check()`: its own resources beyond the database;
    - `open_resources()`: what must exist before the bus (the browser), and
      `start_loops()`: background loops that need the running broker (a scheduler);
      both push their stopping onto the exit stack they are given.
    """

    sweeps: tuple[Callable[[asyncpg.Connection], Awaitable[Any]], ...] = ()

    def __init__(self, name: str, settings: ServiceSettings, migrations: Path | None = None, durables: Iterable[Durable] = ()) -> None:
        self.name, self.settings, self.migrations = name, settings, migrations
        self.durables = tuple(durables)
        self.names = Names(settings.prefix)
        self.log = logging.getLogger(f"billwire.{name}")
        self.pool: asyncpg.Pool | None = None
        self.broker: NatsBroker | None = None
        self.nc: NatsClient | None = None
        self.bus: BusClient | None = None
        self.outbox: OutboxPublisher | None = None
        self.exhausted: ExhaustedWatch | None = None

    def ready_check(self) -> bool:
        """The service's own resources are up (beyond its database); override where it matters."""
        return True

    def unready_reason(self) -> str:
        """Why `ready_check` fails, with the fix when there is one; "" when it does not."""
        return ""

    def resource_state(self) -> str:
        """What the service's own resources are doing, for its health reply; "" where nothing is worth saying."""
        return ""

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        """Subscribe the service's handlers; each service overrides this."""

    async def open_resources(self, stack: contextlib.AsyncExitStack) -> None:
        """Open what the service needs before it joins the bus; override where there is any."""

    async def start_loops(self, stack: contextlib.AsyncExitStack, js: JetStreamContext) -> None:
        """Start background loops once the broker runs; override where there are any."""

    async def request(self, subject: str, payload: bytes) -> bytes:
        """A request to another service (e.g. the mailer's quota); errors as in `BusClient.request`."""
        assert self.bus is not None
        return await self.bus.request(subject, payload)

    async def _outbox_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.settings.database_url, server_settings={"search_path": self.name})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Service]:
        settings = self.settings
        async with contextlib.AsyncExitStack() as stack:
            if settings.metrics_port:
                metrics = MetricsServer(settings.metrics_port)
                metrics.start()
                stack.callback(metrics.stop)
            await self.open_resources(stack)
            # Its own connection: requests, the outbox and dead letters go on whatever the broker does.
            self.nc = await connect_nats(settings.nats_url)
            stack.push_async_callback(self.nc.drain)
            self.bus = BusClient(self.nc, self.names, settings.rpc_timeout)
            js = self.nc.jetstream(timeout=5)
            self.exhausted = ExhaustedWatch(self.names, self.name, self.durables)
            # Before the broker binds to the consumers.
            await declare_jetstream(js, self.names, self.durables, settings.events_replicas, watch=self.exhausted)
            if settings.migrate_on_start and self.migrations is not None:
                await migrate(settings.database_url, self.name, self.migrations)
            self.pool = await open_schema_pool(
                settings.database_url, self.name, min_size=min(settings.db_pool_min_size, settings.db_pool_size),
                max_size=settings.db_pool_size,
            )
            stack.push_async_callback(self.pool.close)
            self.broker = create_broker(settings.nats_url, service=self.name, prefix=settings.prefix)
            health = health_handler(self.name, self.pool, self.ready_check, self.unready_reason, self.resource_state)
            self.broker.subscriber(self.names.subject(HEALTH_SUBJECTS[self.name]), queue=self.names.queue(self.name), max_workers=4)(health)
            self.register(self.broker, self.pool)
            stack.push_async_callback(self.broker.stop)
            await self.broker.start()
            self.log.info("%s service ready (prefix %r)", self.name, settings.prefix)
            self.exhausted.start(js)
            stack.push_async_callback(self.exhausted.stop)
            self.outbox = OutboxPublisher(
                self.name, self._outbox_connection, js, self.names, poll_interval=settings.outbox_poll_interval, sweeps=self.sweeps
            )
            self.outbox.start()
            stack.push_async_callback(self.outbox.stop)
            await self.start_loops(stack, js)
            yield self


async def serve_until_signalled(service: Any) -> None:
    """Run `service.running()` until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with service.running():
        await stop.wait()


def main(create_service: Callable[[Any], Any], settings_class: type[ServiceSettings]) -> None:
    """The body of every service's `python -m`: settings from the environment, logs, serve."""
    from billwire_shared.logs import configure_logging
    from billwire_shared.settings import load_settings
    from billwire_shared.telemetry import setup_tracing

    settings = load_settings(settings_class)
    configure_logging(settings.log_level, settings.log_json)
    service = create_service(settings)
    setup_tracing(service.name)
    run(serve_until_signalled(service))


def run(main: Any) -> Any:
    """asyncio.run on uvloop where it is installed (it is, with the services): faster socket I/O."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
