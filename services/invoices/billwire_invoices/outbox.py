"""The outbox relay: publishes committed event rows to JetStream, in id order, exactly once.

One relay per database acts at a time (a Postgres advisory lock elects it), so events leave
in order even with several replicas. It is woken by LISTEN/NOTIFY and also polls, because a
notification can be missed. A row is marked published only after JetStream acknowledged it;
the event id is the Nats-Msg-Id, so a re-publish after a crash is dropped as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from billwire_shared.subjects import Names
from nats.js import JetStreamContext

from billwire_invoices import repository as repo

log = logging.getLogger("billwire.invoices.outbox")
LEADER_LOCK = 0x0B111_0CB0  # arbitrary, fixed: "the outbox relay of this database"
CHANNEL = "billwire_outbox"
ACK_TIMEOUT = 5.0


class NatsUnavailable(Exception):
    """Events could not all be published now; they stay in the outbox for the next round."""


class OutboxRelay:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        js: JetStreamContext,
        names: Names,
        *,
        poll_interval: float = 1.0,
        linger: float = 0.005,
        batch_size: int = 256,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.connect, self.js, self.names = connect, js, names
        self.poll_interval, self.linger = poll_interval, linger
        self.batch_size, self.retention = batch_size, retention
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.published = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                conn = await self.connect()  # its own: it holds LISTEN and a session lock
                try:
                    await self._lead(conn)
                finally:
                    await conn.close()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(self.poll_interval)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
            await asyncio.sleep(self.poll_interval)
        await conn.add_listener(CHANNEL, self._notified)
        try:
            last_sweep = datetime.min.replace(tzinfo=UTC)
            while True:
                self._wake.clear()
                try:
                    await self.drain(conn)
                except NatsUnavailable as exc:
                    log.warning("outbox relay: %s", exc)
                if datetime.now(UTC) - last_sweep > timedelta(minutes=10):
                    await self._sweep(conn)
                    last_sweep = datetime.now(UTC)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                if self._wake.is_set():
                    # Let a busy moment's commits gather: one batch instead of one drain each.
                    await asyncio.sleep(self.linger)
        finally:
            with contextlib.suppress(Exception):
                await conn.remove_listener(CHANNEL, self._notified)

    async def drain(self, conn: asyncpg.Connection) -> None:
        """Publish every pending row; on a NATS failure keep the rest for the next round.

        A batch is published pipelined (in order, acks awaited afterwards) and only the run of
        rows acknowledged from its start is marked, so a retry never reorders events.
        """
        while True:
            rows = await conn.fetch(
                "SELECT id, event_id, subject, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
                self.batch_size,
            )
            if not rows:
                return
            acks = []
            for row in rows:
                try:
                    acks.append(await self.js.publish_async(
                        self.names.subject(row["subject"]), row["payload"], headers={"Nats-Msg-Id": str(row["event_id"])}
                    ))
                except Exception as exc:  # not connected, buffer full...: the rest waits
                    log.debug("publish stopped: %r", exc)
                    break
            done = await self._acknowledged(rows, acks)
            if done:
                await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", done)
                self.published += len(done)
            if len(done) < len(rows):
                raise NatsUnavailable(f"JetStream acknowledged {len(done)} of {len(rows)} events; the rest wait")

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
        await repo.expire_idempotency_keys(conn, datetime.now(UTC) - timedelta(hours=48))
