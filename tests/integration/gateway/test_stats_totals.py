"""Stats and the overview read running totals (migration 0019): after documents in every state,
currency and month, made through the API (payments at the same time included), and after plain
SQL writes, they equal what the query over every document gave before, to the last digit."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents.overview import sql as overview_sql
from billwire_shared.contracts.reports import PeriodStats, TopClient
from tests.integration.gateway.kept_tables import assert_kept_as_recounted
from tests.stack import BUYER, Api, Stack, ready_account

# The queries stats and the overview ran over every document before the totals: the reference.
_ISSUED = """
SELECT d.type, d.status, d.issue_date, d.due_date, d.overdue_at, d.sent_at, d.amount_paid, d.client_id,
       d.client_name, d.currency, d.gross, d.balance_due
FROM documents d
WHERE d.account_id = $1 AND d.status IN ('open', 'paid')
  AND ({first}::date IS NULL OR d.issue_date >= {first}) AND ({last}::date IS NULL OR d.issue_date <= {last})
  AND (d.type = 'invoice' OR (d.type = 'credit_note' AND NOT EXISTS (
        SELECT 1 FROM documents cancelled
        WHERE cancelled.account_id = d.account_id AND cancelled.status = 'cancelled' AND cancelled.id = d.preceding_id)))
"""
REFERENCE_STATS = f"""
WITH issued AS (
    SELECT date_trunc($2, issue_date)::date AS period_start, currency, type = 'invoice' AS invoice,
           gross, amount_paid, sent_at, coalesce(balance_due, 0) AS balance, status,
           (overdue_at IS NOT NULL OR due_date < (now() AT TIME ZONE 'UTC')::date) AS overdue_now
    FROM ({_ISSUED.format(first='$3', last='$4')}) AS issued_documents
)
SELECT period_start, currency,
       coalesce(sum(gross) FILTER (WHERE invoice), 0) AS invoiced, count(*) FILTER (WHERE invoice) AS invoiced_count,
       coalesce(sum(amount_paid) FILTER (WHERE invoice), 0) AS paid,
       count(*) FILTER (WHERE invoice AND status = 'paid') AS paid_count,
       coalesce(sum(balance) FILTER (WHERE invoice AND status = 'open'), 0) AS outstanding,
       count(*) FILTER (WHERE invoice AND status = 'open') AS outstanding_count,
       coalesce(sum(balance) FILTER (WHERE invoice AND status = 'open' AND overdue_now), 0) AS overdue,
       count(*) FILTER (WHERE invoice AND status = 'open' AND overdue_now) AS overdue_count,
       coalesce(sum(gross) FILTER (WHERE invoice AND sent_at IS NOT NULL), 0) AS sent,
       count(*) FILTER (WHERE invoice AND sent_at IS NOT NULL) AS sent_count,
       coalesce(sum(abs(gross)) FILTER (WHERE NOT invoice), 0) AS credited,
       count(*) FILTER (WHERE NOT invoice) AS credit_notes_count,
       coalesce(sum(gross) FILTER (WHERE invoice), 0) - coalesce(sum(abs(gross)) FILTER (WHERE NOT invoice), 0) AS revenue
FROM issued GROUP BY period_start, currency ORDER BY period_start, currency
"""
REFERENCE_TOP_CLIENTS = f"""
SELECT client_id, client_name AS name, currency,
       sum(CASE WHEN type = 'invoice' THEN gross ELSE -abs(gross) END) AS revenue,
       count(*) FILTER (WHERE type = 'invoice') AS invoices
FROM ({_ISSUED.format(first='$2', last='$3')}) AS issued_documents
GROUP BY client_id, client_name, currency
"""
REFERENCE_OPEN_BALANCES = """
SELECT currency,
       coalesce(sum(balance_due), 0) AS outstanding,
       coalesce(sum(balance_due) FILTER (WHERE overdue_at IS NOT NULL OR due_date < (now() AT TIME ZONE 'UTC')::date), 0) AS overdue
