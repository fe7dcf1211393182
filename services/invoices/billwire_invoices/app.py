"""Wires the invoices service: its wings' handlers onto the bus, the pool, the outbox relay,
the scheduler and the webhook runtime. Configuration is settings.py; the work is in the wings.

Who answers a subject: the handler method marked `@answers(subjects.X)` in some wing's
handlers.py (search for the constant). `register` below passes every wing's handlers object to
`routes`, which collects the marked methods; a new wing adds its handlers object there.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import msgspec
import nats
from faststream.nats import NatsBroker

from billwire_invoices import Handler, routes
from billwire_invoices.accounts import handlers as accounts
from billwire_invoices.documents import handlers as documents
from billwire_invoices.documents import reports
from billwire_invoices.documents.overview import handlers as overview
from billwire_invoices.email import handlers as email_settings
from billwire_invoices.lifecycle import handlers as lifecycle
from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from billwire_invoices.recurring import handlers as recurring
from billwire_invoices.recurring.scheduler import RecurringScheduler
from billwire_invoices.settings import InvoicesSettings
from billwire_invoices.text import handlers as text
from billwire_invoices.text.model import TextModelSettings
from billwire_invoices.uow import expire_idempotency_keys
from billwire_invoices.users import handlers as users
from billwire_invoices.webhooks.handlers import WEBHOOK_EVENTS
from billwire_invoices.webhooks.handlers import attach as attach_webhooks
from billwire_shared import subjects
from billwire_shared.bus import declare_jetstream, nats_servers
from billwire_shared.consumers import Durable, ExhaustedWatch, subscribe_durable
from billwire_shared.errors import ERROR_HEADER, BillwireError, ErrorCode, ErrorReply
from billwire_shared.migrate import migrate
from billwire_shared.outbox import OutboxRelay
from billwire_shared.service import Service, open_schema_pool
from billwire_shared.settings import load_settings
from billwire_shared.subjects import Names

SCHEMA = "invoices"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.invoices")


EMAIL_DELIVERED = Durable(name="invoices-email-delivered", subject=subjects.EMAIL_DELIVERED)
EMAIL_FAILED = Durable(name="invoices-email-failed", subject=subjects.EMAIL_FAILED)


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


def subscribe_routes(broker: NatsBroker, table: dict[str, Handler], names: Names, concurrency: int) -> None:
    """Subscribe each subject's handler in the service's queue group; FastStream handles one
    message at a time per subscriber unless told otherwise (`max_workers`)."""
    queue = names.queue("invoices")
    for subject, handler in table.items():
        broker.subscriber(names.subject(subject), queue=queue, max_workers=concurrency)(handler)


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
        """Every wing's handlers on the subjects their methods are marked with, and the consumers."""

        async def broadcast(subject: str, payload: bytes) -> None:
            assert self.nc is not None
            await self.nc.publish(self.names.subject(subject), payload)

        life = lifecycle.LifecycleHandlers(pool, self.request)
        self.lifecycle = life  # the recurring scheduler saves its documents the same way
        self.webhooks = attach_webhooks(self.names, pool, self.settings, SCHEMA)
        table = routes(
            accounts.AccountHandlers(pool, broadcast),
            documents.DocumentHandlers(pool),
            reports.ReportHandlers(pool, self.request, self.settings.documents_quota_per_month),
            life,
            email_settings.EmailSettingsHandlers(pool),
            text.TextHandlers(pool, load_settings(TextModelSettings)),
            users.UsersHandlers(pool),
            overview.OverviewHandlers(pool),
            recurring.RecurringHandlers(pool),
            self.webhooks.handlers,
        )
        subscribe_routes(broker, table, self.names, self.settings.rpc_concurrency)
        subscribe_durable(broker, self.names, EMAIL_DELIVERED, life.on_email_delivered)
        subscribe_durable(broker, self.names, EMAIL_FAILED, life.on_email_failed)

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
                    sweeps=(expire_idempotency_keys,),
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
