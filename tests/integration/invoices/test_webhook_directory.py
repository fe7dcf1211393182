"""The in-memory list of accounts with webhooks: loaded at start, told of new webhooks at their
commit, and 'ask Postgres' for every account while its listener is away."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from billwire_invoices.app import MIGRATIONS
from billwire_invoices.webhooks.directory import WebhookDirectory, announce
from billwire_shared.migrate import migrate


async def eventually(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_a_new_webhook_is_heard_at_commit_and_a_lost_listener_means_ask_postgres(database_url: str) -> None:
    await migrate(database_url, "invoices", MIGRATIONS)
    connect = lambda: asyncpg.connect(database_url, server_settings={"search_path": "invoices"})  # noqa: E731
    known, newcomer, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    admin = await connect()
    directory = WebhookDirectory(connect)
    try:
        await admin.execute("INSERT INTO accounts (id, name) VALUES ($1, 'Known'), ($2, 'Newcomer'), ($3, 'Other')", known, newcomer, other)
        await admin.execute(
            "INSERT INTO webhooks (id, account_id, url, events, secret, secret_prefix)"
            " VALUES ($1, $2, 'https://hooks.example/a', '{*}', 'whsec_x', 'whsec_x')", uuid.uuid4(), known,
        )
        assert directory.may_have(other)  # not loaded yet: every account is asked about
        directory.start()
        await eventually(lambda: directory.accounts is not None)
        assert directory.may_have(known) and not directory.may_have(newcomer) and not directory.may_have(other)

        async with admin.transaction():
            await announce(admin, newcomer)
            await asyncio.sleep(0.2)
            assert not directory.may_have(newcomer)  # not before the commit
        await eventually(lambda: directory.may_have(newcomer))

        listener = [r["pid"] for r in await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        assert listener
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", listener)
        await eventually(lambda: directory.accounts is None)
        assert directory.may_have(other)
        await eventually(lambda: directory.accounts is not None)  # back, reloaded
        assert directory.may_have(known) and not directory.may_have(other)
    finally:
        await directory.stop()
        await admin.close()
