"""`billwire mcp --url URL --key KEY`: an MCP server on stdin/stdout for desktop clients that
speak stdio, forwarding every call to a running gateway's HTTP MCP endpoint with that key."""

from __future__ import annotations

import anyio
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared._httpx_utils import create_mcp_http_client


def endpoint(url: str) -> str:
    """Accept the gateway's base URL, its API URL, or the MCP endpoint itself."""
    base = url.rstrip("/")
    for suffix in ("/api/mcp", "/api/v1"):
        base = base.removesuffix(suffix)
    return f"{base}/api/mcp"


async def serve(url: str, key: str) -> None:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with client, streamable_http_client(endpoint(url), http_client=client) as (read, write, *_):
        async with ClientSession(read, write) as remote:
            info = await remote.initialize()

            async def list_tools(ctx, params):
                return await remote.list_tools(params=params)

            async def call_tool(ctx, params):
                return await remote.call_tool(params.name, params.arguments or {})

            proxy = Server(
                info.server_info.name, version=info.server_info.version, instructions=info.instructions,
                on_list_tools=list_tools, on_call_tool=call_tool,
            )
            async with stdio_server() as (stdin, stdout):
                await proxy.run(stdin, stdout, proxy.create_initialization_options())


def run(url: str, key: str) -> int:
    anyio.run(serve, url, key)
    return 0
