"""What the tests of the tables the database's triggers keep (document_counts, document_totals) check
at the end: the kept rows are exactly the rows recounted from the documents themselves."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def assert_kept_as_recounted(conn: asyncpg.Connection, account_id: UUID, recounted: str, kept: str) -> None:
    """`recounted` and `kept` are queries taking the account id as $1, in the same order and columns."""
    from_documents = await conn.fetch(recounted, account_id)
    from_the_table = await conn.fetch(kept, account_id)
    assert [tuple(r.values()) for r in from_the_table] == [tuple(r.values()) for r in from_documents]
