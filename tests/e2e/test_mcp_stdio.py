"""`billwire mcp` for desktop clients: the official stdio client talks to it, and it forwards to HTTP."""

from __future__ import annotations

import asyncio
import json
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


async def test_stdio_takes_json_numbers_from_their_decimal_text(stack: Stack) -> None:
    """The desktop client's own JSON line, written as an agent would: money as JSON numbers with
    more digits than a float holds, which must reach the invoice exactly."""
    api = await ready_account(stack, "Exact Stdio GmbH")
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    call = ('{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "create_invoice", "arguments": '
            '{"client_name": "Digits Ltd", "lines": [{"description": "a", "quantity": 3, "unit_price": 12345678901.12345678, "tax_rate": 19},'
            ' {"description": "b", "quantity": 0.12345678, "unit_price": 98765432109.87654321, "tax_rate": 7.0}]}}}')
    async with stack.served() as base:
        proxy = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "billwire_cli.main", "mcp", "--url", base, "--key", api.key,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        try:
            proxy.stdin.write(("\n".join(json.dumps(line) for line in lines) + "\n" + call + "\n").encode())
            await proxy.stdin.drain()
            async with asyncio.timeout(120):
                while (answer := json.loads(await proxy.stdout.readline())).get("id") != 2:
                    pass
        finally:
            proxy.stdin.close()
            await proxy.wait()
    assert not answer["result"].get("isError"), answer
    first, second = answer["result"]["structuredContent"]["result"]["lines"]
    # through a float: 12345678901.123457 and 98765432109.87654
    assert (first["quantity"], first["unit_price"], first["net_amount"]) == ("3", "12345678901.12345678", "37037036703.37")
    assert (second["quantity"], second["unit_price"], second["tax_rate"]) == ("0.12345678", "98765432109.87654321", "7.0")
