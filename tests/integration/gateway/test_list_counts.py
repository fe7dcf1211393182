"""Lists filtered by a client or by the paid/sent/finalized/cancelled flags, alone or with a type and a
plain status, take their total from the running counts (migration 0023): after documents made, issued,
paid, unpaid, cancelled, deleted and moved to another client through the API (some at the same time),
and after plain SQL writes, every such total equals a plain count(*) of the matching documents, and
the counts equal the documents counted row by row."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any
from uuid import UUID

import asyncpg

from billwire_invoices.documents import counts
from billwire_invoices.documents import sql as documents_sql
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import ListDocuments
from billwire_shared.db import open_schema_pool
from tests.integration.gateway.kept_tables import assert_kept_as_recounted
from tests.stack import BUYER, Api, Stack, ready_account

FLAGS = ("paid", "sent", "finalized", "cancelled")
FLAG_FILTERS: list[dict[str, bool]] = [{}, *({flag: value} for flag in FLAGS for value in (True, False)),
                                       {"paid": False, "finalized": True}, {"sent": True, "cancelled": False}]
# The filters' rules in plain SQL (documents/sql.py), every one optional.
REFERENCE = """
SELECT count(*) FROM documents
WHERE account_id = $1 AND ($2::uuid IS NULL OR client_id = $2) AND ($3::text IS NULL OR type = $3)
  AND ($4::text IS NULL OR status = $4) AND ($5::bool IS NULL OR (paid_at IS NOT NULL) = $5)
  AND ($6::bool IS NULL OR (sent_at IS NOT NULL) = $6) AND ($7::bool IS NULL OR (finalized_at IS NOT NULL) = $7)
  AND ($8::bool IS NULL OR (cancelled_at IS NOT NULL) = $8)
"""
KEY = "type, status, paid, sent, finalized, cancelled"
RECOUNTED = """
SELECT {key}, count(*) AS documents FROM (
    SELECT type, status, paid_at IS NOT NULL AS paid, sent_at IS NOT NULL AS sent, finalized_at IS NOT NULL AS finalized,
           cancelled_at IS NOT NULL AS cancelled, client_id
    FROM documents WHERE account_id = $1) AS d{where} GROUP BY {key} ORDER BY {key}
