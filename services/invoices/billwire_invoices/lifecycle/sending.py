"""The path a send and a payment reminder share: reserve one e-mail of the quota, insert the
send row, queue `<type>.send_requested` (rendering and the mailer take it from there), and
give the quota back when the transaction that queued it does not commit."""

import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.lifecycle import sql
from billwire_invoices.uow import Change, new_event, record
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.mail import EmailQuota, ReleaseEmailQuota, ReserveEmailQuota, SendRequest, SendRequested
from billwire_shared.errors import BillwireError, ErrorCode

Request = Callable[[str, bytes], Awaitable[bytes]]
log = logging.getLogger("billwire.invoices.lifecycle")


async def reserve_quota(request: Request | None, ctx: Caller, send_id: UUID) -> None:
    """One e-mail of today's quota, from the mailer that counts them (a retry reserves once)."""
    if request is None:
        return
    command = ReserveEmailQuota(ctx=ctx, count=1, reservation_id=send_id)
    reply = msgspec.json.decode(await request(subjects.MAILER_QUOTA_RESERVE, msgspec.json.encode(command)), type=EmailQuota)
    if not reply.allowed:
        raise BillwireError(
            ErrorCode.EMAIL_QUOTA_EXCEEDED, f"The daily e-mail limit of {reply.limit} is reached; nothing was queued.",
            status=429,
        )


async def release_quota(request: Request | None, ctx: Caller, send_id: UUID) -> None:
    """Give back what `reserve_quota` took for a send that was not queued after all. Best
    effort: a unit the mailer cannot take back now stays counted for the day."""
    if request is None:
        return
    command = ReleaseEmailQuota(ctx=ctx, reservation_id=send_id)
    try:
        await request(subjects.MAILER_QUOTA_RELEASE, msgspec.json.encode(command))
    except Exception as exc:  # noqa: BLE001 - the send's own failure is what the caller hears about
        log.warning("the e-mail quota taken for send %s was not given back: %r", send_id, exc)


async def queue_send(conn: asyncpg.Connection, ctx: Caller, request: SendRequest) -> None:
    """The send row and its `<type>.send_requested` event: rendering and the mailer take it from there."""
    event = new_event(f"{request.document_type}.send_requested", ctx.account_id, SendRequested(send=request), request.requested_at)
    change = Change(entity="send", entity_id=request.id, action="create", after=request, event=event)
    await record(conn, sql.insert_send(ctx.account_id, request, "queued"), ctx, change)
