"""What every service process shares: its Postgres schema and pool, its broker, health, signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
from faststream.nats import NatsBroker

from billwire_shared import __version__
from billwire_shared import subjects as s
from billwire_shared.bus import create_broker
from billwire_shared.contracts.common import HealthReply
from billwire_shared.db import create_pool
from billwire_shared.migrate import migrate
from billwire_shared.settings import CommonSettings
from billwire_shared.subjects import Names

HEALTH_SUBJECTS = {"invoices": s.SYSTEM_HEALTH, "rendering": s.RENDERING_HEALTH, "mailer": s.MAILER_HEALTH}


class ServiceSettings(CommonSettings, kw_only=True, frozen=True):
    db_pool_size: int = 8
    migrate_on_start: bool = True
    # Messages each subscriber handles at once (FastStream's default is one).
    rpc_concurrency: int = 32


async def open_schema_pool(database_url: str, schema: str, **kwargs: Any) -> asyncpg.Pool:
    """A pool whose connections see the service's own schema first."""
    return await create_pool(
        database_url, server_settings={"search_path": schema, "application_name": f"billwire-{schema}"}, **kwargs
    )


def health_handler(
    service: str, pool: asyncpg.Pool, check: Callable[[], bool] | None = None, reason: Callable[[], str] | None = None,
) -> Callable[[dict], Any]:
    """Health over the bus: the database answers, and `check` (the service's own resources) holds;
    `reason` says why not."""

    async def health(body: dict) -> HealthReply:
        try:
            async with pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1")
            database = True
        except Exception:
            database = False
        ready = database and (check is None or check())
        why = "" if ready else "the database is unreachable" if not database else reason() if reason else ""
        return HealthReply(service=service, version=__version__, database=database, ready=ready, reason=why)

    health.__name__ = f"{service}_health"
    return health


class Service:
    """One replica of a service: migrates its schema, opens its pool, answers on the bus."""

    def __init__(self, name: str, settings: ServiceSettings, migrations: Path | None = None) -> None:
        self.name, self.settings, self.migrations = name, settings, migrations
        self.names = Names(settings.prefix)
        self.log = logging.getLogger(f"billwire.{name}")
        self.pool: asyncpg.Pool | None = None
        self.broker: NatsBroker | None = None

    def ready_check(self) -> bool:
        """The service's own resources are up (beyond its database); override where it matters."""
        return True

    def unready_reason(self) -> str:
        """Why `ready_check` fails, with the fix when there is one; "" when it does not."""
        return ""

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        """Subscribe the service's handlers; each service overrides this."""

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Service]:
        if self.settings.migrate_on_start and self.migrations is not None:
            await migrate(self.settings.database_url, self.name, self.migrations)
        self.pool = await open_schema_pool(self.settings.database_url, self.name, max_size=self.settings.db_pool_size)
        self.broker = create_broker(self.settings.nats_url)
        queue = self.names.queue(self.name)
        self.broker.subscriber(self.names.subject(HEALTH_SUBJECTS[self.name]), queue=queue, max_workers=4)(health_handler(
            self.name, self.pool, self.ready_check, self.unready_reason))
        self.register(self.broker, self.pool)
        try:
            await self.broker.start()
            self.log.info("%s service ready (prefix %r)", self.name, self.settings.prefix)
            yield self
        finally:
            await self.broker.stop()
            await self.pool.close()


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

    settings = load_settings(settings_class)
    configure_logging(settings.log_level, settings.log_json)
    run(serve_until_signalled(create_service(settings)))


def run(main: Any) -> Any:
    """asyncio.run on uvloop where it is installed (it is, with the services): faster socket I/O."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
