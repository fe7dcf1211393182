"""The OAuth endpoints: the MCP SDK's authorization-server routes (metadata, /authorize,
/token, /register) and its protected-resource metadata for /api/mcp, served by one Litestar
ASGI route per path. The SDK (and Starlette under it) is imported on the first OAuth request,
as the MCP server itself is (a gateway no agent talks to does not carry it)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import asgi

from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.middleware import address_key, client_address, send_error
from billwire_gateway.oauth.grants import GrantStore
from billwire_gateway.security import RateLimiter
from billwire_shared.contracts.common import SCOPES
from billwire_shared.contracts.oauth import DEFAULT_SCOPES
from billwire_shared.errors import ErrorCode, ErrorReply

MCP_PATH = "/api/mcp"
PROTECTED_RESOURCE = "/.well-known/oauth-protected-resource"
AUTHORIZATION_SERVER = "/.well-known/oauth-authorization-server"
OAUTH_PATHS = [AUTHORIZATION_SERVER, PROTECTED_RESOURCE, PROTECTED_RESOURCE + MCP_PATH, "/authorize", "/token", "/register"]


def resource_metadata_url(public_url: str) -> str:
    """RFC 9728 §3.1: the well-known path with the resource's path appended."""
    return f"{public_url}{PROTECTED_RESOURCE}{MCP_PATH}"


class OAuthServer:
    """One gateway's OAuth endpoints; `grants` is started by the gateway's lifespan.

    Registration needs no key (it comes before anyone signs in), so registrations count per
    client address, as failed authentications do (the same limit, a count of their own): a
    script cannot fill the clients table.
    """

    def __init__(self, bus: Bus, public_url: str, replicas: int = 1, registrations: RateLimiter | None = None, address_header: str = "") -> None:
        self.bus, self.public_url = bus, public_url.rstrip("/")
        self.registrations, self.address_header = registrations, address_header
        self.grants = GrantStore(bus, replicas)
        self._app: Any = None
        self._lock = asyncio.Lock()

    @property
    def resource_url(self) -> str:
        return self.public_url + MCP_PATH

    def route(self) -> Any:
        return asgi(OAUTH_PATHS, copy_scope=True, include_in_schema=False)(self.endpoint)

    async def endpoint(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] == "/register" and scope.get("method") == "POST" and self.registrations is not None:
            allowance = await self.registrations.hit("oauth-register-" + address_key(client_address(scope, self.address_header)))
            if not allowance.allowed:
                await send_error(send, ApiError(
                    ErrorReply(code=ErrorCode.RATE_LIMITED, message="Too many client registrations from this address; wait a minute."),
                    {"Retry-After": str(allowance.reset)},
                ))
                return
        if self._app is None:
            async with self._lock:
                if self._app is None:
                    self._app = self._build()
        await self._app(scope, receive, send)

    def _build(self) -> Any:
        from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
        from mcp.server.auth.routes import cors_middleware, create_auth_routes
        from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
        from mcp.shared.auth import ProtectedResourceMetadata
        from pydantic import AnyHttpUrl, ConfigDict, TypeAdapter
        from starlette.applications import Starlette
        from starlette.routing import Route

        from billwire_gateway.oauth.provider import BillwireOAuthProvider


        # An issuer without a path keeps it empty: RFC 8414 compares issuers as strings, and
        # pydantic would otherwise write "https://host/" where the client expects "https://host".
        url = TypeAdapter(AnyHttpUrl, config=ConfigDict(url_preserve_empty_path=True)).validate_python
        provider = BillwireOAuthProvider(self.bus, self.grants, self.resource_url)
        routes = create_auth_routes(
            provider, url(self.public_url),
            service_documentation_url=url(f"{self.public_url}/llms.txt"),
            client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=list(SCOPES), default_scopes=list(SCOPES)),
            revocation_options=RevocationOptions(enabled=False),
        )
        metadata = ProtectedResourceMetadata(
            resource=url(self.resource_url), authorization_servers=[url(self.public_url)],
            scopes_supported=DEFAULT_SCOPES, resource_name="Billwire MCP", resource_documentation=url(f"{self.public_url}/llms.txt"),
        )
        handler = cors_middleware(ProtectedResourceMetadataHandler(metadata).handle, ["GET", "OPTIONS"])
        # The path-suffixed URL (RFC 9728) and the root one clients fall back to.
        routes += [Route(path, endpoint=handler, methods=["GET", "OPTIONS"]) for path in (PROTECTED_RESOURCE + MCP_PATH, PROTECTED_RESOURCE)]
        return Starlette(routes=routes)
