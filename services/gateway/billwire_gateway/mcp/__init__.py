"""The MCP endpoint: the same commands as REST, as tools an agent can drive safely; `create_mcp`
assembles the server from one tool module per area, as `controllers/` does for REST."""

from billwire_gateway.mcp.server import create_mcp

__all__ = ["create_mcp"]
