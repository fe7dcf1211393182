"""The unit of work of the invoices service: how a handler reads, and how it writes one change
with everything that must commit with it (the Idempotency-Key's claim and stored reply, the
audit row, the outbox event), all or nothing.

Handlers hold a `UnitOfWork` (composition, as in cosmicpython's service_layer/unit_of_work.py)
and give it the work to run on one connection: `read(work)`, `write(ctx, reply_type, work)`.
Inside the work, `UnitOfWork.apply` (or `record` with a `Change` of one's own) writes a
statement together with its audit row and event in one round trip.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.accounts.approvals.rules import held_for_approval
from billwire_shared.contracts.common import Caller, Page
from billwire_shared.contracts.events import Event
from billwire_shared.errors import BillwireError, ErrorCode, FieldError
from billwire_shared.ids import new_id
from billwire_shared.telemetry import trace_headers

Statement = tuple[str, list[Any]]  # SQL with $n placeholders and its arguments
Work = Callable[[asyncpg.Connection], Awaitable[Any]]
R = TypeVar("R")
log = logging.getLogger("billwire.invoices")
DEADLOCK_ATTEMPTS = 3  # a transaction Postgres chose as a deadlock's victim runs again, at most this often


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_event(event_type: str, account_id: UUID, data: Any, now: datetime) -> Event:
    return Event(id=new_id(), type=event_type, occurred_at=now, account_id=account_id, data=data)


class Change(msgspec.Struct, kw_only=True):
    """What the audit log and the outbox say about one change."""

    entity: str
    entity_id: UUID
    action: str
    before: Any = None
    after: Any = None
    event: Event | None = None


_AUDIT_AND_OUTBOX = (
    "audit AS (INSERT INTO audit_log (account_id, entity, entity_id, key_id, request_id, action, before, after, user_id)"
    " VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {11}))"
    " INSERT INTO outbox (event_id, subject, payload, trace_headers) SELECT {8}, {9}, {10}, {12} WHERE {8}::uuid IS NOT NULL"
)


def _json(value: Any) -> msgspec.Raw | None:
    return None if value is None else msgspec.Raw(msgspec.json.encode(value))


async def record(conn: asyncpg.Connection, statement: Statement, ctx: Caller, change: Change) -> None:
    """The write, its audit row and its event as one statement: one round trip, all or nothing.

    The changed entity is encoded to JSON once and that text used for its row, its audit
    entry and its event (jsonb parameters accept msgspec.Raw through the pool's codec).
    """
    sql, args = statement
    after = _json(change.after)
    if after is not None:
        args = [after if arg is change.after else arg for arg in args]
    placeholders = [f"${len(args) + i}" for i in range(1, 14)]
    event = change.event
    if event is not None and event.data is change.after and after is not None:
        event = msgspec.structs.replace(event, data=after)
    await conn.execute(
        f"WITH main AS ({sql}), " + _AUDIT_AND_OUTBOX.format(*placeholders),
        *args,
        ctx.account_id, change.entity, change.entity_id, ctx.key_id, ctx.request_id, change.action,
        _json(change.before), after,
        event.id if event else None, f"events.{event.type}" if event else None,
        msgspec.json.encode(event) if event else None, ctx.user_id, trace_headers() if event else None,
    )


# -- idempotency keys ---------------------------------------------------------------------------


async def claim_idempotency_key(conn: asyncpg.Connection, ctx: Caller) -> asyncpg.Record | None:
    """Claim the key for this request; None when claimed, else the earlier request's row.

    A concurrent request with the same key blocks on the insert until the first commits.
    """
    claimed = await conn.fetchval(
        "INSERT INTO idempotency_keys (account_id, key, fingerprint) VALUES ($1, $2, $3)"
        " ON CONFLICT (account_id, key) DO NOTHING RETURNING true",
        ctx.account_id, ctx.idempotency_key, ctx.fingerprint or "",
    )
    if claimed:
        return None
    return await conn.fetchrow(
        "SELECT fingerprint, reply FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        ctx.account_id, ctx.idempotency_key,
    )


async def store_idempotent_reply(conn: asyncpg.Connection, ctx: Caller, reply: bytes) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET reply = $3 WHERE account_id = $1 AND key = $2",
        ctx.account_id, ctx.idempotency_key, reply,
    )


async def expire_idempotency_keys(conn: asyncpg.Connection, keep: timedelta = timedelta(hours=48)) -> int:
    """Keys are honoured for at least 24 hours; they are kept 48."""
    status = await conn.execute("DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", keep)
    return int(status.split()[-1])


@contextlib.contextmanager
def refused_if_taken(constraint: str, code: ErrorCode, message: str, field: str, reason: str) -> Iterator[None]:
    """A unique violation of `constraint` (a number another row of the account already has) is a
    409 naming `field`; any other violation is raised as it is."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != constraint:
            raise
        raise BillwireError(code, message, [FieldError(field=field, message=reason)]) from exc


# -- the unit of work -----------------------------------------------------------------------------


class UnitOfWork:
    """Runs a handler's work on one pooled connection: reads as they are, writes in a transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection for reads, or for one statement that needs no transaction."""
        async with self.pool.acquire() as conn:
            yield conn

    async def read(self, work: Work) -> Any:
        async with self.connection() as conn:
            return await work(conn)

    async def read_page(self, query: Any, work: Work) -> Page[Any]:
        """One page of a list: `work` finds (items, total), or (items, total, next_cursor) for a list
        that also pages by cursor, framed by the query's limit and offset."""
        items, total, *next_cursor = await self.read(work)
        return Page(items=items, total=total, limit=query.limit, offset=query.offset, next_cursor=next_cursor[0] if next_cursor else None)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction for work no caller's Idempotency-Key covers (consumers, schedulers)."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def write(
        self, ctx: Caller, reply_type: type[R], work: Work, kept: Callable[[R], R] = lambda r: r, *, one_write: bool = False,
        held: str | None = None,
    ) -> R:
        """Run `work` in a transaction; with an Idempotency-Key, a replay gets the first reply
        (as `kept` leaves it: a secret is never stored for a replay). Work that only reads and
        then writes one statement (`one_write`) needs no transaction of its own without a key.
        `held` names the action a key's policy may hold for a person's approval: such a key is
        refused before anything runs (the gateway asks for the approval instead)."""
        if held is not None:
            held_for_approval(ctx, held)
        if one_write and not ctx.idempotency_key:
            async with self.pool.acquire() as conn:
                return await work(conn)
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                return await self._write_once(ctx, reply_type, work, kept)
            except asyncpg.exceptions.DeadlockDetectedError:
                # Postgres rolled the whole transaction back (the key's claim too): running it
                # again is safe. The running totals' triggers can meet in opposite order.
                if attempt == DEADLOCK_ATTEMPTS:
                    raise
                log.warning("a write met another in a deadlock; attempt %d of %d", attempt + 1, DEADLOCK_ATTEMPTS)
        raise AssertionError("unreachable")

    async def _write_once(self, ctx: Caller, reply_type: type[R], work: Work, kept: Callable[[R], R]) -> R:
        async with self.pool.acquire() as conn, conn.transaction():
            if ctx.idempotency_key:
                earlier = await claim_idempotency_key(conn, ctx)
                if earlier is not None:
                    if earlier["fingerprint"] != (ctx.fingerprint or ""):
                        raise BillwireError(
                            ErrorCode.IDEMPOTENCY_KEY_REUSED,
                            "This Idempotency-Key was already used with a different request.",
                            [FieldError(field="Idempotency-Key", message="already used with another method, path or body")],
                        )
                    return msgspec.json.decode(earlier["reply"], type=reply_type)
            result = await work(conn)
            if ctx.idempotency_key:
                await store_idempotent_reply(conn, ctx, msgspec.json.encode(kept(result)))
            return result

    @staticmethod
    async def apply(
        conn: asyncpg.Connection, statement: Statement, ctx: Caller, entity: str, entity_id: UUID, action: str,
        before: Any, after: Any, event_type: str | None, now: datetime,
    ) -> None:
        """Write `statement` with its audit row and (when `event_type`) its event."""
        event = new_event(event_type, ctx.account_id, after if after is not None else before, now) if event_type else None
        change = Change(entity=entity, entity_id=entity_id, action=action, before=before, after=after, event=event)
        await record(conn, statement, ctx, change)


class Handlers:
    """The base of a wing's handlers that need nothing but their unit of work (`self.uow`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.uow = UnitOfWork(pool)
