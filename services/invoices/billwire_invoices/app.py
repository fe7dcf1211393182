"""Wires the invoices service: settings, pool, broker, handlers, outbox relay."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import nats
from faststream.nats import NatsBroker

from billwire_invoices.handlers import InvoicesHandlers, register
from billwire_invoices.outbox import OutboxRelay
from billwire_shared.bus import create_broker, ensure_events_stream
from billwire_shared.db import create_pool
from billwire_shared.migrate import migrate
from billwire_shared.settings import CommonSettings
from billwire_shared.subjects import Names

SCHEMA = "invoices"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.invoices")


class InvoicesSettings(CommonSettings, kw_only=True, frozen=True):
    db_pool_size: int = 16
    outbox_poll_interval: float = 1.0
    migrate_on_start: bool = True
    events_replicas: int = 1


async def run_migrations(settings: InvoicesSettings) -> list[str]:
    return await migrate(settings.database_url, SCHEMA, MIGRATIONS)


async def open_pool(settings: InvoicesSettings, **kwargs) -> asyncpg.Pool:
    kwargs.setdefault("max_size", settings.db_pool_size)
    return await create_pool(
        settings.database_url,
        server_settings={"search_path": SCHEMA, "application_name": "billwire-invoices"}, **kwargs,
    )


class InvoicesService:
    """One replica: answers RPCs in the `invoices` queue group and relays its outbox."""

    def __init__(self, settings: InvoicesSettings) -> None:
        self.settings = settings
        self.names = Names(settings.prefix)
        self.broker: NatsBroker | None = None
        self.pool: asyncpg.Pool | None = None
        self.relay: OutboxRelay | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[InvoicesService]:
        if self.settings.migrate_on_start:
            await run_migrations(self.settings)
        self.pool = await open_pool(self.settings)
        # The relay's own connection: it must keep publishing whatever the RPC side is doing.
        self.nc = await nats.connect(self.settings.nats_url, max_reconnect_attempts=-1, error_cb=_quiet)
        js = self.nc.jetstream(timeout=5)
        self.broker = create_broker(self.settings.nats_url)
        broker = self.broker

        async def publish(subject: str, payload: bytes) -> None:
            await self.nc.publish(self.names.subject(subject), payload)

        register(broker, InvoicesHandlers(self.pool, publish), self.names)
        try:
            await ensure_events_stream(js, self.names, self.settings.events_replicas)
            await broker.start()
            self.relay = OutboxRelay(self.pool, js, self.names, poll_interval=self.settings.outbox_poll_interval)
            self.relay.start()
            log.info("invoices service ready (prefix %r)", self.settings.prefix)
            yield self
        finally:
            if self.relay:
                await self.relay.stop()
            await broker.stop()
            await self.nc.drain()
            await self.pool.close()


def settings_from_env(**overrides) -> InvoicesSettings:
    from billwire_shared.settings import load_settings

    return load_settings(InvoicesSettings, **overrides)




async def _quiet(exc: Exception) -> None:
    log.warning("NATS: %s", exc)
