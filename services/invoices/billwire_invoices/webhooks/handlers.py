"""Bus handlers for webhooks (create, list, get, delete, deliveries) and the consumer that
turns public events into pending deliveries.

No `from __future__ import annotations`: see documents/handlers.py.
"""

from collections.abc import Callable
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.uow import Change, UnitOfWork, record, utcnow
from billwire_invoices.webhooks import rules, sql
from billwire_invoices.webhooks.directory import WebhookDirectory, announce
from billwire_invoices.webhooks.sealing import SecretBox, reseal
from billwire_invoices.webhooks.worker import DeliveryWorker
from billwire_shared import subjects
from billwire_shared.consumers import Durable, EventFeed
from billwire_shared.contracts.common import ById, Deleted, Page
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.public_events import PUBLIC_EVENTS, is_public
from billwire_shared.contracts.webhooks import (
    MAX_WEBHOOKS_PER_ACCOUNT,
    CreateWebhook,
    ListDeliveries,
    ListWebhooks,
    NewWebhook,
    Webhook,
    WebhookDelivery,
)
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, invalid
from billwire_shared.ids import new_id

# Only public events become deliveries: the server hands over only those where it can filter
# on several subjects, else every event passes through and the rest is skipped here. Queueing
# is idempotent, so a redelivered event adds nothing; the retries are for the database being away.
WEBHOOK_EVENTS = Durable(
    name="invoices-webhooks", subject="events.>", max_deliver=10, backoff=(1, 5, 15, 60, 300, 900, 1800, 3600, 3600),
    only=tuple(f"events.{event.type}" for event in PUBLIC_EVENTS),
)


class WebhookHandlers:
    """One method per RPC subject of webhooks (each marked with the subject it answers), and the consumer of public events."""

    def __init__(self, pool: asyncpg.Pool, *, allow_private: bool = False, resolver: rules.Resolver = rules.resolve,
                 wake: Callable[[], None] = lambda: None, directory: WebhookDirectory | None = None,
                 box: SecretBox | None = None) -> None:
        self.uow = UnitOfWork(pool)
        self.box = box or SecretBox("")
        self.allow_private, self.resolver, self.wake, self.directory = allow_private, resolver, wake, directory

    async def _check_target(self, url: str) -> None:
        try:
            if self.allow_private:
                rules.split_target(url)
            else:
                await rules.public_addresses(url, self.resolver)
        except rules.TargetRefused as exc:
            raise invalid([FieldError(field="url", message=str(exc))], "The webhook URL cannot receive events.") from exc

    @answers(subjects.WEBHOOK_CREATE)
    async def create_webhook(self, cmd: CreateWebhook) -> NewWebhook:
        body = cmd.webhook
        problems = rules.filter_problems(body.events)
        if problems:
            raise invalid(problems)
        await self._check_target(body.url)

        async def work(conn: asyncpg.Connection) -> NewWebhook:
            if await sql.count_webhooks(conn, cmd.ctx.account_id) >= MAX_WEBHOOKS_PER_ACCOUNT:
                raise invalid([FieldError(field="", message=f"at most {MAX_WEBHOOKS_PER_ACCOUNT} webhooks per account")],
                              "This account has as many webhooks as it may have.")
            secret = rules.new_secret()
            hook = NewWebhook(
                id=new_id(), url=body.url, events=list(dict.fromkeys(body.events)), description=body.description,
                secret_prefix=secret[:10], created_at=utcnow(), secret=secret,
            )
            public = Webhook(**{f: getattr(hook, f) for f in Webhook.__struct_fields__})
            change = Change(entity="webhook", entity_id=hook.id, action="create", after=public)  # the audit never sees the secret
            await record(conn, sql.insert_webhook(cmd.ctx.account_id, hook, self.box.seal(secret)), cmd.ctx, change)
            await announce(conn, cmd.ctx.account_id)
            return hook

        # A replay of the same Idempotency-Key answers with the webhook, never the secret again.
        return await self.uow.write(cmd.ctx, NewWebhook, work, kept=lambda hook: msgspec.structs.replace(hook, secret=""))

    @answers(subjects.WEBHOOK_LIST)
    async def list_webhooks(self, cmd: ListWebhooks) -> list[Webhook]:
        return await self.uow.read(lambda conn: sql.list_webhooks(conn, cmd.ctx.account_id))

    async def _get(self, conn: asyncpg.Connection, account_id: UUID, webhook_id: UUID, lock: bool = False) -> Webhook:
        hook = await sql.get_webhook(conn, account_id, webhook_id, lock=lock)
        if hook is None:
            raise BillwireError(ErrorCode.NOT_FOUND, f"Webhook {webhook_id} was not found.")
        return hook

    @answers(subjects.WEBHOOK_GET)
    async def get_webhook(self, cmd: ById) -> Webhook:
        return await self.uow.read(lambda conn: self._get(conn, cmd.ctx.account_id, cmd.id))

    @answers(subjects.WEBHOOK_DELETE)
    async def delete_webhook(self, cmd: ById) -> Deleted:
        """The webhook goes with its pending deliveries and their history."""

        async def work(conn: asyncpg.Connection) -> Deleted:
            before = await self._get(conn, cmd.ctx.account_id, cmd.id, lock=True)
            change = Change(entity="webhook", entity_id=cmd.id, action="delete", before=before)
            await record(conn, sql.delete_webhook(cmd.ctx.account_id, cmd.id), cmd.ctx, change)
            return Deleted(id=cmd.id)

        return await self.uow.write(cmd.ctx, Deleted, work)

    @answers(subjects.WEBHOOK_DELIVERIES)
    async def list_deliveries(self, cmd: ListDeliveries) -> Page[WebhookDelivery]:
        async def work(conn: asyncpg.Connection) -> Page[WebhookDelivery]:
            await self._get(conn, cmd.ctx.account_id, cmd.id)
            items, total = await sql.list_deliveries(conn, cmd.ctx.account_id, cmd)
            return Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset)

        return await self.uow.read(work)

    async def on_event(self, raw: bytes) -> None:
        """Queue the event for every webhook of its account that wants it (once per webhook).
        Only its type and account are read first: most events concern nobody's webhook."""
        head = _read_head(raw)
        if not is_public(head.type) or (self.directory is not None and not self.directory.may_have(head.account_id)):
            return
        event = _read_event(raw)
        queued = await self.uow.read(lambda conn: sql.queue_deliveries(
            conn, event.account_id, event.id, event.type, event.occurred_at, rules.filters_matching(event.type), raw,
        ))
        if queued:
            self.wake()


