"""Wires the invoices service on the service base (which owns the pool, the NATS connection,
the consumers, dead letters and the outbox publisher): its wings' handlers onto the bus, the
schedulers and the webhook runtime. Configuration is settings.py; the work is in the wings.

Who answers a subject: the handler method marked `@answers(subjects.X)` in some wing's
handlers.py (search for the constant). `register` below passes every wing's handlers object to
`routes`, which collects the marked methods; a new wing adds its handlers object there.
"""

from __future__ import annotations

import contextlib
import logging

import asyncpg
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from billwire_invoices import Handler, routes
from billwire_invoices.accounts import handlers as accounts
from billwire_invoices.accounts.approvals import handlers as approvals
from billwire_invoices.documents import einvoice, reports
from billwire_invoices.documents import handlers as documents
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.archive import handlers as archive
from billwire_invoices.documents.overview import handlers as overview
from billwire_invoices.documents.views import handlers as views
from billwire_invoices.email import handlers as email_settings
from billwire_invoices.lifecycle import handlers as lifecycle
from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from billwire_invoices.migrations import MIGRATIONS, SCHEMA
from billwire_invoices.recurring import handlers as recurring
from billwire_invoices.recurring.scheduler import RecurringScheduler
from billwire_invoices.settings import InvoicesSettings, document_limits
from billwire_invoices.text import handlers as text
from billwire_invoices.text.model import TextModelSettings
from billwire_invoices.uow import expire_idempotency_keys
from billwire_invoices.users import handlers as users
from billwire_invoices.users import links as user_links
from billwire_invoices.webhooks.handlers import WEBHOOK_EVENTS
from billwire_invoices.webhooks.handlers import attach as attach_webhooks
from billwire_shared import subjects
from billwire_shared.consumers import Durable, subscribe_durable
from billwire_shared.migrate import migrate
from billwire_shared.service import Service, open_schema_pool
from billwire_shared.settings import load_settings
from billwire_shared.subjects import Names

log = logging.getLogger("billwire.invoices")


EMAIL_DELIVERED = Durable(name="invoices-email-delivered", subject=subjects.EMAIL_DELIVERED)
EMAIL_FAILED = Durable(name="invoices-email-failed", subject=subjects.EMAIL_FAILED)


async def run_migrations(settings: InvoicesSettings) -> list[str]:
    return await migrate(settings.database_url, SCHEMA, MIGRATIONS)


async def open_pool(settings: InvoicesSettings, **kwargs) -> asyncpg.Pool:
    kwargs.setdefault("max_size", settings.db_pool_size)
    return await open_schema_pool(settings.database_url, SCHEMA, **kwargs)


def subscribe_routes(broker: NatsBroker, table: dict[str, Handler], names: Names, concurrency: int) -> None:
    """Subscribe each subject's handler in the service's queue group; FastStream handles one
    message at a time per subscriber unless told otherwise (`max_workers`)."""
    queue = names.queue("invoices")
    for subject, handler in table.items():
        broker.subscriber(names.subject(subject), queue=queue, max_workers=concurrency)(handler)


class InvoicesService(Service):
    """One replica: answers RPCs in the `invoices` queue group, runs the overdue and recurring
    schedulers and the webhook deliveries; the base publishes its outbox."""

    settings: InvoicesSettings
    sweeps = (expire_idempotency_keys,)

    def __init__(self, settings: InvoicesSettings) -> None:
        super().__init__(SCHEMA, settings, MIGRATIONS, (EMAIL_DELIVERED, EMAIL_FAILED, WEBHOOK_EVENTS))

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        """Every wing's handlers on the subjects their methods are marked with, and the consumers."""

        async def broadcast(subject: str, payload: bytes) -> None:
            assert self.nc is not None
            await self.nc.publish(self.names.subject(subject), payload)

        life = lifecycle.LifecycleHandlers(pool, self.request, self.settings.documents_quota_per_month)
        self.lifecycle = life  # the recurring scheduler saves its documents the same way
        self.webhooks = attach_webhooks(self.names, pool, self.settings, SCHEMA)
        limits = document_limits(self.settings)
        docs = documents.DocumentHandlers(pool, limits, self.settings.documents_quota_per_month)
        table = routes(
            accounts.AccountHandlers(pool, broadcast, self.settings.max_active_api_keys),
            docs,
            approvals.ApprovalHandlers(pool, docs, life, self.settings.approval_valid_days),
            reports.ReportHandlers(pool, self.request, self.settings.documents_quota_per_month),
            life,
            email_settings.EmailSettingsHandlers(pool),
            text.TextHandlers(pool, load_settings(TextModelSettings), limits, self.settings.documents_quota_per_month),
            users.UsersHandlers(pool, broadcast),
            user_links.LinkHandlers(pool, self.settings.invite_valid_hours, self.settings.password_reset_valid_minutes, broadcast),
            overview.OverviewHandlers(pool),
            views.ViewHandlers(pool),
            archive.ArchiveHandlers(pool),
            recurring.RecurringHandlers(pool, limits=limits),
            self.webhooks.handlers,
        )
        subscribe_routes(broker, table, self.names, self.settings.rpc_concurrency)
        subscribe_durable(broker, self.names, EMAIL_DELIVERED, life.on_email_delivered)
        subscribe_durable(broker, self.names, EMAIL_FAILED, life.on_email_failed)

    async def start_loops(self, stack: contextlib.AsyncExitStack, js: JetStreamContext) -> None:
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            if await documents_sql.einvoices_in_use(conn):
                einvoice.warm_up()  # in the background; otherwise they compile with the first e-invoice
        await self.webhooks.reseal()
        self.webhooks.start(js)
        stack.push_async_callback(self.webhooks.stop)
        self.recurring = RecurringScheduler(
            self.pool, self.lifecycle, self.settings.recurring_interval, request=self.request,
            workers=self.settings.recurring_workers,
        )
        self.recurring.start()
        stack.push_async_callback(self.recurring.stop)
        self.scheduler = OverdueScheduler(self.pool, self.settings.overdue_interval, request=self.request)
        self.scheduler.start()
        stack.push_async_callback(self.scheduler.stop)
