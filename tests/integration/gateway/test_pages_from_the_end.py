"""Offset pages whose total the running counts know (type, plain status, a client, the paid/sent/
finalized/cancelled flags; open, paid, sent or overdue invoices, by issue date too) are read from the
end when they lie in the back half: every page, in every order, is the slice of the whole list it
names, with the same total and `next_cursor`; ties of the sort value are broken by id the same way
both ways, as plain SQL orders them (NULLs last); and the counts equal the documents counted row by row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from tests.integration.document_ties import insert_copies
from tests.integration.gateway.kept_tables import assert_kept_as_recounted
from tests.stack import BUYER, Api, Stack, ready_account

SORTS = ["-created_at", "created_at", "number", "-number", "date", "-date"]
COLUMNS = {"created_at": "created_at", "number": "number", "date": "issue_date"}
CLIENT = "the stored client's id"  # stands for it in FILTERS
PAST = (date.today() - timedelta(days=30)).isoformat()
FILTERS: list[dict[str, Any]] = [{}, {"status": "draft"}, {"status": "open"}, {"status": "paid"}, {"status": "cancelled"},
                                 {"status": "overdue"}, {"status": "unpaid"}, {"status": "sent"},
                                 # invoices by issue date, counted from the totals per day
                                 {"status": "open", "from": "2026-01-01", "to": "2026-02-28"}, {"status": "paid", "from": "2026-01-05"},
                                 {"status": "overdue", "to": "2026-01-05"}, {"status": "overdue", "from": PAST}, {"status": "sent", "to": PAST},
                                 # a client and the flags, counted per client and flags (migration 0023)
                                 {"client_id": CLIENT}, {"client_id": CLIENT, "status": "open", "paid": False}, {"paid": False},
                                 {"status": "open", "sent": True}, {"finalized": True, "cancelled": False}]


async def _invoice(api: Api, issue_date: str | None, finalize: bool, client_id: str | None, due_days: int = 14) -> dict:
    body = {"client_id": client_id} if client_id else {"client": BUYER}
    body |= {"due_days": due_days, "lines": [{"description": "Work", "unit_price": "10"}]}
    body |= {"issue_date": issue_date} if issue_date else {}
    draft = await api.post("/invoices", json=body)
    assert draft.status_code == 201, draft.text
    if not finalize:
        return draft.json()
    final = await api.post(f"/invoices/{draft.json()['id']}/finalize")
    assert final.status_code == 200, final.text
    return final.json()


async def _page(api: Api, **params: Any) -> dict:
    response = await api.get("/invoices", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_offset_page_is_its_slice_of_the_whole_list(stack: Stack) -> None:
    api = await ready_account(stack, "Pages GmbH")
    past = PAST
    client_id = (await api.post("/clients", json=BUYER | {"name": "Initech"})).json()["id"]
    made = [await _invoice(api, day, finalize, client_id if stored_client else None) for day, finalize, stored_client in (
        ("2026-01-05", True, True), (None, False, False), ("2026-01-05", True, True), (past, True, False), ("2026-02-01", False, True),
        (None, False, True), ("2026-03-01", True, True), (past, True, False), ("2026-01-05", True, False))]
    await api.post(f"/invoices/{made[0]['id']}/mark-paid")
    await api.post(f"/invoices/{made[2]['id']}/cancel")
    for sent in (made[3], made[6]):
        assert (await api.patch(f"/invoices/{sent['id']}", json={"sent": True})).status_code == 200
    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "invoices", "TimeZone": "UTC"})
    try:
        account_id = await conn.fetchval("SELECT account_id FROM documents WHERE id = $1", UUID(made[0]["id"]))
        # Three documents created at the same instant as the last one: the sort value ties, the id decides.
        await insert_copies(conn, UUID(made[5]["id"]), 3, keep_issue_date=True)
        for filters in ({name: client_id if value == CLIENT else value for name, value in f.items()} for f in FILTERS):
            for sort in SORTS:
                whole = await _page(api, sort=sort, limit=100, **filters)
                ids = [item["id"] for item in whole["items"]]
                assert whole["total"] == len(ids) and len(set(ids)) == len(ids)
                column, direction = COLUMNS[sort.lstrip("-")], "DESC" if sort.startswith("-") else "ASC"
                in_order = await conn.fetch(f"SELECT id::text FROM documents WHERE id = ANY($1::uuid[])"
                                            f" ORDER BY {column} {direction} NULLS LAST, id {direction}", ids)
                assert ids == [row["id"] for row in in_order], (filters, sort)  # plain SQL's order, drafts last
                for limit in (1, 3):
                    for offset in range(len(ids) + 2):
                        page = await _page(api, sort=sort, limit=limit, offset=offset, **filters)
                        where = (filters, sort, limit, offset)
                        assert [item["id"] for item in page["items"]] == ids[offset:offset + limit], where
                        assert page["total"] == len(ids), where
                        assert (page["next_cursor"] is not None) == (offset + limit < len(ids)), where
        await assert_kept_as_recounted(
            conn, account_id,
            "SELECT type, status, count(*) AS documents FROM documents WHERE account_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
            "SELECT type, status, sum(documents)::bigint AS documents FROM document_counts WHERE account_id = $1"
            " GROUP BY 1, 2 HAVING sum(documents) <> 0 ORDER BY 1, 2",
        )
    finally:
        await conn.close()
