"""Bus handlers for webhooks (create, list, get, delete, deliveries) and the consumer that
turns public events into pending deliveries.

No `from __future__ import annotations`: see handlers.py.
"""

from collections.abc import Callable
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import repository as repo
from billwire_invoices.handlers import InvoicesHandlers, utcnow
from billwire_invoices.webhooks import rules as wh
from billwire_invoices.webhooks import sql
from billwire_invoices.webhooks.directory import WebhookDirectory, announce
from billwire_shared import subjects as s
from billwire_shared.consumers import Durable, EventFeed
from billwire_shared.contracts import webhooks as w
from billwire_shared.contracts.common import ById, Deleted, Page
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.public_events import PUBLIC_EVENTS, is_public
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, invalid
from billwire_shared.ids import new_id

# Only public events become deliveries: the server hands over only those where it can filter
# on several subjects, else every event passes through and the rest is skipped here. Queueing
# is idempotent, so a redelivered event adds nothing; the retries are for the database being away.
WEBHOOK_EVENTS = Durable(
    name="invoices-webhooks", subject="events.>", max_deliver=10, backoff=(1, 5, 15, 60, 300, 900, 1800, 3600, 3600),
    only=tuple(f"events.{event.type}" for event in PUBLIC_EVENTS),
)


class WebhookHandlers(InvoicesHandlers):
    def __init__(self, pool: asyncpg.Pool, *, allow_private: bool = False, resolver: wh.Resolver = wh.resolve,
                 wake: Callable[[], None] = lambda: None, directory: WebhookDirectory | None = None) -> None:
        super().__init__(pool)
        self.allow_private, self.resolver, self.wake, self.directory = allow_private, resolver, wake, directory

    async def _check_target(self, url: str) -> None:
        try:
            if self.allow_private:
                wh.split_target(url)
            else:
                await wh.public_addresses(url, self.resolver)
        except wh.TargetRefused as exc:
            raise invalid([FieldError(field="url", message=str(exc))], "The webhook URL cannot receive events.") from exc

    async def create_webhook(self, cmd: w.CreateWebhook) -> w.NewWebhook:
        body = cmd.webhook
        problems = wh.filter_problems(body.events)
        if problems:
            raise invalid(problems)
        await self._check_target(body.url)

        async def work(conn: asyncpg.Connection) -> w.NewWebhook:
            if await sql.count_webhooks(conn, cmd.ctx.account_id) >= w.MAX_WEBHOOKS_PER_ACCOUNT:
                raise invalid([FieldError(field="", message=f"at most {w.MAX_WEBHOOKS_PER_ACCOUNT} webhooks per account")],
                              "This account has as many webhooks as it may have.")
            secret = wh.new_secret()
            hook = w.NewWebhook(
                id=new_id(), url=body.url, events=list(dict.fromkeys(body.events)), description=body.description,
                secret_prefix=secret[:10], created_at=utcnow(), secret=secret,
            )
            public = w.Webhook(**{f: getattr(hook, f) for f in w.Webhook.__struct_fields__})
            change = repo.Change(entity="webhook", entity_id=hook.id, action="create", after=public)  # the audit never sees the secret
            await repo.apply(conn, sql.insert_webhook(cmd.ctx.account_id, hook), cmd.ctx, change)
            await announce(conn, cmd.ctx.account_id)
            return hook

        # A replay of the same Idempotency-Key answers with the webhook, never the secret again.
        return await self._write(cmd.ctx, w.NewWebhook, work, kept=lambda hook: msgspec.structs.replace(hook, secret=""))

    async def list_webhooks(self, cmd: w.ListWebhooks) -> list[w.Webhook]:
        return await self._read(lambda conn: sql.list_webhooks(conn, cmd.ctx.account_id))

    async def _get(self, conn: asyncpg.Connection, account_id: UUID, webhook_id: UUID, lock: bool = False) -> w.Webhook:
        hook = await sql.get_webhook(conn, account_id, webhook_id, lock=lock)
        if hook is None:
            raise BillwireError(ErrorCode.NOT_FOUND, f"Webhook {webhook_id} was not found.")
        return hook

    async def get_webhook(self, cmd: ById) -> w.Webhook:
        return await self._read(lambda conn: self._get(conn, cmd.ctx.account_id, cmd.id))

    async def delete_webhook(self, cmd: ById) -> Deleted:
        """The webhook goes with its pending deliveries and their history."""

        async def work(conn: asyncpg.Connection) -> Deleted:
            before = await self._get(conn, cmd.ctx.account_id, cmd.id, lock=True)
            change = repo.Change(entity="webhook", entity_id=cmd.id, action="delete", before=before)
            await repo.apply(conn, sql.delete_webhook(cmd.ctx.account_id, cmd.id), cmd.ctx, change)
            return Deleted(id=cmd.id)

        return await self._write(cmd.ctx, Deleted, work)

    async def list_deliveries(self, cmd: w.ListDeliveries) -> Page[w.WebhookDelivery]:
        async def work(conn: asyncpg.Connection) -> Page[w.WebhookDelivery]:
            await self._get(conn, cmd.ctx.account_id, cmd.id)
            items, total = await sql.list_deliveries(conn, cmd.ctx.account_id, cmd)
            return Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset)

        return await self._read(work)

    async def on_event(self, raw: bytes) -> None:
        """Queue the event for every webhook of its account that wants it (once per webhook).
        Only its type and account are read first: most events concern nobody's webhook."""
        head = _read_head(raw)
        if not is_public(head.type) or (self.directory is not None and not self.directory.may_have(head.account_id)):
            return
        event = _read_event(raw)
        async with self.pool.acquire() as conn:
            queued = await sql.queue_deliveries(
                conn, event.account_id, event.id, event.type, event.occurred_at, wh.filters_matching(event.type), raw,
            )
        if queued:
            self.wake()