class EventHead(msgspec.Struct):
    type: str
    account_id: UUID


_read_head = msgspec.json.Decoder(EventHead).decode
_read_event = msgspec.json.Decoder(Event).decode


class WebhookRuntime:
    """Webhooks in one replica: the RPC handlers, and what runs beside them (the event feed,
    the delivery worker and the directory), started and stopped by the service."""

    def __init__(self, handlers: WebhookHandlers, feed: EventFeed, worker: DeliveryWorker, directory: WebhookDirectory) -> None:
        self.handlers, self.feed, self.worker, self.directory = handlers, feed, worker, directory

    async def reseal(self) -> tuple[int, int]:
        """Before deliveries start: encrypt the secrets stored in clear or under an older key."""
        return await reseal(self.handlers.uow.pool, self.handlers.box)

    def start(self, js) -> None:
        self.directory.start()
        self.worker.start()
        self.feed.start(js)

    async def stop(self) -> None:
        await self.feed.stop()
        await self.worker.stop()
        await self.directory.stop()


def attach(names, pool: asyncpg.Pool, settings, schema: str = "invoices") -> WebhookRuntime:
    """Webhooks for an invoices replica: their handlers (whose `routes` the service subscribes)
    and the not yet started event feed, delivery worker and directory."""
    box = SecretBox(settings.secrets_keys)
    worker = DeliveryWorker(
        pool, box=box, allow_private=settings.webhooks_allow_private, timeout=settings.webhooks_timeout,
        poll_interval=settings.webhooks_poll_interval, retry_scale=settings.webhooks_retry_scale,
    )
    directory = WebhookDirectory(lambda: asyncpg.connect(settings.database_url, server_settings={"search_path": schema}))
    handlers = WebhookHandlers(pool, allow_private=settings.webhooks_allow_private, wake=worker.wake, directory=directory, box=box)
    return WebhookRuntime(handlers, EventFeed(names, WEBHOOK_EVENTS, handlers.on_event, service="invoices"), worker, directory)
