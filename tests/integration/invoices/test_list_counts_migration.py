"""Migration 0023 recounts the documents stored before it by type, status, flags and client: right
after it the running counts equal the documents counted row by row, and the next write keeps them so."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.app import MIGRATIONS
from billwire_invoices.documents import sql as repo
from billwire_shared.ids import new_id
from billwire_shared.migrate import migrate
from tests.integration.gateway.test_list_counts import KEPT, KEY, RECOUNTED
from tests.integration.invoices.migrations import migrated_up_to, migrations_from
from tests.integration.invoices.test_document_columns_migration import credit_note

MIGRATION = "0023_list_counts_by_client_and_flags.sql"


async def test_documents_stored_before_the_migration_are_counted_by_client_and_flags(pg_admin_url: str) -> None:
    async with migrated_up_to(pg_admin_url, MIGRATION, TimeZone="UTC") as (url, conn):
        account_id, clients = new_id(), [new_id(), new_id()]
        await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, 'Before GmbH')", account_id)
        note = credit_note(new_id())
        stored = [msgspec.structs.replace(note, id=new_id(), number=f"CN-{n}") for n in range(6)]
        for doc in stored:
            statement, args = repo.insert_document(account_id, doc)
            await conn.execute(statement, *args)
        ids = [doc.id for doc in stored]
        await conn.execute("UPDATE documents SET client_id = $2 WHERE id = ANY($1::uuid[])", ids[:3], clients[0])
        await conn.execute("UPDATE documents SET client_id = $2 WHERE id = $1", ids[3], clients[1])
        await conn.execute("UPDATE documents SET type = 'invoice', status = 'paid', paid_at = now(), sent_at = now(),"
                           " finalized_at = now() WHERE id = ANY($1::uuid[])", [ids[0], ids[3], ids[4]])
        await conn.execute("UPDATE documents SET status = 'cancelled', cancelled_at = now() WHERE id = $1", ids[1])
        await conn.execute("UPDATE documents SET status = 'draft', finalized_at = NULL WHERE id = $1", ids[5])

        assert await migrate(url, "invoices", MIGRATIONS) == migrations_from(MIGRATION)
        assert await _counted(conn, account_id) == (6, 4)

        await conn.execute("UPDATE documents SET client_id = $2, paid_at = NULL WHERE id = $1", ids[0], clients[1])
        await conn.execute("DELETE FROM documents WHERE id = $1", ids[2])
        await conn.execute("UPDATE documents SET client_id = $2 WHERE id = $1", ids[5], clients[0])
        assert await _counted(conn, account_id) == (5, 4)


async def _counted(conn: asyncpg.Connection, account_id: UUID) -> tuple[int, int]:
    """The documents in the counts and in the per-client counts, once both equal the documents counted row by row."""
    documents = []
    for key, table, where in ((KEY, "document_counts", ""), (f"client_id, {KEY}", "client_document_counts", " WHERE client_id IS NOT NULL")):
        kept = [tuple(r.values()) for r in await conn.fetch(KEPT.format(key=key, table=table), account_id)]
        assert kept == [tuple(r.values()) for r in await conn.fetch(RECOUNTED.format(key=key, where=where), account_id)], table
        documents.append(sum(row[-1] for row in kept))
    return documents[0], documents[1]
