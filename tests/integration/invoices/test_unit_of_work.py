"""The unit of work: a write Postgres picks as a deadlock's victim runs again instead of failing
the request (the running totals' triggers can take two rows in opposite order)."""

from __future__ import annotations

import asyncio
import contextlib
from uuid import uuid4

import asyncpg

from billwire_invoices.uow import UnitOfWork
from billwire_shared.contracts.common import Caller
from tests.servers import fresh_database


async def test_a_write_chosen_as_a_deadlocks_victim_runs_again(pg_admin_url: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database(pg_admin_url))
        pool = await asyncpg.create_pool(url, min_size=2, max_size=4)
        stack.push_async_callback(pool.close)
        await pool.execute("CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)")
        uow = UnitOfWork(pool)
        both_hold_one = asyncio.Barrier(2)
        runs: list[str] = []

        def crossing(first: int, second: int):
            async def work(conn: asyncpg.Connection) -> int:
                runs.append(f"{first}->{second}")
                await conn.execute("UPDATE pair SET n = n + 1 WHERE id = $1", first)
                if len(runs) <= 2:  # the first two runs meet; a run again goes through alone
                    await both_hold_one.wait()
                await conn.execute("UPDATE pair SET n = n + 1 WHERE id = $1", second)
                return first
            return work

        ctx = Caller(account_id=uuid4())
        done = await asyncio.gather(uow.write(ctx, int, crossing(1, 2)), uow.write(ctx, int, crossing(2, 1)))

        assert sorted(done) == [1, 2]
        assert len(runs) == 3, runs  # one of the two ran again
        assert dict(await pool.fetch("SELECT id, n FROM pair")) == {1: 2, 2: 2}  # each write counted once
