"""A document list (and a client or product list) is one statement on a connection of its own, with no
transaction: one round trip gives the page and the exact total, for every filter, at every offset (an
empty page past the end too, where the page proves nothing and the total is counted or read from the
running counts), and page by page along the cursors. Each list is checked against a plain query written
here, not built by the code under test."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from billwire_invoices.documents import counts
from billwire_invoices.documents import sql as documents_sql
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import ListDocuments
from tests.stack import BUYER, Api, Stack, created, ready_account, unique

PAST = (date.today() - timedelta(days=40)).isoformat()
ORDER = "ORDER BY created_at DESC, id DESC"
FLAGS = ("paid", "sent", "finalized", "cancelled")


class OneStatement:
    """The real connection, counting the statements sent through it; a transaction is refused."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements = 0

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.statements += 1
        return await self.conn.fetch(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements += 1
        return await self.conn.fetchval(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self.statements += 1
        return await self.conn.fetchrow(sql, *args)

    def transaction(self, **kwargs: Any) -> Any:
        raise AssertionError("a list is one statement: it needs no transaction")


async def _invoice(api: Api, client: dict, *, issue_date: str | None = None, finalize: bool = True) -> dict:
    body = {"lines": [{"description": "Work", "unit_price": "10"}], "due_days": 14} | client
    body |= {"issue_date": issue_date} if issue_date else {}
    draft = await created(api, "/invoices", body)
    if not finalize:
        return draft
    final = await api.post(f"/invoices/{draft['id']}/finalize")
    assert final.status_code == 200, final.text
    return final.json()


async def _books(api: Api) -> tuple[str, datetime]:
    """Invoices of two buyers in every state a filter tells apart; the id of the client of some, and a
    time after which only some were changed."""
    client = await created(api, "/clients", BUYER | {"name": unique("Initech"), "email": "ap@initech.example"})
    by_client = {"client_id": client["id"]}
    made = [await _invoice(api, by_client) for _ in range(3)]
    made += [await _invoice(api, by_client, finalize=False), await _invoice(api, by_client, issue_date=PAST)]
    made += [await _invoice(api, {"client": BUYER}) for _ in range(3)]
    made += [await _invoice(api, {"client": BUYER}, finalize=False), await _invoice(api, {"client": BUYER}, issue_date=PAST)]
    assert (await api.post(f"/invoices/{made[0]['id']}/mark-paid")).status_code == 200
    assert (await api.post(f"/invoices/{made[5]['id']}/cancel", json={"reason": "wrong"})).status_code == 201
    for action in ("mark-paid", "mark-unpaid"):
        assert (await api.post(f"/invoices/{made[2]['id']}/{action}")).status_code == 200
    moved, deleted = await _invoice(api, {"client": BUYER}, finalize=False), await _invoice(api, by_client, finalize=False)
    assert (await api.patch(f"/invoices/{moved['id']}", json={"client_id": client["id"]})).status_code == 200
    assert (await api.delete(f"/invoices/{deleted['id']}")).status_code == 204
    await asyncio.sleep(0.01)
    since = datetime.now(UTC)
    for sent in (made[1], made[6]):
        assert (await api.patch(f"/invoices/{sent['id']}", json={"sent": True})).status_code == 200
    return client["id"], since


def _cases(client_id: str, since: datetime) -> list[tuple[dict[str, Any], str, list[Any]]]:
    """(list filters, the same filter as SQL on the account's documents with placeholders from $2, its arguments)."""
    client = UUID(client_id)
    return [
        ({}, "true", []),
        ({"client_id": client}, "client_id = $2", [client]),
        ({"q": "globex"}, "(number ILIKE $2 OR client_name ILIKE $2)", ["%globex%"]),
        ({"q": "matches nothing"}, "false", []),
        ({"updated_since": since}, "updated_at >= $2", [since]),
        ({"paid": True}, "paid_at IS NOT NULL", []),
        ({"paid": False}, "paid_at IS NULL", []),
        ({"sent": True}, "sent_at IS NOT NULL", []),
        ({"sent": False}, "sent_at IS NULL", []),
        ({"finalized": True}, "finalized_at IS NOT NULL", []),
        ({"finalized": False}, "finalized_at IS NULL", []),
        ({"cancelled": True}, "cancelled_at IS NOT NULL", []),
        ({"cancelled": False}, "cancelled_at IS NULL", []),
        # a client, the flags, a plain status: the running counts answer the total (migration 0023)
        ({"client_id": client, "status": "open"}, "client_id = $2 AND status = 'open'", [client]),
        ({"client_id": client, "status": "draft"}, "client_id = $2 AND status = 'draft'", [client]),
        ({"client_id": client, "paid": False}, "client_id = $2 AND paid_at IS NULL", [client]),
        ({"client_id": client, "finalized": True, "cancelled": False},
         "client_id = $2 AND finalized_at IS NOT NULL AND cancelled_at IS NULL", [client]),
        ({"status": "open", "sent": True}, "status = 'open' AND sent_at IS NOT NULL", []),
        ({"status": "paid", "paid": False}, "status = 'paid' AND paid_at IS NULL", []),
        ({"status": "cancelled", "finalized": True}, "status = 'cancelled' AND finalized_at IS NOT NULL", []),
        ({"status": "draft"}, "status = 'draft'", []),
        ({"status": "open"}, "status = 'open'", []),
        ({"status": "overdue"},
         "status = 'open' AND (overdue_at IS NOT NULL OR (type = 'invoice' AND due_date < (now() AT TIME ZONE 'UTC')::date))", []),
        ({"status": "unpaid", "client_id": client}, "status = 'open' AND amount_paid = 0 AND client_id = $2", [client]),
        ({"date_from": date.fromisoformat(PAST) + timedelta(days=1)}, "issue_date >= $2", [date.fromisoformat(PAST) + timedelta(days=1)]),
        ({"status": "open", "date_to": date.fromisoformat(PAST)}, "status = 'open' AND issue_date <= $2", [date.fromisoformat(PAST)]),
    ]


async def test_every_page_and_its_total_come_in_one_statement(stack: Stack, invoices_conn: asyncpg.Connection) -> None:
    api = await ready_account(stack, unique("One Statement GmbH"))
    client_id, since = await _books(api)
    conn = invoices_conn
    account_id = await conn.fetchval("SELECT account_id FROM documents WHERE client_id = $1 LIMIT 1", UUID(client_id))
    # A write the service never makes, straight in SQL: the triggers count it as well.
    await conn.execute("UPDATE documents SET client_id = $2, sent_at = now() WHERE id = (SELECT id FROM documents"
                       " WHERE account_id = $1 AND client_id IS NULL AND status = 'open' ORDER BY created_at LIMIT 1)",
                       account_id, UUID(client_id))
    ctx = Caller(account_id=account_id)
    # Lists of invoices, and of every type (the cancellation made a document of its own; the running counts
    # are summed over the types).
    for doc_type, (filters, condition, args) in [(t, case) for case in _cases(client_id, since) for t in ("invoice", None)]:
        of_type = "type = 'invoice'" if doc_type else "true"
        if filters.keys() <= {"client_id", "status", *FLAGS} and filters.get("status") not in documents_sql._STATES:  # the counts know
            assert counts.known_total(ListDocuments(ctx=ctx, type=doc_type, **filters), documents_sql._STATES, [account_id]), filters
        expected = [row["id"] for row in await conn.fetch(
            f"SELECT id FROM documents WHERE account_id = $1 AND {of_type} AND {condition} {ORDER}", account_id, *args)]
        for limit in (1, 2, 100):
            for offset in range(len(expected) + 3):  # two pages past the end: empty, the total still exact
                counting = OneStatement(conn)
                query = ListDocuments(ctx=ctx, type=doc_type, limit=limit, offset=offset, **filters)
                items, total, next_cursor = await documents_sql.list_documents(counting, query)  # type: ignore[arg-type]
                where = (doc_type, filters, limit, offset)
                assert counting.statements == 1, where
                assert [item.id for item in items] == expected[offset:offset + limit], where
                assert total == len(expected), where
                assert (next_cursor is not None) == (offset + limit < len(expected)), where
        walked, cursor = [], None
        while True:
            counting = OneStatement(conn)
            query = ListDocuments(ctx=ctx, type=doc_type, limit=2, cursor=cursor, **filters)
            items, total, cursor = await documents_sql.list_documents(counting, query)  # type: ignore[arg-type]
            assert counting.statements == 1 and total == len(expected), (doc_type, filters)
            walked += [item.id for item in items]
            if cursor is None:
                break
        assert walked == expected, (doc_type, filters)


async def test_a_client_or_product_list_is_one_statement_with_its_total(stack: Stack, invoices_conn: asyncpg.Connection) -> None:
    api = await ready_account(stack, unique("Client Pages GmbH"))
    for name in ("Alpha Werke", "alpha bau", "Beta AG", "Gamma alpha"):
        await created(api, "/clients", {"name": name})
    for title in ("Beratung", "Schulung", "Beratung vor Ort"):
        await created(api, "/products", {"title": title, "net_price": "100"})
    conn = invoices_conn
    account_id = await conn.fetchval(
        "SELECT account_id FROM clients WHERE name = 'Alpha Werke' ORDER BY created_at DESC LIMIT 1")
    for list_rows, q, expected in (
        (documents_sql.list_clients, None, ["alpha bau", "Alpha Werke", "Beta AG", "Gamma alpha"]),
        (documents_sql.list_clients, "alpha", ["alpha bau", "Alpha Werke", "Gamma alpha"]),
        (documents_sql.list_clients, "nobody", []),
        (documents_sql.list_products, None, ["Beratung", "Beratung vor Ort", "Schulung"]),
        (documents_sql.list_products, "beratung", ["Beratung", "Beratung vor Ort"]),
    ):
        for limit in (1, 2, 10):
            for offset in range(len(expected) + 3):
                counting = OneStatement(conn)
                rows, total = await list_rows(counting, account_id, q, limit, offset)  # type: ignore[arg-type]
                names = [getattr(row, "name", None) or getattr(row, "title") for row in rows]
                where = (list_rows.__name__, q, limit, offset)
                assert counting.statements == 1, where
                assert names == expected[offset:offset + limit], where
                assert total == len(expected), where
