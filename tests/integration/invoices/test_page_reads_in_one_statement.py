"""The document page's and the overview's one-statement reads (documents/views/sql.py, overview/sql.py)
answer exactly what the single queries they replaced answer: every part, its order, its decimals
and its times, for documents with payments, a send, a refund and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import msgspec

from billwire_gateway.bus import Bus
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.overview import sql as overview_sql
from billwire_invoices.email import sql as email_sql
from billwire_invoices.email import templates
from billwire_invoices.lifecycle import sql as lifecycle_sql
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import ListDocuments
from billwire_shared.contracts.email_settings import SendPreview
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.pages import DocumentView, GetDocumentView
from billwire_shared.contracts.users import Activity, GetOverview, Overview
from billwire_shared.db import open_schema_pool
from billwire_shared.months import month_starts
from tests.stack import BUYER, Api, Stack, unique

LINES = [{"description": "Work", "quantity": "2", "unit_price": "100.05"}]
PROFILE = {
    "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"}, "vat_id": "DE136695976",
    "email": "billing@reads.example", "bank": {"account_holder": "Reads", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}


def plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


async def issued(api: Api, **extra: Any) -> dict:
    draft = await api.post("/invoices", json={"client": BUYER, "lines": LINES} | extra)
    assert draft.status_code == 201, draft.text
    final = await api.post(f"/invoices/{draft.json()['id']}/finalize")
    assert final.status_code == 200, final.text
    return final.json()


async def test_the_one_statement_reads_equal_the_single_queries(stack: Stack) -> None:
    name = unique("Reads GmbH")
    account_id, key = await stack.new_account(name)
    api, bus = stack.api(key), stack.gateways[0].state.bus
    assert (await api.patch("/settings/profile", json=PROFILE | {"company_name": name})).status_code == 200
    paid = await issued(api)
    for amount, reference in (("10.10", "first"), ("20.00", None)):
        made = await api.post(f"/invoices/{paid['id']}/payments", json={"amount": amount, "reference": reference})
        assert made.status_code == 201, made.text
    refunded = await issued(api, currency="USD")
    assert (await api.post(f"/invoices/{refunded['id']}/payments", json={"amount": "50"})).status_code == 201
    assert (await api.post(f"/invoices/{refunded['id']}/cancel", json={"reason": "wrong"})).status_code == 201
    assert (await api.post(f"/invoices/{refunded['id']}/refunds", json={"amount": "20.5"})).status_code == 201
    for _ in range(3):
        await issued(api, issue_date="2026-01-15")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()

    pool = await open_schema_pool(stack.database_url, "invoices", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await stored_send(conn, UUID(account_id), paid)  # the mail service is not part of this stack: the row it would leave
            for document, sent in ((paid, 1), (refunded, 0), (draft, 0)):
                await assert_document_page_equal(bus, conn, UUID(account_id), UUID(document["id"]), sent)
            await assert_overview_equal(bus, conn, UUID(account_id))
    finally:
        await pool.close()


async def stored_send(conn: Any, account_id: UUID, document: dict) -> None:
    """A delivered send of `document`, as the send flow stores it (its update time later than its request's)."""
    request = SendRequest(
        id=uuid4(), account_id=account_id, document_id=UUID(document["id"]), document_number=document["number"], document_type="invoice",
        version=1, sender_name="Reads", reply_to=None, to=[BUYER["email"]], subject="Invoice", body="Hello",
        requested_at=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
    )
    sql, args = lifecycle_sql.insert_send(account_id, request, "delivered")
    await conn.execute(sql, *args)
    await conn.execute("UPDATE sends SET updated_at = now(), reason = 'ok' WHERE id = $1", request.id)


async def assert_document_page_equal(bus: Bus, conn: Any, account_id: UUID, document_id: UUID, sent: int) -> None:
    ctx = Caller(account_id=account_id)
    view = await bus.call_typed(subjects.DOCUMENT_VIEW, GetDocumentView(ctx=ctx, id=document_id, with_send_preview=True), DocumentView)
    doc = await documents_sql.get_document(conn, account_id, document_id)
    assert doc is not None and plain(view.document) == plain(doc)
    history = [msgspec.convert(dict(row), Activity) for row in await overview_sql.activity(conn, account_id, document_id, 50)]
    assert history and plain(view.history) == plain(history)
    issued_document, invoice = doc.status != "draft", doc.type == "invoice"
    sends = await lifecycle_sql.sends_of(conn, account_id, document_id)
    assert plain(view.sends) == (plain(sends) if issued_document else []) and len(sends) == sent
    assert plain(view.payments) == (plain(await lifecycle_sql.payments_of(conn, account_id, document_id)) if issued_document and invoice else [])
    refunds = await lifecycle_sql.refunds_of(conn, account_id, document_id)
    assert plain(view.refunds) == (plain(refunds) if doc.status == "cancelled" else [])
    if doc.status == "open":
        profile, saved = await email_sql.get_profile_and_templates(conn, account_id)
        subject, message = templates.compose(doc, profile, saved, doc.type)
        assert plain(view.send_preview) == plain(SendPreview(recipient=doc.client.email, subject=subject, message=message))
    else:
        assert view.send_preview is None
    for entry in view.history:
        assert entry.at.tzinfo is not None and entry.at.utcoffset() == UTC.utcoffset(None)


async def assert_overview_equal(bus: Bus, conn: Any, account_id: UUID) -> None:
    overview = await bus.call_typed(subjects.OVERVIEW_GET, GetOverview(ctx=Caller(account_id=account_id), activity_limit=12,
                                                                     open_invoices_limit=3), Overview)
    months = month_starts(datetime.now(UTC).date())
    balances = await conn.fetch(overview_sql.OPEN_BALANCES, account_id)
    assert plain(overview.outstanding) == plain({row["currency"]: row["outstanding"] for row in balances if row["outstanding"]})
    assert plain(overview.overdue) == plain({row["currency"]: row["overdue"] for row in balances if row["overdue"]})
    paid = await conn.fetch(overview_sql.PAID_SINCE, account_id, months[-1])
    assert overview.paid_this_month and plain(overview.paid_this_month) == plain({row["currency"]: row["paid"] for row in paid})
    revenue = await conn.fetch(overview_sql.REVENUE_BY_MONTH, account_id, months[0])
    assert plain(overview.revenue_by_month) == [plain(dict(row)) for row in revenue]
    activity = [msgspec.convert(dict(row), Activity) for row in await overview_sql.activity(conn, account_id, None, 12)]
    assert len(activity) == 12 and plain(overview.activity) == plain(activity)
    listing = ListDocuments(ctx=Caller(account_id=account_id), type="invoice", status="open", sort="date", limit=3)
    open_invoices, total, _ = await documents_sql.list_documents(conn, listing)
    assert total == 4 and [doc.number for doc in overview.open_invoices] == [doc.number for doc in open_invoices]
    assert plain(overview.open_invoices) == plain(open_invoices)
