"""E-invoices end to end: export types through the API, 422 EINVOICE_INVALID rule by rule, the
XRechnung XML download, the Factur-X PDF/A-3 with its embedded XML, cancellation credit notes,
and an XRechnung send that carries the XML next to the PDF."""

from __future__ import annotations

import io

import pikepdf
import pytest_asyncio
from lxml import etree

from billwire_invoices.documents.einvoice import validate_xml, warm_up
from tests.e2e.test_send import Outbox, outbox  # noqa: F401 (module fixture: SMTP sink and mailer)
from tests.stack import BUYER, Stack, ready_account

CITY = {
    "name": "Stadt Köln", "email": "rechnung@stadt-koeln.example", "buyer_reference": "05315-12345-67",
    "address": {"street": "Willy-Brandt-Platz 2", "zip": "50679", "city": "Köln", "country": "DE"},
}
LINES = [
    {"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150"},
    {"description": "Handbook", "quantity": "2", "unit": "pcs", "unit_price": "19.99", "tax_rate": "7"},
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(stack: Stack):
    warm_up().result(timeout=120)  # the validators compile once per process
    api = await ready_account(stack, "E-Rechnung GmbH")
    response = await api.patch("/settings/profile", json={"contact_name": "Anna Muster", "phone": "+49 30 1234567"})
    assert response.status_code == 200, response.text
    return api


def rules(response) -> set[tuple[str, str]]:
    body = response.json()["error"]
    assert body["code"] == "EINVOICE_INVALID", body
    return {(d["rule"], d["field"]) for d in body["details"]}


async def test_export_type_defaults_come_from_the_client_then_the_profile(api) -> None:
    client = (await api.post("/clients", json=CITY | {"export_type": "xrechnung"})).json()
    assert client["buyer_reference"] == "05315-12345-67"
    from_client = await api.post("/invoices", json={"client_id": client["id"], "lines": LINES})
    assert from_client.status_code == 201, from_client.text
    assert from_client.json()["export_type"] == "xrechnung"
    assert from_client.json()["client"]["buyer_reference"] == "05315-12345-67"
    plain = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    assert plain["export_type"] == "pdf"
    estimate = await api.post("/documents", json={"type": "estimate", "client": BUYER, "lines": LINES, "export_type": "xrechnung"})
    assert estimate.status_code == 422


async def test_the_profile_default_applies_and_an_explicit_export_type_wins(stack: Stack, api) -> None:
    other = await ready_account(stack, "Factur-X Default GmbH")
    assert (await other.patch("/settings/profile", json={"default_export_type": "factur-x"})).json()["default_export_type"] == "factur-x"
    default = (await other.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    assert default["export_type"] == "factur-x"
    explicit = (await other.post("/invoices", json={"client": BUYER, "lines": LINES, "export_type": "pdf"})).json()
    assert explicit["export_type"] == "pdf"
    switched = await other.patch(f"/invoices/{explicit['id']}", json={"export_type": "factur-x", "tax_exemption_reason": "n/a"})
    assert switched.status_code == 200 and switched.json()["export_type"] == "factur-x", switched.text


async def test_invalid_e_invoices_are_refused_with_their_rules_and_fields(api, stack: Stack) -> None:
    no_reference = {k: v for k, v in CITY.items() if k != "buyer_reference"}
    refused = await api.post("/invoices", json={"client": no_reference, "lines": LINES, "export_type": "xrechnung"})
    assert refused.status_code == 422
    assert rules(refused) == {("BR-DE-15", "client.buyer_reference")}
    # the same buyer as a plain PDF is never blocked, and neither is an empty draft
    assert (await api.post("/invoices", json={"client": no_reference, "lines": LINES})).status_code == 201
    assert (await api.post("/invoices", json={"client": {"name": "Someone"}})).status_code == 201

    draft = (await api.post("/invoices", json={"client": CITY, "lines": LINES, "export_type": "xrechnung"})).json()
    patched = await api.patch(f"/invoices/{draft['id']}", json={"client": no_reference})
    assert rules(patched) == {("BR-DE-15", "client.buyer_reference")}
    assert (await api.get(f"/invoices/{draft['id']}")).json()["version"] == draft["version"]  # nothing saved

    _, key = await stack.new_account("Ohne USt-IdNr GmbH")
    bare = stack.api(key)
    await bare.patch("/settings/profile", json={
        "company_name": "Ohne USt-IdNr GmbH", "address": {"street": "Weg 1", "zip": "80331", "city": "München", "country": "DE"},
    })
    eu_buyer = {"name": "Wiener Werke GmbH", "vat_id": "ATU13585627", "address": {"street": "Ring 1", "zip": "1010", "city": "Wien", "country": "AT"}}
    reverse = await bare.post("/invoices", json={"client": eu_buyer, "lines": LINES, "export_type": "factur-x",
                                                 "vat_regulation": "reverse_charge"})
    assert ("BR-AE-02", "profile.vat_id") in rules(reverse)


async def test_xrechnung_download_is_valid_and_matches_the_invoice(api, rendering) -> None:
    created = await api.post("/invoices", json={"client": CITY, "lines": LINES, "export_type": "xrechnung",
                                                "service_period": {"start": "2026-10-01", "end": "2026-10-31"}, "discount_rate": "5"})
    assert created.status_code == 201, created.text
    invoice = (await api.post(f"/invoices/{created.json()['id']}/finalize")).json()
    response = await api.get(f"/invoices/{invoice['id']}/xml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert f'filename="{invoice["number"]}.xml"' in response.headers["content-disposition"]
    xml = response.content
    assert validate_xml(xml, "xrechnung") == []
    root = etree.fromstring(xml)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}
    assert root.findtext("cbc:ID", namespaces=ns) == invoice["number"]
    assert root.findtext("cbc:BuyerReference", namespaces=ns) == "05315-12345-67"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns) == invoice["totals"]["gross"]
    assert (await api.get(f"/documents/{invoice['id']}/xml")).content == xml  # stored once

    plain = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    assert (await api.get(f"/invoices/{plain['id']}/xml")).status_code == 404

    cancelled = await api.post(f"/invoices/{invoice['id']}/cancel", json={"reason": "wrong period"})
    assert cancelled.status_code == 201, cancelled.text
    note_id = cancelled.json()["credit_note_id"]
    note_xml = (await api.get(f"/documents/{note_id}/xml")).content
    assert validate_xml(note_xml, "xrechnung") == []
    note = etree.fromstring(note_xml)
    assert etree.QName(note).localname == "CreditNote"
    assert note.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=ns) == invoice["number"]


