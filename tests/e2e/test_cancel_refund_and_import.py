"""Cancelling a paid invoice and refunding it, and importing history from another tool, through
the real gateway, invoices and rendering services (issue 20, "Documents"): the JSON, the events,
the audit log and the printed text of the PDFs."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest_asyncio
from lxml import etree

from billwire_invoices.documents.einvoice import validate_xml, warm_up
from billwire_rendering.app import RenderingService
from tests.events import read_events
from tests.integration.rendering.pdftext import flat, text
from tests.stack import BUYER, Stack, created, ready_account, unique

CITY = {
    "name": "Stadt Köln", "email": "rechnung@stadt-koeln.example", "buyer_reference": "05315-12345-67",
    "address": {"street": "Willy-Brandt-Platz 2", "zip": "50679", "city": "Köln", "country": "DE"},
}
LINES = [{"description": "Consulting", "quantity": "2", "unit": "h", "unit_price": "100"}]  # 238.00 with 19 %
UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
       "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def einvoices() -> None:
    await asyncio.wrap_future(warm_up())  # the validators compile once per process


async def pdf_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return flat(text(response.content))


async def audit(stack: Stack, entity_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetch("SELECT action, after FROM invoices.audit_log WHERE entity_id = $1 ORDER BY id", entity_id)
    finally:
        await conn.close()


async def test_a_paid_invoice_is_cancelled_keeping_its_payments_until_refunded(
    stack: Stack, rendering: RenderingService, einvoices: None,
) -> None:
    api = await ready_account(stack, unique("Storno GmbH"))
    assert (await api.patch("/settings/profile", json={"contact_name": "Anna Muster", "phone": "+49 30 1234567"})).status_code == 200
    invoice = await created(api, "/invoices", {"client": CITY, "lines": LINES, "export_type": "xrechnung"})
    invoice = (await api.post(f"/invoices/{invoice['id']}/finalize")).json()
    path = f"/invoices/{invoice['id']}"
    assert (await api.get(f"{path}/cancellation/pdf")).status_code == 409  # not cancelled: no cancellation yet
    payment = await created(api, f"{path}/payments", {"amount": "138.00", "date": "2026-11-02"})
    await created(api, f"{path}/payments", {"amount": "100.00", "date": "2026-11-05"})
    assert (await api.get(path)).json()["status"] == "paid"

    cancelled = await api.post(f"{path}/cancel")  # no reason needed
    assert cancelled.status_code == 201, cancelled.text
    assert cancelled.json()["refund_due"] == "238.00"
    after = (await api.get(path)).json()
    assert (after["status"], after["states"], after["refund_due"], after["amount_paid"]) == (
        "cancelled", ["cancelled", "refund_due"], "238.00", "238.00")
    assert [p["amount"] for p in (await api.get(f"{path}/payments")).json()] == ["138.00", "100.00"]  # the payments stay
    assert (await api.delete(f"{path}/payments/{payment['id']}")).status_code == 409
    assert (await api.get("/invoices", params={"status": "refund_due"})).json()["items"][0]["id"] == invoice["id"]

    note_number = cancelled.json()["credit_note_number"]
    content = await pdf_text(await api.get(f"{path}/cancellation/pdf"))
    for expected in (f"Cancellation invoice {note_number}", f"Refers to Invoice {invoice['number']}", "-€238.00",
                     "The €238.00 you paid on it will be refunded to you."):
        assert expected in content, (expected, content)
    xml = (await api.get(f"{path}/cancellation/xml")).content
    assert validate_xml(xml, "xrechnung") == []
    note = etree.fromstring(xml)
    assert note.findtext("cbc:ID", namespaces=UBL) == note_number
    assert note.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=UBL) == invoice["number"]

    too_much = await api.post(f"{path}/refunds", json={"amount": "238.01"})
    assert too_much.status_code == 422 and too_much.json()["error"]["details"][0]["field"] == "amount", too_much.text
    part = await created(api, f"{path}/refunds", {"amount": "38.00", "date": "2026-12-01", "reference": "SEPA back"})
    assert (part["amount"], part["date"]) == ("38.00", "2026-12-01")
    assert (await api.get(path)).json()["refund_due"] == "200.00"
    rest = await created(api, f"{path}/refunds", {})  # the rest of refund_due
    assert rest["amount"] == "200.00"
    done = (await api.get(path)).json()
    assert (done["refund_due"], done["amount_refunded"], done["states"], done["status"]) == ("0.00", "238.00", ["cancelled"], "cancelled")
    assert [r["amount"] for r in (await api.get(f"{path}/refunds")).json()] == ["38.00", "200.00"]
    assert (await api.post(f"{path}/refunds", json={"amount": "1"})).status_code == 409  # nothing left to refund

    events = await read_events(stack, {"invoice.paid", "invoice.cancelled", "invoice.refunded"}, invoice["id"], count=4)
    assert [e["type"] for e in events] == ["invoice.paid", "invoice.cancelled", "invoice.refunded", "invoice.refunded"]
    assert [e["data"]["refund_due"] for e in events[2:]] == ["200.00", "0.00"]
    assert [row["action"] for row in await audit(stack, invoice["id"])] == [
        "create", "finalize", "payment", "payment", "cancel", "refund", "refund",
    ]


async def test_imported_history_keeps_its_numbers_out_of_the_series(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Umzug GmbH"))
    old = {"client": BUYER, "lines": LINES, "imported": True, "number": "RE-2019-0042", "issue_date": "2019-03-15",
           "due_date": "2019-04-14"}
    imported = await created(api, "/invoices", old)
    assert (imported["number"], imported["imported"], imported["status"]) == ("RE-2019-0042", True, "draft")
    clash = await api.post("/invoices", json=old)
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "DOCUMENT_NUMBER_TAKEN", clash.text
    assert [d["field"] for d in clash.json()["error"]["details"]] == ["number"]
    as_estimate = await api.post("/documents", json=old | {"type": "estimate"})  # unique per type, not across types
    assert as_estimate.status_code == 201, as_estimate.text
    not_imported = await api.post("/invoices", json={"client": BUYER, "lines": LINES, "number": "RE-2019-0043"})
    assert not_imported.status_code == 422 and not_imported.json()["error"]["details"][0]["field"] == "number"
    numberless = await created(api, "/invoices", {"client": BUYER, "lines": LINES, "imported": True})
    incomplete = await api.post(f"/invoices/{numberless['id']}/finalize")
    assert incomplete.status_code == 422 and "number" in [d["field"] for d in incomplete.json()["error"]["details"]]

    issued = await api.post(f"/invoices/{imported['id']}/finalize")
    assert issued.status_code == 200, issued.text
    issued = issued.json()
    assert (issued["number"], issued["issue_date"], issued["imported"], issued["status"]) == ("RE-2019-0042", "2019-03-15", True, "open")
    content = await pdf_text(await api.get(f"/invoices/{issued['id']}/pdf"))
    assert "Invoice RE-2019-0042" in content and "Imported from another system: number and date as issued there." in content, content
    assert [row["action"] for row in await audit(stack, issued["id"])] == ["create", "import"]

    # The series neither gave nor skipped a number for the import; one the import holds is passed over.
    first = await created(api, "/invoices", {"client": BUYER, "lines": LINES})
    first = (await api.post(f"/invoices/{first['id']}/finalize")).json()
    assert first["number"].endswith("-0001") and first["imported"] is False
    year = first["number"].split("-")[1]
    await created(api, "/invoices", {"client": BUYER, "lines": LINES, "imported": True, "number": f"INV-{year}-0002"})
    second = await created(api, "/invoices", {"client": BUYER, "lines": LINES})
    assert (await api.post(f"/invoices/{second['id']}/finalize")).json()["number"] == f"INV-{year}-0003"
    plain = await pdf_text(await api.get(f"/invoices/{first['id']}/pdf"))
    assert "Imported" not in plain
    german = await created(api, "/invoices", old | {"number": "RE-2019-0044", "language": "de"})
    german = (await api.post(f"/invoices/{german['id']}/finalize")).json()
    assert "Aus einem anderen System übernommen" in await pdf_text(await api.get(f"/invoices/{german['id']}/pdf"))
    cancelled = await api.post(f"/invoices/{issued['id']}/cancel", json={"reason": "imported twice"})
    assert cancelled.status_code == 201 and cancelled.json()["refund_due"] is None, cancelled.text
    assert (await api.get(f"/invoices/{issued['id']}/cancellation/xml")).status_code == 404  # a plain PDF has no XML
    note = await pdf_text(await api.get(f"/invoices/{issued['id']}/cancellation/pdf"))
    assert "Refers to Invoice RE-2019-0042" in note and "refunded" not in note, note