class EventHead(msgspec.Struct):
    type: str
    account_id: UUID


_read_head = msgspec.json.Decoder(EventHead).decode
_read_event = msgspec.json.Decoder(Event).decode


WEBHOOK_ROUTES: dict[str, str] = {
    s.WEBHOOK_CREATE: "create_webhook",
    s.WEBHOOK_LIST: "list_webhooks",
    s.WEBHOOK_GET: "get_webhook",
    s.WEBHOOK_DELETE: "delete_webhook",
    s.WEBHOOK_DELIVERIES: "list_deliveries",
}


class WebhookRuntime:
    """What runs beside the webhook RPC handlers: the event feed, the delivery worker and the directory."""

    def __init__(self, feed: EventFeed, worker, directory: WebhookDirectory) -> None:
        self.feed, self.worker, self.directory = feed, worker, directory

    def start(self, js) -> None:
        self.directory.start()
        self.worker.start()
        self.feed.start(js)

    async def stop(self) -> None:
        await self.feed.stop()
        await self.worker.stop()
        await self.directory.stop()


def attach(broker, names, pool: asyncpg.Pool, settings, concurrency: int, schema: str = "invoices") -> WebhookRuntime:
    """Wire webhooks into an invoices replica: RPC routes, and the (not yet started) event
    feed, delivery worker and directory."""
    from billwire_invoices.handlers import register
    from billwire_invoices.webhooks.worker import DeliveryWorker

    worker = DeliveryWorker(
        pool, allow_private=settings.webhooks_allow_private, timeout=settings.webhooks_timeout,
        poll_interval=settings.webhooks_poll_interval, retry_scale=settings.webhooks_retry_scale,
    )
    directory = WebhookDirectory(lambda: asyncpg.connect(settings.database_url, server_settings={"search_path": schema}))
    handlers = WebhookHandlers(pool, allow_private=settings.webhooks_allow_private, wake=worker.wake, directory=directory)
    register(broker, [(WEBHOOK_ROUTES, handlers)], names, concurrency)
    return WebhookRuntime(EventFeed(names, WEBHOOK_EVENTS, handlers.on_event), worker, directory)
