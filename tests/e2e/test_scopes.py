"""Scopes over REST and MCP: sending a draft finalizes it, so it needs `write` besides
`email:send`; a write tool's preview runs under the scope the tool acts under, so it needs no
`read`; each key is listed exactly the tools it may call."""

from __future__ import annotations

from billwire_mailer.app import MailerService
from tests.e2e.test_mcp import LEGACY, mcp_session
from tests.stack import BUYER, Api, Stack, ready_account

LINES = [{"description": "Consulting", "quantity": "1", "unit_price": "100"}]


async def key_with(admin: Api, stack: Stack, *scopes: str) -> Api:
    created = await admin.post("/settings/api-keys", json={"name": "+".join(scopes), "scopes": list(scopes)})
    assert created.status_code == 201, created.text
    return stack.api(created.json()["key"])


async def test_sending_a_draft_needs_write_as_well_as_email_send(stack: Stack, mailer: MailerService) -> None:
    admin = await ready_account(stack, "Send Scopes GmbH")
    draft = (await admin.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    sender = await key_with(admin, stack, "read", "email:send")
    refused = await sender.post(f"/invoices/{draft['id']}/send", json={})
    assert refused.status_code == 403, refused.text
    assert "`write`" in refused.json()["error"]["message"]
    assert (await admin.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"  # not finalized either

    both = await key_with(admin, stack, "write", "email:send")
    sent = await both.post(f"/invoices/{draft['id']}/send", json={})
    assert sent.status_code == 202, sent.text
    assert (await admin.get(f"/invoices/{draft['id']}")).json()["status"] != "draft"

    schema = (await stack.http.get("/schema/openapi.json")).json()
    send = schema["paths"]["/api/v1/invoices/{document_id}/send"]["post"]
    assert "`write`" in send["description"] and "`email:send`" in send["description"]
    assert "email:send" in schema["components"]["securitySchemes"]["bearer"]["description"]


async def test_mcp_write_tools_preview_under_their_own_scope_and_lists_match(stack: Stack, mailer: MailerService) -> None:
    admin = await ready_account(stack, "Tool Scopes GmbH")
    draft = (await admin.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    writer = await key_with(admin, stack, "write")
    mailer_only = await key_with(admin, stack, "email:send")
    writer_and_mailer = await key_with(admin, stack, "write", "email:send")
    async with stack.served() as base:
        async with mcp_session(base, writer.key, LEGACY) as session:
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert {"finalize_invoice", "cancel_invoice", "create_invoice"} <= names
            assert "send_invoice" not in names and "get_invoice" not in names
            preview = await session.call_tool("finalize_invoice", {"invoice_id": draft["id"]})
            assert not preview.is_error, preview.content
            assert preview.structured_content["result"]["preview"] is True
            named = await session.call_tool("create_invoice", {"client_name": "Globex Corporation", "lines": LINES})
            assert not named.is_error, named.content
        async with mcp_session(base, mailer_only.key, LEGACY) as session:
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert "send_invoice" not in names, names
            refused = await session.call_tool("send_invoice", {"invoice_id": draft["id"]})
            assert refused.is_error and "`write`" in refused.content[0].text
        async with mcp_session(base, writer_and_mailer.key, LEGACY) as session:
            assert "send_invoice" in {tool.name for tool in (await session.list_tools()).tools}
            preview = await session.call_tool("send_invoice", {"invoice_id": draft["id"]})
            assert not preview.is_error, preview.content
            total = preview.structured_content["result"]["total"]
            sent = await session.call_tool("send_invoice", {"invoice_id": draft["id"], "confirm": True, "expected_total": total})
            assert not sent.is_error, sent.content
    assert (await admin.get(f"/invoices/{draft['id']}")).json()["status"] != "draft"