"""
KEPT = "SELECT {key}, sum(documents)::bigint AS documents FROM {table} WHERE account_id = $1 GROUP BY {key} HAVING sum(documents) <> 0 ORDER BY {key}"


async def assert_totals_exact(conn: asyncpg.Connection, account_id: UUID, clients: list[UUID]) -> None:
    """Every combination of a client (or none), a type, a plain status and the flags: the list's total is
    the plain count, and it came from the counts."""
    ctx = Caller(account_id=account_id)
    for client_id, doc_type, status, flags in itertools.product(
            [None, *clients], [None, "invoice", "credit_note"], [None, "draft", "open", "paid", "cancelled"], FLAG_FILTERS):
        query = ListDocuments(ctx=ctx, client_id=client_id, type=doc_type, status=status, limit=1, **flags)
        assert counts.known_total(query, documents_sql._STATES, [account_id]) is not None
        _, total, _ = await documents_sql.list_documents(conn, query)
        want = await conn.fetchval(REFERENCE, account_id, client_id, doc_type, status, *(flags.get(flag) for flag in FLAGS))
        assert total == want, (client_id, doc_type, status, flags)
    for key, table, where in ((KEY, "document_counts", ""), (f"client_id, {KEY}", "client_document_counts", " WHERE client_id IS NOT NULL")):
        await assert_kept_as_recounted(
            conn, account_id, RECOUNTED.format(key=key, where=where), KEPT.format(key=key, table=table))


async def _ok(response_coro: Any, *codes: int) -> dict:
    response = await response_coro
    assert response.status_code in (codes or (200, 201, 204)), response.text
    return response.json() if response.content else {}


async def _draft(api: Api, client_id: str | None, doc_type: str = "invoice") -> dict:
    body = {"type": doc_type, "lines": [{"description": "Work", "unit_price": "10"}]}
    body |= {"client_id": client_id} if client_id else {"client": BUYER}
    return await _ok(api.post("/documents", json=body))


async def _issued(api: Api, client_id: str | None, doc_type: str = "invoice") -> dict:
    draft = await _draft(api, client_id, doc_type)
    return await _ok(api.post(f"/documents/{draft['id']}/finalize"))


async def test_client_and_flag_totals_equal_a_plain_count(stack: Stack) -> None:
    api = await ready_account(stack, "Counts GmbH")
    a, b = [(await _ok(api.post("/clients", json=BUYER | {"name": name})))["id"] for name in ("Initech", "Hooli")]
    pool = await open_schema_pool(stack.database_url, "invoices", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            first = await _issued(api, a)
            account_id = await conn.fetchval("SELECT account_id FROM documents WHERE id = $1", UUID(first["id"]))
            clients = [UUID(a), UUID(b)]
            await assert_totals_exact(conn, account_id, clients)

            drafts = [await _draft(api, client) for client in (a, a, b, None)]
            issued = [await _issued(api, client) for client in (a, b, b, None)]
            note = await _issued(api, b, "credit_note")
            await _ok(api.post(f"/invoices/{issued[0]['id']}/mark-paid"))
            await _ok(api.post(f"/invoices/{issued[1]['id']}/mark-paid"))
            await _ok(api.post(f"/invoices/{issued[1]['id']}/mark-unpaid"))
            await _ok(api.post(f"/invoices/{issued[2]['id']}/payments", json={"amount": "1"}))
            await _ok(api.patch(f"/invoices/{issued[3]['id']}", json={"sent": True}))
            await assert_totals_exact(conn, account_id, clients)

            await _ok(api.post(f"/invoices/{first['id']}/cancel", json={"reason": "wrong client"}))
            await _ok(api.delete(f"/invoices/{drafts[0]['id']}"))
            await _ok(api.patch(f"/invoices/{drafts[1]['id']}", json={"client_id": b}))
            await _ok(api.patch(f"/invoices/{drafts[3]['id']}", json={"client_id": a}))
            await assert_totals_exact(conn, account_id, clients)

            # Documents made and issued at once in one account and for one client, and a payment beside them.
            made = await asyncio.gather(*(_issued(api, a) for _ in range(4)), _draft(api, b),
                                        _ok(api.post(f"/invoices/{issued[2]['id']}/mark-paid")))
            await asyncio.gather(*(_ok(api.post(f"/invoices/{doc['id']}/mark-paid")) for doc in made[:2]),
                                 _ok(api.post(f"/invoices/{made[2]['id']}/cancel")), _ok(api.delete(f"/invoices/{made[4]['id']}")))
            await assert_totals_exact(conn, account_id, clients)

            # Writes the service never makes, straight in SQL: the triggers count them as well.
            await conn.execute("UPDATE documents SET client_id = $2 WHERE id = $1", UUID(issued[3]["id"]), UUID(b))
            await conn.execute("UPDATE documents SET finalized_at = NULL, sent_at = now() WHERE id = $1", UUID(made[3]["id"]))
            await conn.execute("UPDATE documents SET type = 'estimate' WHERE id = $1", UUID(drafts[2]["id"]))
            await conn.execute("UPDATE documents SET status = 'cancelled', cancelled_at = now() WHERE id = $1", UUID(note["id"]))
            await conn.execute("UPDATE documents SET client_id = NULL WHERE id = $1", UUID(issued[0]["id"]))
            await assert_totals_exact(conn, account_id, clients)
            await conn.execute("DELETE FROM documents WHERE id = ANY($1::uuid[])", [UUID(made[3]["id"]), UUID(drafts[1]["id"])])
            await conn.execute("UPDATE documents SET paid_at = NULL, cancelled_at = now() WHERE account_id = $1 AND client_id = $2",
                               account_id, UUID(a))
            await assert_totals_exact(conn, account_id, clients)
    finally:
        await pool.close()
