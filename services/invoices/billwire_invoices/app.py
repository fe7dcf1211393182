"""Wires the invoices service: settings, pool, broker, handlers, outbox relay."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec
import nats
from faststream.nats import NatsBroker

from billwire_invoices import repository as repo
from billwire_invoices.email.handlers import (
    EMAIL_SETTINGS_ROUTES,
    EmailSettingsHandlers,
)
from billwire_invoices.files import FILE_ROUTES, FileHandlers
from billwire_invoices.handlers import ROUTES, register
from billwire_invoices.lifecycle.handlers import LIFECYCLE_ROUTES, LifecycleHandlers
from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from billwire_invoices.overview.handlers import OVERVIEW_ROUTES, OverviewHandlers
from billwire_invoices.recurring.handlers import RECURRING_ROUTES, RecurringHandlers
from billwire_invoices.recurring.scheduler import RecurringScheduler
from billwire_invoices.reports import REPORT_ROUTES, ReportHandlers
from billwire_invoices.text.handlers import TEXT_ROUTES, TextHandlers
from billwire_invoices.text.model import TextModelSettings
from billwire_invoices.users.handlers import USERS_ROUTES, UsersHandlers
from billwire_invoices.webhooks.handlers import WEBHOOK_EVENTS
from billwire_invoices.webhooks.handlers import attach as attach_webhooks
from billwire_shared import subjects as s
from billwire_shared.bus import declare_jetstream, nats_servers
from billwire_shared.consumers import Durable, ExhaustedWatch, subscribe_durable
from billwire_shared.errors import ERROR_HEADER, BillwireError, ErrorCode, ErrorReply
from billwire_shared.migrate import migrate
from billwire_shared.outbox import OutboxRelay
from billwire_shared.service import Service, ServiceSettings, open_schema_pool
from billwire_shared.settings import load_settings

SCHEMA = "invoices"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.invoices")


class InvoicesSettings(ServiceSettings, kw_only=True, frozen=True):
    db_pool_size: int = 16
    outbox_poll_interval: float = 1.0
    events_replicas: int = 1
    overdue_interval: float = 60.0  # seconds between overdue and payment reminder runs
    webhooks_allow_private: bool = False  # let webhooks target loopback/private networks (local testing only)
    webhooks_timeout: float = 10.0  # seconds per delivery attempt
    webhooks_poll_interval: float = 1.0  # seconds between looks at due retries
    webhooks_retry_scale: float = 1.0  # multiplies the retry schedule (tests shorten it)
    documents_quota_per_month: int = 0  # the plan's documents per month; 0 is unlimited
    recurring_interval: float = 60.0  # seconds between looks for recurring invoices whose period has come
    recurring_workers: int = 2  # batches of recurring invoices one replica generates at once (each holds a connection)


EMAIL_DELIVERED = Durable(name="invoices-email-delivered", subject=s.EMAIL_DELIVERED)
EMAIL_FAILED = Durable(name="invoices-email-failed", subject=s.EMAIL_FAILED)


def settings_from_env(**overrides) -> InvoicesSettings:
    return load_settings(InvoicesSettings, **overrides)


async def run_migrations(settings: InvoicesSettings) -> list[str]:
    return await migrate(settings.database_url, SCHEMA, MIGRATIONS)


async def open_pool(settings: InvoicesSettings, **kwargs) -> asyncpg.Pool:
    kwargs.setdefault("max_size", settings.db_pool_size)
    return await open_schema_pool(settings.database_url, SCHEMA, **kwargs)


async def _ask(nc: nats.NATS, subject: str, payload: bytes, timeout: float) -> bytes:
    """A request to another service; its typed error reply comes back as a BillwireError."""
    try:
        msg = await nc.request(subject, payload, timeout=timeout)
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError) as exc:
        raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, f"{subject.split('.rpc.')[0]} is not answering.") from exc
    if msg.headers and ERROR_HEADER in msg.headers:
        raise BillwireError(**msgspec.structs.asdict(msgspec.json.decode(msg.data, type=ErrorReply)))
    return msg.data


async def _quiet(exc: Exception) -> None:
    log.warning("NATS: %s", exc)


class InvoicesService(Service):
    """One replica: answers RPCs in the `invoices` queue group and relays its outbox."""

    settings: InvoicesSettings

    def __init__(self, settings: InvoicesSettings) -> None:
        super().__init__(SCHEMA, settings, MIGRATIONS)
        self.relay: OutboxRelay | None = None
        self.nc: nats.NATS | None = None

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        async def broadcast(subject: str, payload: bytes) -> None:
            assert self.nc is not None
            await self.nc.publish(self.names.subject(subject), payload)

        handlers = LifecycleHandlers(pool, broadcast, self.request)
        reports = ReportHandlers(pool, self.request, self.settings.documents_quota_per_month)
        targets = [
            (ROUTES, handlers), (LIFECYCLE_ROUTES, handlers), (FILE_ROUTES, FileHandlers(pool)), (REPORT_ROUTES, reports),
            (TEXT_ROUTES, TextHandlers(pool, handlers, load_settings(TextModelSettings))),
            (EMAIL_SETTINGS_ROUTES, EmailSettingsHandlers(pool)),
            (USERS_ROUTES, UsersHandlers(pool)), (OVERVIEW_ROUTES, OverviewHandlers(pool)),
            (RECURRING_ROUTES, RecurringHandlers(pool)),
        ]
        self.lifecycle = handlers
        register(broker, targets, self.names, self.settings.rpc_concurrency)
        subscribe_durable(broker, self.names, EMAIL_DELIVERED, handlers.on_email_delivered)
        subscribe_durable(broker, self.names, EMAIL_FAILED, handlers.on_email_failed)
        self.webhooks = attach_webhooks(broker, self.names, pool, self.settings, self.settings.rpc_concurrency, SCHEMA)

    async def request(self, subject: str, payload: bytes) -> bytes:
        """A request to another service (the mailer's quota, rendering's artifacts)."""
        assert self.nc is not None
        return await _ask(self.nc, self.names.subject(subject), payload, self.settings.rpc_timeout)

    async def _relay_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.settings.database_url, server_settings={"search_path": SCHEMA})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[InvoicesService]:
        # The relay's own connection: it keeps publishing whatever the RPC side is doing.
        self.nc = await nats.connect(nats_servers(self.settings.nats_url), max_reconnect_attempts=-1, error_cb=_quiet)
        try:
            js = self.nc.jetstream(timeout=5)
            durables = (EMAIL_DELIVERED, EMAIL_FAILED, WEBHOOK_EVENTS)
            exhausted = ExhaustedWatch(self.names, "invoices", durables)
            await declare_jetstream(js, self.names, durables, self.settings.events_replicas, watch=exhausted)
            async with super().running():
                assert self.pool is not None
                self.scheduler = OverdueScheduler(self.pool, self.settings.overdue_interval, request=self.request)
                self.scheduler.start()
                self.recurring = RecurringScheduler(
                    self.pool, self.lifecycle, self.settings.recurring_interval, request=self.request,
                    workers=self.settings.recurring_workers,
                )
                self.recurring.start()
                self.relay = OutboxRelay(
                    SCHEMA, self._relay_connection, js, self.names, poll_interval=self.settings.outbox_poll_interval,
                    sweeps=(repo.expire_idempotency_keys,),
                )
                self.relay.start()
                self.webhooks.start(js)
                exhausted.start(js)
                try:
                    yield self
                finally:
                    await self.scheduler.stop()
                    await self.recurring.stop()
                    await self.relay.stop()
                    await self.webhooks.stop()
                    await exhausted.stop()
        finally:
            await self.nc.drain()
