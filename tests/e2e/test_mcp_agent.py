"""An agent's whole job through the official MCP client: typed tools (every argument typed,
described and exemplified; unknown arguments named; money exact as a string or a number), previews
that name every reason a confirmed call would be refused, and documents in the conversation (the
PDF embedded, the CSV text, resources, prompts), from tools/list to the e-mail in the SMTP catcher."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from billwire_cli.embedded import free_port
from billwire_gateway.mcp.schema import untyped_nodes
from billwire_invoices.app import open_pool
from billwire_invoices.documents.einvoice import warm_up
from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from billwire_invoices.settings import InvoicesSettings
from billwire_mailer.app import MailerService, MailerSettings
from tests.e2e.test_mcp import LEGACY, MODERN, call, mcp_session
from tests.e2e.test_send import Outbox
from tests.events import read_events
from tests.integration.mailer.conftest import SmtpSink
from tests.stack import Stack, ready_account

QUOTA = 2  # e-mails per account and day, for this module's mailer
GREENLEAF = {"name": "GreenLeaf Gardening GmbH", "email": "billing@greenleaf.example",
             "address": {"street": "Gartenweg 5", "zip": "10115", "city": "Berlin", "country": "DE"}}
NOVATECH = {"name": "NovaTech Solutions", "email": "ap@novatech.example"}  # no address


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def outbox(stack: Stack, rendering) -> AsyncIterator[Outbox]:
    box = Outbox(SmtpSink(), free_port())
    box.relay_up()
    try:
        settings = stack.settings(MailerSettings, smtp_port=box.port, smtp_from="billing@billwire.test", outbox_poll_interval=0.2,
                                  email_daily_quota=QUOTA)
        async with MailerService(settings).running():
            yield box
    finally:
        box.relay_down()


def undescribed(schema: Any, path: str = "$") -> list[str]:
    """Every property, however deep, without a description or an example."""
    found: list[str] = []
    if isinstance(schema, dict):
        for name, value in schema.get("properties", {}).items():
            if not value.get("description") or not value.get("examples"):
                found.append(f"{path}.{name}")
            found += undescribed(value, f"{path}.{name}")
        for option in schema.get("anyOf", []):
            found += undescribed(option, path)
        found += undescribed(schema.get("items"), f"{path}[]")
    return found


async def wait_delivered(api, invoice_id: str) -> dict:
    async with asyncio.timeout(60):
        while True:
            sends = (await api.get(f"/invoices/{invoice_id}/sends")).json()
            if sends and sends[-1]["state"] in ("delivered", "failed"):
                return sends[-1]
            await asyncio.sleep(0.2)


async def test_every_tool_is_typed_described_and_has_an_output_schema(stack: Stack) -> None:
    api = await ready_account(stack, "Schema GmbH")
    async with stack.served() as base, mcp_session(base, api.key, MODERN) as session:
        tools = (await session.list_tools()).tools
        assert len(tools) >= 45
        for tool in tools:
            assert untyped_nodes(tool.input_schema) == [], (tool.name, untyped_nodes(tool.input_schema))
            assert undescribed(tool.input_schema) == [], (tool.name, undescribed(tool.input_schema))
            assert tool.input_schema["additionalProperties"] is False, tool.name
            assert "$defs" not in tool.input_schema and "$ref" not in json.dumps(tool.input_schema), tool.name  # all inlined
            assert tool.output_schema and tool.output_schema["required"] == ["result"], tool.name
        named = {tool.name: tool for tool in tools}
        for name in ("delete_draft", "create_document", "update_client", "delete_client", "update_product", "delete_product",
                     "list_payments", "delete_payment", "list_saved_prompts", "create_saved_prompt", "run_saved_prompt",
                     "get_reminder_settings", "update_reminder_settings", "list_recurring_invoices"):
            assert name in named, name
        invoice = named["create_invoice"].input_schema["properties"]
        assert {"issue_date", "due_date", "due_days"} <= set(invoice)
        line = invoice["lines"]["items"]["properties"]
        assert line["unit_price"]["anyOf"][0]["type"] == ["string", "number"]
        assert invoice["client"]["anyOf"][0]["properties"]["address"]["properties"]["country"]["anyOf"][0]["pattern"] == "^[A-Z]{2}$"
        assert invoice["due_date"]["anyOf"][0]["format"] == "date"
        assert "reverse_charge" in invoice["vat_regulation"]["anyOf"][0]["enum"]

        templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
        assert templates == {"billwire://documents/{document_id}", "billwire://documents/{document_id}/pdf"}
        prompts = {p.name for p in (await session.list_prompts()).prompts}
        assert prompts == {"invoice_from_description", "chase_overdue_invoices", "month_end_summary"}
        plan = await session.get_prompt("invoice_from_description", {"description": "3 days of pruning for GreenLeaf at 400 EUR"})
        assert "3 days of pruning" in plan.messages[0].content.text and "blocking_problems" in plan.messages[0].content.text


async def test_unknown_arguments_are_named_and_dates_are_taken(stack: Stack) -> None:
    api = await ready_account(stack, "Dates GmbH")
    async with stack.served() as base, mcp_session(base, api.key, LEGACY) as session:
        lines = [{"description": "Audit", "unit_price": "100"}]
        wrong = await session.call_tool("create_invoice", {"client_name": "Initech", "lines": lines, "due": "2026-12-31", "vat": 19})
        assert wrong.is_error
        text = wrong.content[0].text
        assert "unknown arguments due, vat" in text and "accepted:" in text and "due_date" in text and "issue_date" in text
        assert (await api.get("/invoices")).json()["total"] == 0  # nothing was created
        nested = await session.call_tool("create_invoice", {"client_name": "Initech", "lines": [{"description": "x", "price": "1"}]})
        assert nested.is_error and "price" in nested.content[0].text
        dated = await call(session, "create_invoice", client_name="Initech", lines=lines, issue_date="2026-12-01", due_date="2026-12-31")
        assert (dated["issue_date"], dated["due_date"]) == ("2026-12-01", "2026-12-31")


async def test_money_as_a_number_or_a_string_gives_the_same_totals(stack: Stack) -> None:
    api = await ready_account(stack, "Exact GmbH")

    async def raw_call(base: str, arguments: str) -> dict:
        """A tools/call whose JSON text we write ourselves: the digits exactly as an agent sends them."""
        body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_invoice","arguments":%s}}' % arguments
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(f"{base}/api/mcp", content=body, headers={
                "Authorization": f"Bearer {api.key}", "Content-Type": "application/json", "MCP-Protocol-Version": LEGACY,
                "Accept": "application/json, text/event-stream"})
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        assert not result.get("isError"), result
        return result["structuredContent"]["result"]

    async with stack.served() as base:
        as_number = await raw_call(base, '{"client_name":"Exact","lines":[{"description":"a","quantity":3,"unit_price":999999999.12345678,'
                                         '"tax_rate":7.7,"discount_rate":2.5}]}')
        as_text = await raw_call(base, '{"client_name":"Exact","lines":[{"description":"a","quantity":"3","unit_price":"999999999.12345678",'
                                       '"tax_rate":"7.7","discount_rate":"2.5"}]}')
        async with mcp_session(base, api.key, MODERN) as session:  # the SDK client's own floats take the same path
            through_sdk = await call(session, "create_invoice", client_name="Exact",
                                     lines=[{"description": "b", "quantity": 2, "unit_price": 19.99, "tax_rate": 19}])
    assert as_number["lines"][0]["unit_price"] == "999999999.12345678"  # a float would have made it 999999999.1234568
    assert as_number["totals"] == as_text["totals"]
    assert through_sdk["totals"]["gross"] == "47.58"


async def test_greenleaf_from_tools_list_to_the_email_and_the_pdf_in_the_conversation(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Gardener Supplies GmbH")
    async with stack.served() as base, mcp_session(base, api.key, MODERN) as session:
        assert "send_invoice" in {tool.name for tool in (await session.list_tools()).tools}
        client = await call(session, "create_client", client=GREENLEAF)
        draft = await call(session, "create_invoice", client_id=client["id"], due_date="2027-01-15",
                           lines=[{"description": "Hedge trimming", "quantity": 6, "unit": "h", "unit_price": 45.5},
                                  {"description": "Green waste disposal", "quantity": "1", "unit_price": "80"}])
        assert draft["totals"]["gross"] == "420.07" and draft["due_date"] == "2027-01-15"
        assert draft["vat_note"] == "19 % on lines 1, 2: the account's default rate."

        preview = await call(session, "send_invoice", invoice_id=draft["id"], cc=["office@greenleaf.example"])
        number = preview["number_after"]
        assert preview["preview"] is True and preview["changed"] is False and preview["blocking_problems"] == []
        assert number.startswith("INV-") and preview["number"] is None and preview["status_after"] == "open"
        assert (preview["to"], preview["cc"]) == (["billing@greenleaf.example"], ["office@greenleaf.example"])
        assert number in preview["subject"] and preview["total"] == "420.07"
        assert preview["attachments"] == [{"filename": f"{number}.pdf", "media_type": "application/pdf"}]
        assert (await api.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"  # a preview changes nothing

        sent = await call(session, "send_invoice", invoice_id=draft["id"], cc=["office@greenleaf.example"], confirm=True,
                          expected_total=420.07)
        assert sent["to"] == ["billing@greenleaf.example"]
        assert (await wait_delivered(api, draft["id"]))["state"] == "delivered"
        [mail] = outbox.messages_to("billing@greenleaf.example")
        assert mail["Subject"] == preview["subject"] and "office@greenleaf.example" in mail["Cc"]
        assert [part.get_filename() for part in mail.iter_attachments()] == [f"{number}.pdf"]

        pdf = await session.call_tool("get_invoice_pdf", {"invoice_id": draft["id"]})
        assert not pdf.is_error, pdf.content
        info = pdf.structured_content["result"]
        assert info["url"] == f"{base}/api/v1/invoices/{draft['id']}/pdf" and info["embedded"] is True
        [embedded] = [block for block in pdf.content if block.type == "resource"]
        assert embedded.resource.mime_type == "application/pdf"
        data = base64.b64decode(embedded.resource.blob)
        assert data.startswith(b"%PDF") and len(data) == info["size"]
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert number in text and "Hedge trimming" in text
        downloaded = await httpx.AsyncClient().get(info["url"], headers={"Authorization": f"Bearer {api.key}"})
        assert downloaded.content == data

        exported = await call(session, "export_invoices", date_from="2000-01-01", date_to="2100-12-31")
        assert exported["complete"] is True and exported["rows"] == 1 and number in exported["csv"]
        assert exported["url"].startswith(f"{base}/api/v1/invoices/export?") and "from=2000-01-01" in exported["url"]
        nothing = await call(session, "export_invoices", date_from="2000-01-01", date_to="2000-12-31")
        assert nothing["rows"] == 0 and number not in nothing["csv"]

        as_json = await session.read_resource(f"billwire://documents/{draft['id']}")
        assert json.loads(as_json.contents[0].text)["number"] == number
        as_pdf = await session.read_resource(f"billwire://documents/{draft['id']}/pdf")
        assert base64.b64decode(as_pdf.contents[0].blob) == data and as_pdf.contents[0].mime_type == "application/pdf"


async def test_novatech_without_an_address_previews_the_problem_and_nothing_is_sent(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Nova Reseller GmbH")
    async with stack.served() as base, mcp_session(base, api.key, LEGACY) as session:
        client = await call(session, "create_client", client=NOVATECH)
        draft = await call(session, "create_invoice", client_id=client["id"], lines=[{"description": "Licences", "unit_price": "900"}])
        preview = await call(session, "send_invoice", invoice_id=draft["id"])
        fields = {p["field"] for p in preview["blocking_problems"]}
        assert {"client.address.street", "client.address.zip", "client.address.city", "client.address.country"} <= fields
        assert {p["code"] for p in preview["blocking_problems"]} == {"DOCUMENT_INCOMPLETE"}
        assert preview["to"] == ["ap@novatech.example"]

        refused = await session.call_tool("send_invoice", {"invoice_id": draft["id"], "confirm": True, "expected_total": preview["total"]})
        assert refused.is_error and "client.address.street" in refused.content[0].text and "Nothing was changed" in refused.content[0].text
        assert (await api.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"
        assert (await api.get(f"/invoices/{draft['id']}/sends")).json() == []

        # No e-mail address either: the preview names that too, besides the address.
        silent = await call(session, "create_invoice", client_name="Quiet Ltd", lines=[{"description": "x", "unit_price": "1"}])
        problems = (await call(session, "send_invoice", invoice_id=silent["id"]))["blocking_problems"]
        assert any(p["field"] == "recipient" and "no e-mail address" in p["message"] for p in problems)
    await asyncio.sleep(1)
    assert outbox.messages_to("ap@novatech.example") == []


async def test_an_exhausted_quota_is_a_blocking_problem_of_the_preview(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Busy Sender GmbH")
    buyer = GREENLEAF | {"email": "busy@greenleaf.example"}
    for _ in range(QUOTA):
        draft = (await api.post("/invoices", json={"client": buyer, "lines": [{"description": "x", "unit_price": "10"}]})).json()
        assert (await api.post(f"/invoices/{draft['id']}/send")).status_code == 202
    last = (await api.post("/invoices", json={"client": buyer, "lines": [{"description": "y", "unit_price": "10"}]})).json()
    async with stack.served() as base, mcp_session(base, api.key, LEGACY) as session:
        preview = await call(session, "send_invoice", invoice_id=last["id"])
        assert [p["code"] for p in preview["blocking_problems"]] == ["EMAIL_QUOTA_EXCEEDED"]
        refused = await session.call_tool("send_invoice", {"invoice_id": last["id"], "confirm": True, "expected_total": "11.90"})
        assert refused.is_error and "EMAIL_QUOTA_EXCEEDED" in refused.content[0].text
    assert (await api.get(f"/invoices/{last['id']}")).json()["status"] == "draft"


async def test_an_invoice_past_its_due_date_is_overdue_when_asked_and_announced_once(stack: Stack) -> None:
    api = await ready_account(stack, "Late Again GmbH")
    draft = (await api.post("/invoices", json={"client": GREENLEAF, "issue_date": "2026-01-05", "due_date": "2026-01-19",
                                               "lines": [{"description": "Pruning", "unit_price": "100"}]})).json()
    issued = (await api.post(f"/invoices/{draft['id']}/finalize")).json()
    assert issued["overdue_at"] is None  # the scheduler has not run
    async with stack.served() as base, mcp_session(base, api.key, LEGACY) as session:
        overdue = await call(session, "list_overdue_invoices")
        assert [i["id"] for i in overdue["items"]] == [draft["id"]]
        status = await call(session, "get_invoice_status", invoice_id=draft["id"])
        assert "overdue" in status["states"] and status["overdue_at"] is None
        stats = await call(session, "get_invoice_stats", period="year", date_from="2026-01-01", date_to="2026-12-31")
        assert [p["overdue_count"] for p in stats["periods"]] == [1]
    settings = stack.settings(InvoicesSettings)
    pool = await open_pool(settings, min_size=1, max_size=2)
    try:
        scheduler = OverdueScheduler(pool, interval=0.01, batch=500)
        while await scheduler.mark_overdue():
            pass
        assert await scheduler.mark_overdue() == 0
    finally:
        await pool.close()
    events = await read_events(stack, {"invoice.overdue"}, draft["id"])
    assert len(events) == 1
    assert (await api.get(f"/invoices/{draft['id']}")).json()["overdue_at"] is not None


async def test_a_client_abroad_is_told_which_rate_applied_and_why(stack: Stack) -> None:
    api = await ready_account(stack, "Export GmbH")
    paris = {"name": "Boulangerie Paris SARL", "email": "compta@boulangerie.example",
             "address": {"street": "Rue de Rivoli 1", "zip": "75001", "city": "Paris", "country": "FR"}}
    async with stack.served() as base, mcp_session(base, api.key, LEGACY) as session:
        draft = await call(session, "create_invoice", client=paris, lines=[{"description": "Ovens service", "unit_price": "500"}])
        assert draft["lines"][0]["tax_rate"] == "19"
        assert "The client is in FR, not in the seller's country DE" in draft["vat_note"] and "reverse_charge" in draft["vat_note"]
        preview = await call(session, "finalize_invoice", invoice_id=draft["id"])
        assert preview["vat_note"] == draft["vat_note"]
        changed = await call(session, "update_invoice", invoice_id=draft["id"], changes={"vat_regulation": "export"})
        assert changed["vat_note"].startswith("0 % on every line: vat_regulation export")


async def test_cancel_unpay_einvoice_and_recurring_previews_tell_the_whole_truth(stack: Stack) -> None:
    api = await ready_account(stack, "Previews GmbH")
    async with stack.served() as base, mcp_session(base, api.key, MODERN) as session:
        client = await call(session, "create_client", client=GREENLEAF)
        draft = await call(session, "create_invoice", client_id=client["id"], lines=[{"description": "Mowing", "unit_price": "100"}])
        await call(session, "finalize_invoice", invoice_id=draft["id"], confirm=True, expected_total="119.00")
        await call(session, "record_payment", invoice_id=draft["id"], amount=19)

        unpay = await call(session, "mark_invoice_unpaid", invoice_id=draft["id"])
        assert [p["amount"] for p in unpay["payments_removed"]] == ["19"] and unpay["blocking_problems"] == []
        assert (unpay["balance_due"], unpay["status_after"]) == ("119.00", "open")
        await call(session, "mark_invoice_unpaid", invoice_id=draft["id"], confirm=True, expected_total="119.00")
        cancel = await call(session, "cancel_invoice", invoice_id=draft["id"], reason="Wrong client")
        assert cancel["blocking_problems"] == [] and cancel["status_after"] == "cancelled"
        done = await call(session, "cancel_invoice", invoice_id=draft["id"], reason="Wrong client", confirm=True, expected_total=119)
        assert done["credit_note_number"] == cancel["credit_note_number"]

        # A valid XRechnung draft whose seller loses the phone an XRechnung needs: the e-invoice check blocks.
        await asyncio.wrap_future(warm_up())
        assert (await api.patch("/settings/profile", json={"contact_name": "Anna Muster", "phone": "+49 30 1234567"})).status_code == 200
        public = await call(session, "create_client", client=GREENLEAF | {"buyer_reference": "04011000-12345-67"})
        xrechnung = await call(session, "create_invoice", client_id=public["id"], export_type="xrechnung",
                               lines=[{"description": "Hedges", "unit_price": "50"}])
        assert (await api.patch("/settings/profile", json={"phone": None})).status_code == 200
        not_issued = await call(session, "cancel_invoice", invoice_id=xrechnung["id"], reason="Not needed")
        assert [p["code"] for p in not_issued["blocking_problems"]] == ["INVALID_DOCUMENT_STATE"]
        assert "delete it instead" in not_issued["blocking_problems"][0]["message"]
        preview = await call(session, "finalize_invoice", invoice_id=xrechnung["id"])
        assert "EINVOICE_INVALID" in {p["code"] for p in preview["blocking_problems"]}, preview["blocking_problems"]
        assert preview["number_after"].startswith("INV-")
        refused = await session.call_tool("finalize_invoice", {"invoice_id": xrechnung["id"], "confirm": True, "expected_total": "59.50"})
        assert refused.is_error and "EINVOICE_INVALID" in refused.content[0].text

        # A recurring invoice e-mailed to a client without an address: every run would fail to be issued.
        nova = await call(session, "create_client", client=NOVATECH)
        template = {"client_id": nova["id"], "schedule": {"frequency": "monthly", "start": "2041-01-01"},
                    "lines": [{"description": "Support {month}", "unit_price": "250"}], "auto_send": {}}
        recurring = await call(session, "create_recurring_invoice", template=template)
        assert recurring["preview"] is True and recurring["to"] == ["ap@novatech.example"]
        assert "client.address.street" in {p["field"] for p in recurring["blocking_problems"]}
        fine = await call(session, "create_recurring_invoice", template=template | {"client_id": client["id"]})
        assert fine["blocking_problems"] == [] and fine["to"] == ["billing@greenleaf.example"]
