"""The web pages' one-call reads (contracts/pages.py): a document's page and the documents list
answer what the single reads answer, only what the document's state shows, and nothing of
another account's."""

from __future__ import annotations

from uuid import UUID

import pytest

from billwire_gateway.bus import ApiError, Bus
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.pages import DocumentsView, DocumentView, GetDocumentView, ListDocumentsView
from billwire_shared.contracts.users import GetOverview, Overview
from tests.stack import BUYER, Stack, unique

LINES = [{"description": "Work", "quantity": "2", "unit_price": "100"}]  # 238.00 with 19 % VAT
PROFILE = {
    "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"}, "vat_id": "DE136695976",
    "email": "billing@views.example", "bank": {"account_holder": "Views", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}


def bus_of(stack: Stack) -> Bus:
    return stack.gateways[0].state.bus


async def test_a_document_page_reads_the_document_with_its_payments_history_and_send_preview_in_one_call(stack: Stack) -> None:
    name = unique("Views GmbH")
    account_id, key = await stack.new_account(name)
    api, ctx, bus = stack.api(key), Caller(account_id=UUID(account_id)), bus_of(stack)
    assert (await api.patch("/settings/profile", json=PROFILE | {"company_name": name})).status_code == 200
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()

    as_draft = await bus.call_typed(subjects.DOCUMENT_VIEW, GetDocumentView(ctx=ctx, id=UUID(draft["id"]), with_send_preview=True), DocumentView)
    assert as_draft.document.status == "draft" and [entry.action for entry in as_draft.history] == ["create"]
    assert (as_draft.sends, as_draft.payments, as_draft.refunds, as_draft.send_preview) == ([], [], [], None)  # a draft shows none

    assert (await api.post(f"/invoices/{draft['id']}/finalize")).status_code == 200
    assert (await api.post(f"/invoices/{draft['id']}/payments", json={"amount": "100.00", "reference": "bank 1"})).status_code == 201
    view = await bus.call_typed(subjects.DOCUMENT_VIEW, GetDocumentView(ctx=ctx, id=UUID(draft["id"]), with_send_preview=True), DocumentView)
    single = (await api.get(f"/invoices/{draft['id']}")).json()
    assert str(view.document.balance_due) == single["balance_due"] == "138.00" and view.document.number == single["number"]
    assert [(str(p.amount), p.reference) for p in view.payments] == [("100.00", "bank 1")]
    assert {"create", "finalize", "payment"} <= {entry.action for entry in view.history}
    assert view.sends == [] and view.refunds == []
    assert view.send_preview is not None and view.send_preview.recipient == BUYER["email"] and single["number"] in view.send_preview.subject

    without = await bus.call_typed(subjects.DOCUMENT_VIEW, GetDocumentView(ctx=ctx, id=UUID(draft["id"])), DocumentView)
    assert without.send_preview is None and len(without.payments) == 1  # the preview only for who may send

    other_account, _ = await stack.new_account(unique("Other views"))
    with pytest.raises(ApiError) as elsewhere:
        await bus.call(subjects.DOCUMENT_VIEW, GetDocumentView(ctx=Caller(account_id=UUID(other_account)), id=UUID(draft["id"])))
    assert elsewhere.value.reply.code == "DOCUMENT_NOT_FOUND"


async def test_the_documents_list_and_the_overview_read_in_one_call(stack: Stack) -> None:
    account_id, key = await stack.new_account(unique("Lists GmbH"))
    api, ctx, bus = stack.api(key), Caller(account_id=UUID(account_id)), bus_of(stack)
    for number in range(3):
        client = await api.post("/clients", json=BUYER | {"name": f"Buyer {number}"})
        made = await api.post("/invoices", json={"client_id": client.json()["id"], "lines": LINES})
        assert made.status_code == 201, made.text

    view = await bus.call_typed(subjects.DOCUMENT_LIST_VIEW, ListDocumentsView(ctx=ctx, limit=2, clients_limit=100), DocumentsView)
    listed = (await api.get("/documents", params={"limit": 2})).json()
    assert [str(doc.id) for doc in view.documents.items] == [doc["id"] for doc in listed["items"]]
    assert view.documents.total == listed["total"] == 3 and view.documents.next_cursor == listed["next_cursor"]
    assert sorted(client.name for client in view.clients) == ["Buyer 0", "Buyer 1", "Buyer 2"]
    filtered = ListDocumentsView(ctx=ctx, q="Buyer 1", clients_limit=0)
    only = await bus.call_typed(subjects.DOCUMENT_LIST_VIEW, filtered, DocumentsView)
    assert [doc.client.name for doc in only.documents.items] == ["Buyer 1"] and only.clients == []

    overview = await bus.call_typed(subjects.OVERVIEW_GET, GetOverview(ctx=ctx, activity_limit=2), Overview)
    assert len(overview.activity) == 2 and overview.open_invoices == []  # drafts are not open invoices

    other_account, _ = await stack.new_account(unique("Other lists"))
    elsewhere = await bus.call_typed(subjects.DOCUMENT_LIST_VIEW, ListDocumentsView(ctx=Caller(account_id=UUID(other_account))), DocumentsView)
    assert elsewhere.documents.items == [] and elsewhere.clients == []
