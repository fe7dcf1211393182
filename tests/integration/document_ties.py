"""Documents that tie on a list's sort value, written straight in SQL: the API never creates two at the
same instant, so the lists' tie-breaking by id needs them made by hand."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def insert_copies(conn: asyncpg.Connection, document_id: UUID, copies: int, *, keep_issue_date: bool) -> None:
    """`copies` copies of the document, created at the same instant, without a number (and without an
    issue date unless `keep_issue_date`), each with an id of its own in its row and its data."""
    issue_date = "issue_date" if keep_issue_date else "NULL"
    await conn.execute(
        "INSERT INTO documents (id, account_id, created_at, type, status, number, client_id, issue_date, version, data,"
        f" updated_at, due_date) SELECT copy.id, account_id, created_at, type, status, NULL, client_id, {issue_date}, version,"
        " jsonb_set(data, '{id}', to_jsonb(copy.id::text)), updated_at, due_date"
        " FROM documents, generate_series(1, $2) AS g, LATERAL (SELECT gen_random_uuid() AS id, g) AS copy WHERE documents.id = $1",
        document_id, copies)