async def test_factur_x_pdf_is_pdfa3_with_the_xml_embedded(api, rendering) -> None:
    created = await api.post("/invoices", json={"client": CITY, "lines": LINES, "export_type": "factur-x"})
    assert created.status_code == 201, created.text
    invoice = (await api.post(f"/invoices/{created.json()['id']}/finalize")).json()
    pdf = (await api.get(f"/invoices/{invoice['id']}/pdf")).content
    xml = (await api.get(f"/invoices/{invoice['id']}/xml")).content
    assert validate_xml(xml, "factur-x") == []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        metadata = document.open_metadata()
        assert metadata.get("pdfaid:part") == "3" and metadata.get("pdfaid:conformance") == "B"
        assert metadata.get("{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}ConformanceLevel") == "EN 16931"
        assert document.Root.get("/OutputIntents") is not None
        embedded = document.attachments["factur-x.xml"]
        assert str(embedded.obj.get("/AFRelationship")) == "/Data"
        assert embedded.get_file().read_bytes() == xml  # the round trip: exactly the XML generated
    draft = (await api.post("/invoices", json={"client": CITY, "lines": LINES, "export_type": "factur-x"})).json()
    preview = (await api.get(f"/invoices/{draft['id']}/pdf")).content
    with pikepdf.open(io.BytesIO(preview)) as document:
        assert "factur-x.xml" not in document.attachments  # a draft's preview is no invoice


async def test_an_xrechnung_send_attaches_the_xml_next_to_the_pdf(api, outbox: Outbox) -> None:  # noqa: F811
    draft = (await api.post("/invoices", json={"client": CITY | {"email": "ap@koeln.example"}, "lines": LINES,
                                               "export_type": "xrechnung"})).json()
    sent = await api.post(f"/invoices/{draft['id']}/send", params={"wait": 60})
    assert sent.status_code == 202 and sent.json()["state"] == "delivered", sent.text
    (mail,) = outbox.messages_to("ap@koeln.example")
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    invoice = (await api.get(f"/invoices/{draft['id']}")).json()
    assert set(files) == {f"{invoice['number']}.pdf", f"{invoice['number']}.xml"}
    xml = (await api.get(f"/invoices/{draft['id']}/xml")).content
    assert files[f"{invoice['number']}.xml"] in (xml, xml.decode())
