"""The transactional outbox: events commit with their change and leave exactly once,
even when NATS is down while the changes are written."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from pathlib import Path
from uuid import UUID

import asyncpg
import msgspec
import nats

from billwire_cli.embedded import EmbeddedNats, free_port
from billwire_invoices.accounts.handlers import create_account
from billwire_invoices.app import InvoicesService
from billwire_invoices.documents.handlers import DocumentHandlers as InvoicesHandlers
from billwire_invoices.settings import InvoicesSettings
from billwire_shared.contracts.clients import ClientInput, CreateClient
from billwire_shared.contracts.common import Caller
from billwire_shared.errors import BillwireError
from tests.servers import fresh_database


async def pending(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")


async def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def stream_events(nats_url: str, prefix: str) -> list[dict]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(f"{prefix.upper()}_EVENTS")
        sub = await js.subscribe(f"{prefix}.events.>", ordered_consumer=True)
        events = [msgspec.json.decode((await sub.next_msg(timeout=5)).data) for _ in range(info.state.messages)]
        await sub.unsubscribe()
        return events
    finally:
        await nc.close()


async def test_events_written_while_nats_is_down_go_out_exactly_once_when_it_returns(pg_admin_url: str) -> None:
    store = Path(tempfile.mkdtemp(prefix="billwire-outbox-nats-"))
    server = EmbeddedNats(store, port=free_port())
    server.start()
    prefix = f"t{secrets.token_hex(4)}"
    try:
        async with fresh_database(pg_admin_url) as database_url:
            service = InvoicesService(InvoicesSettings(
                database_url=database_url, nats_url=server.url, prefix=prefix, outbox_poll_interval=0.2
            ))
            async with service.running():
                pool = service.pool
                account_id, _ = await create_account(pool, "Outbox Ltd")
                handlers = InvoicesHandlers(pool)
                caller = Caller(account_id=account_id)

                server.stop()
                created = [
                    await handlers.create_client(CreateClient(ctx=caller, client=ClientInput(name=f"Client {i}", client_number=f"N{i}")))
                    for i in range(25)
                ]
                # A change that rolls back leaves no event behind.
                try:
                    await handlers.create_client(CreateClient(ctx=caller, client=ClientInput(name="Dup", client_number="N0")))
                except BillwireError as exc:
                    assert exc.reply.code == "CLIENT_NUMBER_TAKEN"
                else:
                    raise AssertionError("a duplicate client number was accepted")
                await asyncio.sleep(1.0)  # the outbox publisher keeps trying meanwhile
                assert await pending(pool) == 25

                server.start()
                await wait_until(lambda: _none_pending(pool))

                # An outbox publisher that crashed after publishing but before marking publishes again:
                # JetStream drops the repeats by their Nats-Msg-Id.
                await pool.execute("UPDATE outbox SET published_at = NULL")
                await pool.execute("NOTIFY billwire_outbox_invoices")
                await wait_until(lambda: _none_pending(pool))

            events = await stream_events(server.url, prefix)
            ids = {str(c.id) for c in created}
            client_events = [e for e in events if e["type"] == "client.created"]
            assert sorted(e["data"]["id"] for e in client_events) == sorted(ids)
            assert len({e["id"] for e in events}) == len(events)
            assert [e["data"]["name"] for e in client_events] == [f"Client {i}" for i in range(25)]  # commit order
            assert all(UUID(e["account_id"]) == account_id for e in client_events)
    finally:
        server.stop()
        shutil.rmtree(store, ignore_errors=True)


async def _none_pending(pool: asyncpg.Pool) -> bool:
    return await pending(pool) == 0
