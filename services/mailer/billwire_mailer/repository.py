"""SQL of the `mailer` schema: messages, attempts, the daily quota, and the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_shared.contracts.events import Event
from billwire_shared.ids import new_id
from billwire_shared.outbox import add_event
from billwire_shared.telemetry import trace_headers

Db = asyncpg.Connection | asyncpg.Pool


def storable(text: str) -> str:
    """Postgres text holds no NUL: keep it visible instead."""
    return text.replace("\x00", "\\x00")


# -- messages and attempts -----------------------------------------------------------------------


async def insert_message(
    db: Db, *, send_request_id: UUID, account_id: UUID, document_id: UUID, artifact_id: UUID | None,
    message_id: str, sender: str, recipients: list[str], subject: str,
) -> None:
    """The message's row, once: a repeat of the request finds the first one."""
    await db.execute(
        """
        INSERT INTO messages (send_request_id, account_id, document_id, artifact_id, message_id, sender, recipients, subject)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (send_request_id) DO NOTHING
        """,
        send_request_id, account_id, document_id, artifact_id, storable(message_id), storable(sender),
        [storable(r) for r in recipients], storable(subject),
    )


async def record_message(
    db: Db, *, send_request_id: UUID, account_id: UUID, document_id: UUID, artifact_id: UUID | None,
    message_id: str, sender: str, recipients: list[str], subject: str,
) -> str | None:
    """`insert_message` and the message's state in one round trip: `pending` when new, the
    first row's state for a repeat (None when that row is still being written elsewhere)."""
    return await db.fetchval(
        """
        WITH added AS (
            INSERT INTO messages (send_request_id, account_id, document_id, artifact_id, message_id, sender, recipients, subject)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (send_request_id) DO NOTHING
            RETURNING state
        )
        SELECT state FROM added UNION ALL SELECT state FROM messages WHERE send_request_id = $1 LIMIT 1
        """,
        send_request_id, account_id, document_id, artifact_id, storable(message_id), storable(sender),
        [storable(r) for r in recipients], storable(subject),
    )


_LOCK_KEY = "hashtextextended('billwire-mailer:' || $1::uuid::text, 0)"


async def try_lock(conn: asyncpg.Connection, send_request_id: UUID) -> bool:
    """Whether this connection is now the only one working on the send request (a session
    lock: `unlock` must follow; a connection that dies releases it)."""
    return await conn.fetchval(f"SELECT pg_try_advisory_lock({_LOCK_KEY})", send_request_id)


async def unlock(conn: asyncpg.Connection, send_request_id: UUID) -> None:
    """Release `try_lock`; a connection that cannot say so is closed, so no lock outlives it."""
    try:
        await conn.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})", send_request_id)
    except BaseException:
        conn.terminate()
        raise


async def open_attempts(conn: asyncpg.Connection, send_request_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT number, phase FROM attempts WHERE send_request_id = $1 AND outcome IS NULL ORDER BY number",
        send_request_id,
    )


async def start_attempt(db: Db, send_request_id: UUID, account_id: UUID, delivery: int) -> int:
    """Write the attempt before the relay is contacted (committed on its own)."""
    return await db.fetchval(
        """
        INSERT INTO attempts (send_request_id, number, account_id, delivery)
        SELECT $1, coalesce(max(number), 0) + 1, $2, $3 FROM attempts WHERE send_request_id = $1
        RETURNING number
        """,
        send_request_id, account_id, delivery,
    )


async def begin_attempt(conn: asyncpg.Connection, send_request_id: UUID, account_id: UUID, delivery: int) -> tuple[str | None, int | None]:
    """(state, number): a new attempt, committed, when the message is pending and no earlier
    attempt is left open (the usual case, one round trip); number None otherwise, for the
    caller to look at the open attempts first. Run under `try_lock`."""
    row = await conn.fetchrow(
        """
        WITH message AS (SELECT state FROM messages WHERE send_request_id = $1),
        added AS (
            INSERT INTO attempts (send_request_id, number, account_id, delivery)
            SELECT $1, coalesce(max(number), 0) + 1, $2, $3 FROM attempts WHERE send_request_id = $1
            HAVING (SELECT state FROM message) = 'pending' AND count(*) FILTER (WHERE outcome IS NULL) = 0
            RETURNING number
        )
        SELECT (SELECT state FROM message) AS state, (SELECT number FROM added) AS number
        """,
        send_request_id, account_id, delivery,
    )
    return row["state"], row["number"]


async def enter_data_phase(db: Db, send_request_id: UUID, number: int) -> None:
    """From here on the relay may accept the message: this attempt is never repeated blindly.
    One simple-protocol message (a UUID and an int inlined, nothing else): it is written to the
    server at the first step of this coroutine, so it arrives even if this process dies next."""
    await db.execute(
        f"UPDATE attempts SET phase = 'data' WHERE send_request_id = '{UUID(str(send_request_id))}' AND number = {int(number)}"
    )


