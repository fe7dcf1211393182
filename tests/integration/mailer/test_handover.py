"""The mark before the final dot: written to Postgres at once, so a process that dies right
after it (before any further step) has still recorded it."""

from __future__ import annotations

import asyncio

import asyncpg

from billwire_mailer.transport import start_now


async def test_the_first_step_of_a_mark_reaches_postgres_even_if_the_connection_dies_next(database_url: str) -> None:
    observer, marker = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await observer.execute("CREATE TABLE marks (phase text); INSERT INTO marks VALUES ('connect')")
        marking = start_now(marker.execute("UPDATE marks SET phase = 'data'"))
        marker._transport.abort()  # as if the process died: nothing still buffered here is sent
        async with asyncio.timeout(10):
            while await observer.fetchval("SELECT phase FROM marks") != "data":
                await asyncio.sleep(0.05)
        assert isinstance((await asyncio.gather(marking, return_exceptions=True))[0], asyncpg.exceptions.ConnectionDoesNotExistError)
    finally:
        await observer.close()
        marker.terminate()


async def test_a_mark_that_needs_no_wait_is_done_at_once() -> None:
    async def nothing_to_wait_for() -> str:
        return "marked"

    assert await start_now(nothing_to_wait_for()) == "marked"