FROM documents WHERE account_id = $1 AND type = 'invoice' AND status = 'open'
GROUP BY 1 ORDER BY 1
"""
REFERENCE_REVENUE_BY_MONTH = """
SELECT date_trunc('month', issue_date)::date AS month, currency, sum(gross) AS invoiced
FROM documents
WHERE account_id = $1 AND type = 'invoice' AND status IN ('open', 'paid') AND issue_date >= $2
GROUP BY 1, 2 ORDER BY 1, 2
"""
RANGES = [(None, None), ("2026-01-15", "2026-02-20"), ("2025-12-01", None), (None, "2026-01-31"), ("2026-03-02", "2026-03-02")]
PERIODS = ["day", "week", "month", "quarter", "year"]


def _as_json(rows: list[asyncpg.Record], kind: type) -> list[Any]:
    """Rows as the API shows them: money as its exact decimal text."""
    return [msgspec.to_builtins(msgspec.convert(dict(row), kind)) for row in rows]


async def assert_totals_match(api: Api, conn: asyncpg.Connection, account_id: UUID) -> None:
    for period in PERIODS:
        for first, last in RANGES:
            params = {"period": period, "top": 50} | ({"from": first} if first else {}) | ({"to": last} if last else {})
            response = await api.get("/stats", params=params)
            assert response.status_code == 200, response.text
            stats = response.json()
            args = (date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None)
            want = _as_json(await conn.fetch(REFERENCE_STATS, account_id, period, *args), PeriodStats)
            assert stats["periods"] == want, (period, first, last)
            clients = _as_json(await conn.fetch(REFERENCE_TOP_CLIENTS, account_id, *args), TopClient)
            order = lambda c: (c["revenue"], c["name"], c["currency"], str(c["client_id"]))  # noqa: E731
            assert sorted(stats["top_clients"], key=order) == sorted(clients, key=order), (period, first, last)
            revenues = [Decimal(c["revenue"]) for c in stats["top_clients"]]
            assert revenues == sorted(revenues, reverse=True)
    for query, reference, args in (
        (overview_sql.OPEN_BALANCES, REFERENCE_OPEN_BALANCES, ()),
        (overview_sql.REVENUE_BY_MONTH, REFERENCE_REVENUE_BY_MONTH, (date(2026, 1, 1),)),
    ):
        got = [tuple(map(str, row.values())) for row in await conn.fetch(query, account_id, *args)]
        assert got == [tuple(map(str, row.values())) for row in await conn.fetch(reference, account_id, *args)]


async def _issued(api: Api, issue_date: str, currency: str, price: str, *, client_id: str | None = None, due_days: int = 14,
                  doc_type: str = "invoice") -> dict:
    body = {"type": doc_type, "issue_date": issue_date, "currency": currency,
            "lines": [{"description": "Work", "quantity": "3", "unit_price": price}]}
    body |= {"due_days": due_days} if doc_type == "invoice" else {}
    body |= {"client_id": client_id} if client_id else {"client": BUYER}
    draft = await api.post("/documents", json=body)
    assert draft.status_code == 201, draft.text
    final = await api.post(f"/documents/{draft.json()['id']}/finalize")
    assert final.status_code == 200, final.text
    return final.json()


async def _ok(response_coro: Any, *codes: int) -> dict:
    response = await response_coro
    assert response.status_code in (codes or (200, 201, 204)), response.text
    return response.json() if response.content else {}


async def test_stats_from_totals_equal_stats_from_every_document(stack: Stack) -> None:
    api = await ready_account(stack, "Totals GmbH")
    other = (await api.post("/clients", json=BUYER | {"name": "Initech"})).json()
    a = await _issued(api, "2026-01-10", "EUR", "100.10")
    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "invoices", "TimeZone": "UTC"})
    try:
        account_id = await conn.fetchval("SELECT account_id FROM documents WHERE id = $1", UUID(a["id"]))
        await assert_totals_match(api, conn, account_id)
        past = (date.today() - timedelta(days=40)).isoformat()
        b = await _issued(api, "2026-01-20", "EUR", "33.33", client_id=other["id"])
        c = await _issued(api, "2026-01-20", "USD", "250", client_id=other["id"], due_days=0)
        d = await _issued(api, "2026-02-03", "CHF", "19.99")
        e = await _issued(api, "2026-02-14", "EUR", "10.05", client_id=other["id"])
        f = await _issued(api, "2026-03-02", "USD", "7.5")
        g = await _issued(api, past, "EUR", "12.34", due_days=1)
        h = await _issued(api, "2025-12-31", "CHF", "500", client_id=other["id"])
        credit = await _issued(api, "2026-02-14", "EUR", "20", doc_type="credit_note")
        draft = await api.post("/invoices", json={"client": BUYER, "issue_date": "2026-01-10", "lines": [{"description": "x", "unit_price": "1"}]})
        await assert_totals_match(api, conn, account_id)

        await _ok(api.post(f"/invoices/{a['id']}/payments", json={"amount": "100.10"}))
        await _ok(api.post(f"/invoices/{b['id']}/mark-paid"))
        await _ok(api.post(f"/invoices/{b['id']}/mark-unpaid"))
        payment = await _ok(api.post(f"/invoices/{c['id']}/payments", json={"amount": "12.5"}))
        await _ok(api.delete(f"/invoices/{c['id']}/payments/{payment['id']}"))
        await _ok(api.post(f"/invoices/{c['id']}/payments", json={"amount": "0.01"}))
        await _ok(api.patch(f"/invoices/{d['id']}", json={"sent": True, "sent_date": "2026-02-04"}))
        await _ok(api.post(f"/invoices/{d['id']}/mark-paid"))
        await _ok(api.patch(f"/invoices/{e['id']}", json={"sent": True}))
        await assert_totals_match(api, conn, account_id)

        await _ok(api.post(f"/invoices/{e['id']}/cancel", json={"reason": "wrong client"}))
        await _ok(api.post(f"/invoices/{h['id']}/payments", json={"amount": "100"}))
        await _ok(api.post(f"/invoices/{h['id']}/cancel"))
        await _ok(api.post(f"/invoices/{h['id']}/refunds", json={"amount": "40"}))
        await _ok(api.delete(f"/invoices/{draft.json()['id']}"))
        await _ok(api.post(f"/invoices/{f['id']}/mark-paid"))
        await assert_totals_match(api, conn, account_id)

        # Two payments at once on invoices counted in the same totals row, and a cancel beside them.
        twins = [await _issued(api, "2026-02-20", "EUR", price) for price in ("40", "41", "42")]
        await asyncio.gather(
            _ok(api.post(f"/invoices/{twins[0]['id']}/payments", json={"amount": "5"})),
            _ok(api.post(f"/invoices/{twins[1]['id']}/mark-paid")),
            _ok(api.post(f"/invoices/{twins[2]['id']}/cancel")),
            _ok(api.post(f"/invoices/{g['id']}/payments", json={"amount": "1"})),
        )
        await assert_totals_match(api, conn, account_id)

        # Writes the service never makes, straight in SQL: the triggers count them as well.
        await conn.execute("UPDATE documents SET overdue_at = now() WHERE id = $1", UUID(b["id"]))
        await conn.execute("UPDATE documents SET status = 'cancelled' WHERE id = $1", UUID(credit["id"]))
        await assert_totals_match(api, conn, account_id)
        await conn.execute("UPDATE documents SET status = 'open' WHERE id = ANY($1::uuid[])", [UUID(credit["id"]), UUID(e["id"])])
        await assert_totals_match(api, conn, account_id)
        await conn.execute("UPDATE documents SET status = 'cancelled' WHERE id = $1", UUID(e["id"]))
        await conn.execute("DELETE FROM documents WHERE id = $1", UUID(e["id"]))
        await assert_totals_match(api, conn, account_id)
        await assert_kept_as_recounted(
            conn, account_id,
            "SELECT account_id, issue_date, currency, type, status, sent, overdue_marked, due_date, sum(sign)::bigint AS documents"
            " FROM unnest(ARRAY(SELECT c FROM (SELECT document_change_of(1, d, true) AS c FROM documents d WHERE account_id = $1) AS x"
            " WHERE (c).sign IS NOT NULL)) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 2, 3, 4, 5, 6, 7, 8",
            "SELECT account_id, issue_date, currency, type, status, sent, overdue_marked, due_date, documents FROM document_totals"
            " WHERE account_id = $1 ORDER BY 2, 3, 4, 5, 6, 7, 8",
        )
    finally:
        await conn.close()
