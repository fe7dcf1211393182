"""The MCP server assembled from the tool modules of each area.

Mounted at /api/mcp behind the same bearer keys, scopes and rate limits (the ApiGuard
middleware runs first and leaves the key's identity in the request scope). Stateless
streamable HTTP with JSON responses, so any gateway replica can answer any call.
Irreversible tools (finalize, send, cancel) answer with a preview unless `confirm` is true,
and then require the total the agent expects. Documents are resources too, and prompts
describe the common jobs.
"""

from __future__ import annotations

from billwire_gateway.bus import Bus
from billwire_gateway.mcp import approvals, clients, documents, files, lifecycle, prompts, recurring, reports, settings, text
from billwire_gateway.mcp.toolbox import BillwireMCP, Toolbox
from billwire_gateway.settings import GatewaySettings
from billwire_shared import __version__

# The order tools are listed in: as they were declared when they were one function.
AREAS = (clients, documents, lifecycle, files, reports, text, settings, recurring, approvals)


def create_mcp(bus: Bus, gateway_settings: GatewaySettings) -> BillwireMCP:
    toolbox = Toolbox(bus, gateway_settings)
    for area in AREAS:
        area.register(toolbox)
    mcp = BillwireMCP(
        toolbox.scopes, name="billwire", version=__version__, tools=toolbox.tools,
        instructions="Invoicing for freelancers and small companies: clients, products, invoices, payments, sending."
        " Irreversible tools preview unless confirm=true; show the preview and its blocking_problems to the person first.",
    )
    files.register_resources(mcp, toolbox)
    prompts.register(mcp)
    return mcp
