"""`Mcp-Param-*` headers (protocol 2026-07-28): the SDK checks them against a tool's input schema
before each call. Billwire hands it the schema only for a tool that declares such a header, so the
check still runs where it can find something, and costs nothing for the tools that declare none."""

from __future__ import annotations

from typing import Annotated

import msgspec
from mcp.server.mcpserver import Context
from mcp.shared.inbound import validate_mcp_param_headers

from billwire_gateway.bus import Bus
from billwire_gateway.mcp import create_mcp
from billwire_gateway.mcp.arguments import Arguments
from billwire_gateway.mcp.toolbox import READ, BillwireMCP, Toolbox
from billwire_gateway.settings import GatewaySettings
from billwire_shared.subjects import Names


class RegionArguments(Arguments, kw_only=True):
    region: Annotated[str, msgspec.Meta(extra_json_schema={"x-mcp-header": "Region"})]


class PlainArguments(Arguments, kw_only=True):
    region: str


def server() -> BillwireMCP:
    settings = GatewaySettings()
    toolbox = Toolbox(Bus(Names(settings.prefix), settings.rpc_timeout), settings)

    @toolbox.tool(READ, RegionArguments, str)
    async def routed(ctx: Context, args: RegionArguments) -> str:
        """Declares its `region` argument as the `Mcp-Param-Region` header."""
        return args.region

    @toolbox.tool(READ, PlainArguments, str)
    async def plain(ctx: Context, args: PlainArguments) -> str:
        """Declares no header."""
        return args.region

    return BillwireMCP(toolbox.scopes, name="test", tools=toolbox.tools)


def test_a_tool_declaring_a_header_still_has_it_checked() -> None:
    mcp = server()
    schema = mcp._tool_input_schema("routed")
    assert schema is not None and schema["properties"]["region"]["x-mcp-header"] == "Region"
    mismatch = validate_mcp_param_headers(schema, {"region": "eu"}, {"mcp-param-region": "us"})
    assert mismatch is not None and "does not match" in mismatch.message
    assert validate_mcp_param_headers(schema, {"region": "eu"}, {"mcp-param-region": "eu"}) is None


def test_tools_declaring_no_header_are_not_walked_per_call() -> None:
    assert server()._tool_input_schema("plain") is None
    assert server()._tool_input_schema("no_such_tool") is None
    settings = GatewaySettings()
    billwire = create_mcp(Bus(Names(settings.prefix), settings.rpc_timeout), settings)
    names = [tool.name for tool in billwire._tool_manager.list_tools()]
    assert "create_invoice" in names
    assert [name for name in names if billwire._tool_input_schema(name) is not None] == []
