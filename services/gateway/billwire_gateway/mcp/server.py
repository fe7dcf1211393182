"""The MCP server assembled from the tool modules of each area.

Mounted at /api/mcp behind the same bearer keys, scopes and rate limits (the ApiGuard
middleware runs first and leaves the key's identity in the request scope). Stateless
streamable HTTP with JSON responses, so any gateway replica can answer any call.
Irreversible tools (finalize, send, cancel) answer with a preview unless `confirm` is true,
and then require the total the agent expects.
"""

from __future__ import annotations

from billwire_gateway.bus import Bus
from billwire_gateway.mcp import clients, documents, files, lifecycle, recurring, reports, settings, text
from billwire_gateway.mcp.toolbox import BillwireMCP, Toolbox
from billwire_shared import __version__

# The order tools are listed in: as they were declared when they were one function.
AREAS = (clients, documents, lifecycle, files, reports, text, settings, recurring)


def create_mcp(bus: Bus) -> BillwireMCP:
    mcp = BillwireMCP(
        name="billwire", version=__version__,
        instructions="Invoicing for freelancers and small companies: clients, products, invoices, payments, sending.",
    )
    toolbox = Toolbox(mcp, bus)
    for area in AREAS:
        area.register(toolbox)
    return mcp
