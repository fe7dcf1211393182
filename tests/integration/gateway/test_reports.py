"""Statistics against totals computed here, usage, and a 10,000-invoice CSV export in bounded memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import rules as domain
from billwire_invoices.documents import sql as repo
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.documents import Document, LineInput
from billwire_shared.ids import new_id
from tests.stack import BUYER, Stack, ready_account


async def test_stats_per_month_and_currency_match_the_invoices(stack: Stack) -> None:
    api = await ready_account(stack, "Stats GmbH")
    other = (await api.post("/clients", json=BUYER | {"name": "Initech"})).json()
    plan = [  # (issue date, client, currency, unit price, paid)
        ("2026-01-10", None, "EUR", "100", "all"), ("2026-01-20", None, "EUR", "50", "part"),
        ("2026-01-25", other["id"], "USD", "300", None), ("2026-02-03", other["id"], "EUR", "1000", None),
        ("2026-02-14", None, "EUR", "10", None),
    ]
    expected: dict[tuple[str, str], dict[str, Decimal]] = {}
    for issued, client_id, currency, price, paid in plan:
        body = {"issue_date": issued, "due_days": 10, "currency": currency,
                "lines": [{"description": "Work", "quantity": "1", "unit_price": price}]}
        body |= {"client_id": client_id} if client_id else {"client": BUYER}
        draft = (await api.post("/invoices", json=body)).json()
        invoice = (await api.post(f"/invoices/{draft['id']}/finalize")).json()
        gross = Decimal(invoice["totals"]["gross"])
        amount = gross if paid == "all" else Decimal("10.00") if paid == "part" else Decimal("0")
        if amount:
            assert (await api.post(f"/invoices/{invoice['id']}/payments", json={"amount": str(amount)})).status_code == 201
        row = expected.setdefault((issued[:7] + "-01", currency), {"invoiced": Decimal(0), "paid": Decimal(0), "count": Decimal(0)})
        row["invoiced"] += gross
        row["paid"] += amount
        row["count"] += 1
    cancelled = (await api.post("/invoices", json={"client": BUYER, "issue_date": "2026-01-05",
                                                   "lines": [{"description": "x", "unit_price": "999"}]})).json()
    await api.post(f"/invoices/{cancelled['id']}/finalize")
    await api.post(f"/invoices/{cancelled['id']}/cancel", json={"reason": "left out of the numbers"})

    stats = (await api.get("/stats", params={"period": "month", "from": "2026-01-01", "to": "2026-03-31"})).json()
    got = {(p["period_start"], p["currency"]): p for p in stats["periods"]}
    assert set(got) == set(expected)
    for key, want in expected.items():
        assert Decimal(got[key]["invoiced"]) == want["invoiced"]
        assert Decimal(got[key]["paid"]) == want["paid"]
        assert got[key]["invoiced_count"] == want["count"]
        assert Decimal(got[key]["outstanding"]) == want["invoiced"] - want["paid"]
    assert stats["top_clients"][0]["name"] == "Initech" and stats["top_clients"][0]["currency"] == "EUR"

    by_year = (await api.get("/stats", params={"period": "year"})).json()
    assert {p["period_start"] for p in by_year["periods"]} == {"2026-01-01"}
    assert (await api.get("/stats", params={"period": "fortnight"})).status_code == 422


async def test_usage_counts_this_months_documents(stack: Stack) -> None:
    api = await ready_account(stack, "Usage GmbH")
    for _ in range(3):
        await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "1"}]})
    usage = (await api.get("/usage")).json()
    assert usage["documents_this_month"] == 3 and usage["documents_quota"] is None
    documents = usage["documents"]
    assert (documents["max"], documents["used"], documents["remaining"], documents["unlimited"]) == (None, 3, None, True)
    assert documents["period_start"] == usage["month_start"]
    assert usage["month_start"] == date.today().replace(day=1).isoformat()


async def bulk_invoices(stack: Stack, account_id: str, count: int) -> None:
    """Many finalized invoices written straight to the database, as the service writes them."""
    now = datetime.now(UTC)
    lines = domain.build_lines([LineInput(description="Bulk work", quantity=Decimal("2"), unit_price=Decimal("12.50"))], {}, Decimal("19"), "EUR")
    statements = []
    for i in range(count):
        doc = domain.refresh(Document(
            id=new_id(), type="invoice", status="open", number=f"BULK-{i:05d}", client_id=None,
            client=ClientSnapshot(name=f"Client, \"{i}\""), currency="EUR", issue_date=date(2026, 3, 1), service_date=None,
            service_period=None, due_date=None, due_days=14, introduction=None, notes=None, discount_rate=None,
            vat_regulation="standard", lines=lines, totals=domain.compute_totals([], "EUR", None, "standard"),
            version=2, created_at=now + timedelta(microseconds=i), updated_at=now,
        ))
        statements.append(repo.insert_document(UUID(account_id), doc)[1])
    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "invoices"})
    try:
        await conn.set_type_codec("jsonb", encoder=lambda v: msgspec.json.encode(v).decode(), decoder=lambda v: v, schema="pg_catalog")
        await conn.executemany(repo.insert_document(UUID(account_id), doc)[0], statements)
    finally:
        await conn.close()


async def test_export_streams_ten_thousand_invoices_in_bounded_memory(stack: Stack) -> None:
    account_id, key = await stack.new_account("Export GmbH")
    await bulk_invoices(stack, account_id, 10_000)
    api = stack.api(key)

    tracemalloc.start()
    rows = 0
    header = None
    tail = ""
    async with stack.http.stream("GET", "/api/v1/invoices/export", headers={"Authorization": f"Bearer {key}"}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        async for chunk in response.aiter_text():
            text = tail + chunk
            complete, _, tail = text.rpartition("\n")
            for record in csv.reader(io.StringIO(complete)):
                if header is None:
                    header = record
                else:
                    rows += 1
                    assert record[header.index("gross")] == "29.75"
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == 10_000
    assert peak < 30 * 1024 * 1024, f"export held {peak / 1e6:.1f} MB at once"

    lines = (await api.get("/invoices/export", params={"lines": "true", "to": "2026-03-01"})).text.splitlines()
    assert lines[0].startswith("document_id,number") and len(lines) == 10_001
    quoted = next(csv.reader(io.StringIO(lines[1])))
    assert quoted[3].startswith('Client, "') and quoted[7] == "2" and quoted[9] == "12.5"
