"""Overdue: open invoices past their due date are marked, and announced, exactly once, even
with several scheduler replicas working at the same moment; other documents never are."""

from __future__ import annotations

import asyncio

import asyncpg

from billwire_invoices.app import open_pool
from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from billwire_invoices.settings import InvoicesSettings
from tests.events import read_events
from tests.stack import BUYER, Stack, ready_account


async def test_two_schedulers_mark_each_invoice_overdue_once(stack: Stack) -> None:
    api = await ready_account(stack, "Late Payers GmbH")
    late, on_time = [], []
    for i in range(12):
        issue = "2026-01-05" if i < 10 else "2099-01-05"
        draft = (await api.post("/invoices", json={
            "client": BUYER, "issue_date": issue, "due_days": 14,
            "lines": [{"description": f"Work {i}", "quantity": "1", "unit_price": "50"}],
        })).json()
        issued = (await api.post(f"/invoices/{draft['id']}/finalize")).json()
        (late if i < 10 else on_time).append(issued["id"])
    paid = late.pop()
    assert (await api.post(f"/invoices/{paid}/mark-paid")).status_code == 200
    others = []  # past their date too, but only an invoice is ever overdue
    for doc_type in ("estimate", "credit_note"):
        draft = (await api.post("/documents", json={
            "type": doc_type, "client": BUYER, "issue_date": "2026-01-05", "due_days": 14,
            "lines": [{"description": "Offer", "quantity": "1", "unit_price": "50"}],
        })).json()
        issued = await api.post(f"/documents/{draft['id']}/finalize")
        assert issued.status_code == 200 and issued.json()["due_date"] == "2026-01-19", issued.text
        others.append(issued.json()["id"])

    settings = stack.settings(InvoicesSettings)
    pools = [await open_pool(settings, min_size=1, max_size=2) for _ in range(2)]
    try:
        replicas = [OverdueScheduler(pool, interval=0.01, batch=3) for pool in pools]

        async def drain(scheduler: OverdueScheduler) -> int:
            """Mark batches until none is left for this replica: earlier tests of the run may have
            left more past-due invoices in the database than a fixed number of batches reaches."""
            marked = 0
            for _ in range(10_000):
                batch = await scheduler.mark_overdue()
                if batch == 0:
                    return marked
                marked += batch
            raise AssertionError("the overdue candidates never ran out")

        counts = await asyncio.gather(drain(replicas[0]), drain(replicas[1]))
    finally:
        for pool in pools:
            await pool.close()
    assert all(count >= 0 for count in counts)  # other tests' invoices may be marked too: checked per invoice below

    overdue = (await api.get("/invoices", params={"status": "overdue", "limit": 100})).json()
    assert sorted(i["id"] for i in overdue["items"]) == sorted(late)
    assert all(i["overdue_at"] and i["states"] == ["open", "unpaid", "overdue"] for i in overdue["items"])

    events = await read_events(stack, {"invoice.overdue", "estimate.overdue", "credit_note.overdue"},
                               *late, *on_time, paid, *others, count=len(late))
    # The stack's own invoices service runs the scheduler too: it may catch the paid invoice in
    # the moment between its finalize (already past due) and mark-paid, rightly, as still open.
    while_open = [e for e in events if e["data"]["id"] == paid]
    assert len(while_open) <= 1 and all(e["data"]["status"] == "open" for e in while_open), while_open
    assert sorted(e["data"]["id"] for e in events if e["data"]["id"] != paid) == sorted(late)  # each once; none for the others
    for other in others:
        assert (await api.get(f"/documents/{other}")).json()["overdue_at"] is None
    conn = await asyncpg.connect(stack.database_url)
    try:
        audited = await conn.fetchval(
            "SELECT count(*) FROM invoices.audit_log WHERE action = 'overdue' AND entity_id = ANY($1::uuid[])", late
        )
    finally:
        await conn.close()
    assert audited == len(late)
