"""Every sort order of a document list, both ways, of invoices and of every type, with drafts (no
number, no issue date) among the documents and ties of the sort value: at every offset (the page from
the end too, where the running counts know the total) and along the cursors, the page is the slice of
the list a plain `ORDER BY column direction NULLS LAST, id direction` over the account's documents
gives, in one statement (issue 24: orders no index walk gives in one range are read as two, and lists
of every type merge each type's range; documents/listing.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from billwire_invoices.documents import sql as documents_sql
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import ListDocuments
from tests.integration.document_ties import insert_copies
from tests.integration.invoices.test_list_in_one_statement import OneStatement
from tests.stack import BUYER, Api, Stack, created, ready_account, unique

SORTS = {"date": "issue_date", "created_at": "created_at", "number": "number"}
# (list filters, the same as SQL): the counts know the total of the first three (pages from the end),
# not of the search
FILTERS: list[tuple[dict[str, Any], str]] = [
    ({}, "true"), ({"status": "draft"}, "status = 'draft'"), ({"finalized": True}, "finalized_at IS NOT NULL"),
    ({"q": "globex"}, "(number ILIKE '%globex%' OR client_name ILIKE '%globex%')"),
]


async def _document(api: Api, doc_type: str, issue_date: str | None, finalize: bool) -> dict:
    body = {"type": doc_type, "client": BUYER, "lines": [{"description": "Work", "unit_price": "10"}]}
    body |= {"issue_date": issue_date} if issue_date else {}
    draft = await created(api, "/documents", body)
    if not finalize:
        return draft
    final = await api.post(f"/documents/{draft['id']}/finalize")
    assert final.status_code == 200, final.text
    return final.json()


async def _list(conn: asyncpg.Connection, query: ListDocuments) -> tuple[list[UUID], int, str | None]:
    counting = OneStatement(conn)
    items, total, next_cursor = await documents_sql.list_documents(counting, query)  # type: ignore[arg-type]
    assert counting.statements == 1
    return [item.id for item in items], total, next_cursor


async def test_every_order_both_ways_is_plain_sqls_with_drafts_and_ties(stack: Stack, invoices_conn: asyncpg.Connection) -> None:
    api = await ready_account(stack, unique("Sorts GmbH"))
    made = [await _document(api, doc_type, day, finalize) for doc_type, day, finalize in (
        ("invoice", "2026-01-05", True), ("invoice", None, False), ("estimate", "2026-01-05", True), ("invoice", "2026-03-01", True),
        ("estimate", None, False), ("delivery_note", "2026-02-01", True), ("invoice", "2026-01-05", False), ("invoice", "2026-01-05", True),
        ("estimate", "2026-01-05", True), ("delivery_note", None, False))]
    conn = invoices_conn
    account_id = await conn.fetchval("SELECT account_id FROM documents WHERE id = $1", UUID(made[0]["id"]))
    # Ties, straight in SQL: drafts created at the same instant as another (no number, no issue date),
    # and an estimate with an invoice's number (numbers are unique per type only).
    await insert_copies(conn, UUID(made[1]["id"]), 3, keep_issue_date=False)
    await conn.execute("UPDATE documents SET number = (SELECT number FROM documents WHERE id = $1) WHERE id = $2",
                       UUID(made[0]["id"]), UUID(made[2]["id"]))
    assert await conn.fetchval("SELECT count(*) FROM documents WHERE account_id = $1 AND number IS NULL", account_id) >= 6
    ctx = Caller(account_id=account_id)
    for doc_type in ("invoice", None):
        for filters, condition in FILTERS:
            for sort in [f"{way}{name}" for name in SORTS for way in ("", "-")]:
                column, direction = SORTS[sort.lstrip("-")], "DESC" if sort.startswith("-") else "ASC"
                expected = [row["id"] for row in await conn.fetch(
                    f"SELECT id FROM documents WHERE account_id = $1 AND {'type = $2' if doc_type else '$2::text IS NULL'}"
                    f" AND {condition} ORDER BY {column} {direction} NULLS LAST, id {direction}", account_id, doc_type)]
                assert expected or filters, (doc_type, sort)
                for limit in (1, 2, 5):
                    for offset in range(len(expected) + 2):
                        query = ListDocuments(ctx=ctx, type=doc_type, sort=sort, limit=limit, offset=offset, **filters)
                        ids, total, next_cursor = await _list(conn, query)
                        where = (doc_type, filters, sort, limit, offset)
                        assert ids == expected[offset:offset + limit], where
                        assert total == len(expected), where
                        assert (next_cursor is not None) == (offset + limit < len(expected)), where
                    walked, cursor = [], None
                    while True:
                        query = ListDocuments(ctx=ctx, type=doc_type, sort=sort, limit=limit, cursor=cursor, **filters)
                        ids, total, cursor = await _list(conn, query)
                        assert total == len(expected), (doc_type, filters, sort, limit)
                        walked += ids
                        if cursor is None:
                            break
                    assert walked == expected, (doc_type, filters, sort, limit)
