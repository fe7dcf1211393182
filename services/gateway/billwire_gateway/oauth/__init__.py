"""OAuth for MCP clients that connect only through OAuth: the MCP SDK's authorization server,
with Billwire's storage (grants.py), provider (provider.py) and routes (routes.py)."""
