"""The outbox publisher: publishes committed event rows to JetStream, in id order, exactly once.

Every service that emits events keeps an `outbox` table in its own schema (see
`outbox_migration`) and runs one `OutboxPublisher`. One publisher per schema acts at a time (a
Postgres advisory lock elects it), so events leave
in order even with several replicas. It is woken by LISTEN/NOTIFY and also polls, because a
notification can be missed. A row is marked published only after JetStream acknowledged it;
the event id is the Nats-Msg-Id, so a re-publish after a crash is dropped as a duplicate.
Under load the marking rides on the next batch's SELECT (one round trip per batch); when
things go quiet it is written on its own within `MARK_DELAY`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from billwire_shared.background import BackgroundLoop
from billwire_shared.metrics import OUTBOX_BACKLOG, OUTBOX_LAG, OUTBOX_PUBLISHED
from billwire_shared.subjects import Names
from billwire_shared.telemetry import span, stored_headers, trace_headers, tracing_enabled

log = logging.getLogger("billwire.outbox")
ACK_TIMEOUT = 5.0
MARK_DELAY = 0.05  # seconds acknowledged rows may wait for the next batch to mark them
ROW = "id, event_id, subject, payload, trace_headers"
PENDING = f"SELECT {ROW} FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1"
MARK_AND_PENDING = f"""
WITH marked AS (UPDATE outbox SET published_at = now() WHERE id = ANY($2::bigint[]))
SELECT {ROW} FROM outbox WHERE published_at IS NULL AND id <> ALL($2::bigint[]) ORDER BY id LIMIT $1
"""
# How far behind publishing is: rows committed and not yet acknowledged (the unmarked ones are).
BACKLOG = """
SELECT count(*) AS backlog, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag
FROM outbox WHERE published_at IS NULL AND id <> ALL($1::bigint[])
"""
MEASURE_EVERY = 5.0  # seconds between two looks at the backlog
MARK = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"


def channel_of(schema: str) -> str:
    return f"billwire_outbox_{schema}"


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


# The outbox table's columns, as `outbox_migration` declares them (the mailer's first migration
# holds exactly that text, as its test checks; the other services' migrations the same table).
# Each service's later migration `*_outbox_trace.sql` adds `trace_headers text` (see add_event).
OUTBOX_COLUMNS = (
    ("id", "bigserial PRIMARY KEY"),
    ("event_id", "uuid NOT NULL UNIQUE"),
    ("subject", "text NOT NULL"),
    ("payload", "bytea NOT NULL"),
    ("created_at", "timestamptz NOT NULL DEFAULT now()"),
    ("published_at", "timestamptz"),
)


def outbox_migration(schema: str) -> str:
    """SQL for a service's outbox table and its commit-time wake-up."""
    columns = ",\n".join(f"    {name:<14}{declaration}" for name, declaration in OUTBOX_COLUMNS)
    wake_up = f"BEGIN\n    PERFORM pg_notify('{channel_of(schema)}', '');\n    RETURN NULL;\nEND $$;"
    return (
        f"\nCREATE TABLE outbox (\n{columns}\n);\n"
        "CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;\n"
        f"CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$\n{wake_up}\n"
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();\n"
    )


async def add_event(conn: asyncpg.Connection, event: Any, subject: str) -> None:
    """Queue an event in the same transaction as the change it reports, with the request id and
    trace context of now (`trace_headers`): the event continues the trace that caused it."""
    import msgspec

    await conn.execute(
        "INSERT INTO outbox (event_id, subject, payload, trace_headers) VALUES ($1, $2, $3, $4)",
        event.id, subject, msgspec.json.encode(event), trace_headers(),
    )


class NatsUnavailable(Exception):
    """Events could not all be published now; they stay in the outbox for the next round."""


