"""`billwire mcp` for desktop clients: the official stdio client talks to it, and it forwards to HTTP."""

from __future__ import annotations

import sys

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.stack import Stack, ready_account


async def test_stdio_proxy_lists_and_calls_tools(stack: Stack) -> None:
    api = await ready_account(stack, "Desktop GmbH")
    async with stack.served() as base:
        params = StdioServerParameters(command=sys.executable, args=["-m", "billwire_cli.main", "mcp", "--url", base, "--key", api.key])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            assert {"create_invoice", "get_company_profile"} <= names
            profile = await session.call_tool("get_company_profile", {})
            assert not profile.is_error and profile.structured_content["result"]["company_name"] == "Desktop GmbH"
            draft = await session.call_tool("create_invoice", {"client_name": "Stdio Ltd", "lines": [{"description": "x", "unit_price": 12.5}]})
            assert not draft.is_error and draft.structured_content["result"]["totals"]["net"] == "12.50"
            templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
            assert "billwire://documents/{document_id}" in templates
            document = await session.read_resource(f"billwire://documents/{draft.structured_content['result']['id']}")
            assert '"Stdio Ltd"' in document.contents[0].text
            assert "month_end_summary" in {p.name for p in (await session.list_prompts()).prompts}
            summary = await session.get_prompt("month_end_summary", {"month": "2026-11"})
            assert "2026-11" in summary.messages[0].content.text
