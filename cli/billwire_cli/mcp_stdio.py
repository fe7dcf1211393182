"""`billwire mcp --url URL --key KEY`: an MCP server on stdin/stdout for desktop clients that
speak stdio, forwarding every call to a running gateway's HTTP MCP endpoint with that key: tools,
the document resources and their templates, and the prompts."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterable, AsyncIterator

import anyio
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared._httpx_utils import create_mcp_http_client

from billwire_gateway.mcp.numbers import exact_arguments


def endpoint(url: str) -> str:
    """Accept the gateway's base URL, its API URL, or the MCP endpoint itself."""
    base = url.rstrip("/")
    for suffix in ("/api/mcp", "/api/v1"):
        base = base.removesuffix(suffix)
    return f"{base}/api/mcp"


class ExactLines:
    """The JSON-RPC lines read from stdin, each tools/call's decimal arguments turned into their
    exact text before the SDK parses the line: it reads a JSON number as a float, so money sent
    as 12345678901.12345678 would reach the gateway as 12345678901.123457 (the HTTP endpoint
    does the same rewrite for the same reason)."""

    def __init__(self, lines: AsyncIterable[str]) -> None:
        self.lines = lines

    async def __aiter__(self) -> AsyncIterator[str]:
        async for line in self.lines:
            raw = line.encode()
            exact = exact_arguments(raw)
            yield line if exact is raw else exact.decode() + "\n"


def exact_stdin() -> ExactLines:
    return ExactLines(anyio.wrap_file(open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)))


async def serve(url: str, key: str) -> None:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with client, streamable_http_client(endpoint(url), http_client=client) as (read, write, *_):
        async with ClientSession(read, write) as remote:
            info = await remote.initialize()

            async def list_tools(ctx, params):
                return await remote.list_tools(params=params)

            async def call_tool(ctx, params):
                return await remote.call_tool(params.name, params.arguments or {})

            async def list_resources(ctx, params):
                return await remote.list_resources(params=params)

            async def list_resource_templates(ctx, params):
                return await remote.list_resource_templates(params=params)

            async def read_resource(ctx, params):
                return await remote.read_resource(str(params.uri))

            async def list_prompts(ctx, params):
                return await remote.list_prompts(params=params)

            async def get_prompt(ctx, params):
                return await remote.get_prompt(params.name, params.arguments)

            proxy = Server(
                info.server_info.name, version=info.server_info.version, instructions=info.instructions,
                on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
                on_list_resource_templates=list_resource_templates, on_read_resource=read_resource,
                on_list_prompts=list_prompts, on_get_prompt=get_prompt,
            )
            async with stdio_server(stdin=exact_stdin()) as (stdin, stdout):  # type: ignore[arg-type]
                await proxy.run(stdin, stdout, proxy.create_initialization_options())


def run(url: str, key: str) -> int:
    anyio.run(serve, url, key)
    return 0