class OutboxPublisher(BackgroundLoop):
    """The loop that publishes one schema's outbox rows (the leader among a service's replicas)."""

    def __init__(
        self,
        schema: str,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        js: JetStreamContext,
        names: Names,
        *,
        poll_interval: float = 1.0,
        linger: float = 0.005,
        batch_size: int = 256,
        retention: timedelta = timedelta(days=7),
        sweeps: tuple[Callable[[asyncpg.Connection], Awaitable[Any]], ...] = (),
    ) -> None:
        self.sweeps = sweeps  # other periodic clean-ups of the schema, run by the leader
        self.schema = schema
        self._measured = float("-inf")  # when the backlog was last looked at (loop time)
        self.connect, self.js, self.names = connect, js, names
        self.channel = channel_of(schema)
        self.leader_lock = _lock_id(f"billwire-outbox:{schema}")
        self.poll_interval, self.linger = poll_interval, linger
        self.batch_size, self.retention = batch_size, retention
        self._wake = asyncio.Event()
        self._unmarked: list[int] = []  # acknowledged by JetStream, not yet marked published
        self.published = 0

    def start(self) -> None:
        self._spawn(self._run(), "outbox-publisher")

    async def stop(self) -> None:
        await self._halt()

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self.stopping:
            try:
                conn = await self.connect()  # its own: it holds LISTEN and a session lock
                try:
                    await self._lead(conn)
                finally:
                    await conn.close()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox publisher failed; retrying")
                await asyncio.sleep(self.poll_interval)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.leader_lock):
            if self.stopping:
                return
            await asyncio.sleep(self.poll_interval)
        await conn.add_listener(self.channel, self._notified)
        try:
            last_sweep = datetime.min.replace(tzinfo=UTC)
            while not self.stopping:
                self._wake.clear()
                try:
                    await self.drain(conn)
                except NatsUnavailable as exc:
                    log.warning("outbox publisher: %s", exc)
                await self._measure(conn)
                if datetime.now(UTC) - last_sweep > timedelta(minutes=10):
                    await self._sweep(conn)
                    last_sweep = datetime.now(UTC)
                if self._unmarked:  # the next batch marks them if it comes soon; else now
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), MARK_DELAY)
                    if not self._wake.is_set():
                        await self._mark(conn)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                if self._wake.is_set():
                    # Let a busy moment's commits gather: one batch instead of one drain each.
                    await asyncio.sleep(self.linger)
        finally:
            with contextlib.suppress(Exception):
                await self._mark(conn)
            with contextlib.suppress(Exception):
                await conn.remove_listener(self.channel, self._notified)

    async def drain(self, conn: asyncpg.Connection) -> None:
        """Publish every pending row; on a NATS failure keep the rest for the next round.

        A batch is published pipelined (in order, acks awaited afterwards) and only the run of
        rows acknowledged from its start is marked, so a retry never reorders events. A batch
        shorter than `batch_size` was everything committed: rows committed since then notify.
        """
        while True:
            rows = await self._pending(conn)
            if not rows:
                return
            acks = []
            for row in rows:
                try:
                    acks.append(await self._publish(row))
                except Exception as exc:  # not connected, buffer full...: the rest waits
                    log.debug("publish stopped: %r", exc)
                    break
            done = await self._acknowledged(rows, acks)
            self._unmarked = done
            self.published += len(done)
            OUTBOX_PUBLISHED.labels(self.schema).inc(len(done))
            if len(done) < len(rows):
                raise NatsUnavailable(f"JetStream acknowledged {len(done)} of {len(rows)} events; the rest wait")
            if len(rows) < self.batch_size:
                return

    async def _publish(self, row: asyncpg.Record) -> asyncio.Future:
        """Publish one row (pipelined: the ack is awaited later) with the headers its transaction
        kept; when tracing, in a producer span continuing that transaction's trace."""
        subject = self.names.subject(row["subject"])
        kept = stored_headers(row["trace_headers"])
        headers = {**kept, "Nats-Msg-Id": str(row["event_id"])}
        if not tracing_enabled():
            return await self.js.publish_async(subject, row["payload"], headers=headers)
        from opentelemetry import propagate

        attributes = {"messaging.system": "nats", "messaging.destination.name": subject, "messaging.message.id": str(row["event_id"])}
        with span(f"{subject} publish", "PRODUCER", attributes, parent=kept):
            propagate.inject(headers)
            return await self.js.publish_async(subject, row["payload"], headers=headers)

    async def _measure(self, conn: asyncpg.Connection) -> None:
        """The backlog and the age of its oldest row, for /metrics; at most every MEASURE_EVERY s."""
        now = asyncio.get_running_loop().time()
        if now - self._measured < MEASURE_EVERY:
            return
        self._measured = now
        row = await conn.fetchrow(BACKLOG, self._unmarked)
        OUTBOX_BACKLOG.labels(self.schema).set(row["backlog"])
        OUTBOX_LAG.labels(self.schema).set(row["lag"] if row["backlog"] else 0)

    async def _pending(self, conn: asyncpg.Connection) -> list[asyncpg.Record]:
        """The next batch, marking the last one's rows in the same statement."""
        if self._unmarked:
            rows = await conn.fetch(MARK_AND_PENDING, self.batch_size, self._unmarked)
        else:
            rows = await conn.fetch(PENDING, self.batch_size)
        self._unmarked = []
        return rows

    async def _mark(self, conn: asyncpg.Connection) -> None:
        if self._unmarked:
            await conn.execute(MARK, self._unmarked)
            self._unmarked = []

    async def _acknowledged(self, rows: list[asyncpg.Record], acks: list[asyncio.Future]) -> list[int]:
        done = []
        for row, ack in zip(rows, acks, strict=False):
            try:
                await asyncio.wait_for(ack, ACK_TIMEOUT)
            except Exception:
                for pending in acks[len(done):]:
                    pending.cancel()
                break
            done.append(row["id"])
        return done

    async def _sweep(self, conn: asyncpg.Connection) -> None:
        cutoff = datetime.now(UTC) - self.retention
        await conn.execute("DELETE FROM outbox WHERE published_at < $1", cutoff)
        for sweep in self.sweeps:
            await sweep(conn)
