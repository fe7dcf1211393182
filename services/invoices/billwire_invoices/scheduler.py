"""Periodic work of the invoices service. Every replica runs it; row locks (FOR UPDATE SKIP
LOCKED) and the `overdue_at IS NULL` condition make each invoice overdue exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

import asyncpg
import msgspec
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document

from billwire_invoices import lifecycle
from billwire_invoices import lifecycle_sql as sql
from billwire_invoices import repository as repo

log = logging.getLogger("billwire.invoices.scheduler")


class OverdueScheduler:
    def __init__(self, pool: asyncpg.Pool, interval: float, today: Callable[[], date] | None = None, batch: int = 200) -> None:
        self.pool, self.interval, self.batch = pool, interval, batch
        self.today = today or (lambda: datetime.now(UTC).date())
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="overdue-scheduler")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while await self.mark_overdue() == self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("overdue run failed; trying again later")
            await asyncio.sleep(self.interval)

    async def mark_overdue(self) -> int:
        """Mark one batch of open invoices past their due date; emits `invoice.overdue` each."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await sql.overdue_candidates(conn, self.today(), self.batch)
            now = datetime.now(UTC)
            for row in rows:
                doc = msgspec.convert(row["data"], Document, strict=False)
                after = lifecycle.marked_overdue(doc, now)
                ctx = Caller(account_id=row["account_id"], request_id="scheduler")
                event = repo.new_event(f"{doc.type}.overdue", ctx.account_id, after, now)
                change = repo.Change(entity="document", entity_id=doc.id, action="overdue", before=doc, after=after, event=event)
                await repo.apply(conn, repo.save_document(ctx.account_id, after), ctx, change)
        if rows:
            log.info("marked %d invoice(s) overdue", len(rows))
        return len(rows)