async def finish_attempt(
    conn: asyncpg.Connection, send_request_id: UUID, number: int, outcome: str, code: int | None, detail: str | None
) -> None:
    await conn.execute(
        """
        UPDATE attempts SET outcome = $3, smtp_code = $4, detail = $5, finished_at = now()
        WHERE send_request_id = $1 AND number = $2
        """,
        send_request_id, number, outcome, code, storable(detail) if detail else None,
    )


async def attempts_of(db: Db, send_request_id: UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT number, delivery, phase, outcome, smtp_code, detail, started_at, finished_at FROM attempts"
        " WHERE send_request_id = $1 ORDER BY number",
        send_request_id,
    )


async def get_message(db: Db, send_request_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM messages WHERE send_request_id = $1", send_request_id)


async def mark_failed(
    conn: asyncpg.Connection, send_request_id: UUID, reason: str, permanent: bool, now: datetime, event: Event, subject: str
) -> bool:
    """Given up, with its event, once; False when it was already finished."""
    done = await conn.fetchval(
        """
        UPDATE messages SET state = 'failed', reason = $2, permanent = $3, finished_at = $4
        WHERE send_request_id = $1 AND state = 'pending' RETURNING true
        """,
        send_request_id, storable(reason), permanent, now,
    )
    if done:
        await add_event(conn, event, subject)
    return bool(done)


async def finish_delivered(
    db: Db, send_request_id: UUID, number: int, outcome: str, code: int | None, detail: str, smtp_reply: str,
    now: datetime, event: Event, subject: str,
) -> bool:
    """`finish_attempt` and marking the message delivered in one statement (so one transaction, one round
    trip): the attempt's outcome, the message delivered and its event, once; False when the
    message was already finished (the attempt is recorded all the same)."""
    return bool(await db.fetchval(
        """
        WITH attempt AS (
            UPDATE attempts SET outcome = $3, smtp_code = $4, detail = $5, finished_at = now()
            WHERE send_request_id = $1 AND number = $2
        ),
        done AS (
            UPDATE messages SET state = 'delivered', smtp_reply = $6, finished_at = $7, reason = NULL
            WHERE send_request_id = $1 AND state = 'pending' RETURNING 1
        ),
        queued AS (
            INSERT INTO outbox (event_id, subject, payload, trace_headers) SELECT $8, $9, $10, $11 FROM done RETURNING 1
        )
        SELECT count(*) > 0 FROM queued
        """,
        send_request_id, number, outcome, code, storable(detail), storable(smtp_reply), now, event.id, subject,
        msgspec.json.encode(event), trace_headers(),
    ))


def new_event(event_type: str, account_id: UUID, data: Any, now: datetime) -> Event:
    return Event(id=new_id(), type=event_type, occurred_at=now, account_id=account_id, data=data)


# -- the daily quota -----------------------------------------------------------------------------


async def quota_used(db: Db, account_id: UUID, day: date) -> int:
    used = await db.fetchval("SELECT used FROM quota_usage WHERE account_id = $1 AND day = $2", account_id, day)
    return used or 0


async def reserve_quota(
    db: Db, account_id: UUID, day: date, count: int, limit: int, reservation_id: UUID | None
) -> tuple[bool, int]:
    """(allowed, used after): take `count` of the day's `limit` (0 = unlimited), all or none;
    one statement (the function of migration 0002), so a refused reservation leaves no row behind."""
    row = await db.fetchrow("SELECT granted, used_after FROM reserve_quota($1, $2, $3, $4, $5)",
                            reservation_id, account_id, day, count, limit)
    return row["granted"], row["used_after"]


async def release_quota(db: Db, account_id: UUID, reservation_id: UUID) -> int | None:
    """Give a reservation back (once): usage of its day after, or None when there was none."""
    return await db.fetchval(
        """
        WITH gone AS (
            DELETE FROM quota_reservations WHERE reservation_id = $1 AND account_id = $2 RETURNING account_id, day, count
        )
        UPDATE quota_usage AS q SET used = greatest(q.used - gone.count, 0) FROM gone
        WHERE q.account_id = gone.account_id AND q.day = gone.day
        RETURNING q.used
        """,
        reservation_id, account_id,
    )


async def forget_old_quota(conn: asyncpg.Connection) -> None:
    """Periodic: usage older than a month and reservations older than a week go."""
    await conn.execute("DELETE FROM quota_usage WHERE day < (now() AT TIME ZONE 'UTC')::date - 31")
    await conn.execute("DELETE FROM quota_reservations WHERE created_at < now() - interval '7 days'")
