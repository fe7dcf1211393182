"""MCP tools of the account's settings (REST: controllers/settings.py)."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from billwire_gateway.mcp.toolbox import READ, Result, Toolbox
from billwire_shared import subjects
from billwire_shared.contracts.accounts import GetProfile


def register(tools: Toolbox) -> None:
    @tools.tool(READ)
    async def get_company_profile(ctx: Context) -> Result:
        """The seller's details, bank, defaults and number series."""
        return await tools.result(ctx, subjects.PROFILE_GET, lambda k: GetProfile(ctx=k))
