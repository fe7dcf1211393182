"""Billwire as the MCP SDK's `OAuthAuthorizationServerProvider`: the SDK's handlers parse and
check every request (client authentication, redirect URI against the registered ones, scopes,
PKCE S256, code expiry); this class stores and issues.

- Registered clients live in the invoices service (they outlive any gateway process).
- An authorization request waits in NATS KV for the person's consent (web/controllers/oauth.py),
  which turns it into a code there; a code is exchanged once.
- The access token IS an API key of the consenting person's account, with the scopes they
  granted: ApiGuard checks it like any key, the keys list shows it, revoking it works there.
  No expiry and no refresh token: the connection lasts until someone revokes it.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.oauth.grants import REQUEST_SECONDS, GrantStore, PendingRequest
from billwire_shared import subjects
from billwire_shared.contracts.accounts import NewApiKey
from billwire_shared.contracts.common import SCOPES, Caller
from billwire_shared.contracts.oauth import DEFAULT_SCOPES, GetOAuthClient, IssueOAuthToken, OAuthClientRecord, RegisterOAuthClient

CONSENT_PATH = "/oauth/consent"
MAX_REDIRECT_URIS = 10


class ConsentedCode(AuthorizationCode):
    """A code with the account and user whose consent made it."""

    account_id: UUID
    user_id: UUID


def redirect_uri_problem(uri: str) -> str | None:
    """Why a redirect URI may not be registered: only https, or http to this machine's loopback
    (RFC 8252 §7.3, native apps), never with a fragment (RFC 6749 §3.1.2) or user info."""
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return f"Redirect URI '{uri}' has a fragment."
    if parts.username is not None or parts.password is not None:
        return f"Redirect URI '{uri}' carries user information."
    if not parts.hostname:
        return f"Redirect URI '{uri}' has no host."
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _loopback(parts.hostname):
        return None
    return f"Redirect URI '{uri}' must use https (or http to 127.0.0.1, [::1] or localhost)."


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BillwireOAuthProvider:
    def __init__(self, bus: Bus, grants: GrantStore, resource_url: str) -> None:
        self.bus, self.grants, self.resource_url = bus, grants, resource_url

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if not 0 < len(client_id) <= 100:
            return None
        found = await self.bus.call_typed(subjects.OAUTH_CLIENT_GET, GetOAuthClient(client_id=client_id), OAuthClientRecord)
        return OAuthClientInformationFull.model_validate_json(found.record) if found.found else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        uris = [str(uri) for uri in client_info.redirect_uris or []]
        if not uris or len(uris) > MAX_REDIRECT_URIS:
            raise RegistrationError("invalid_redirect_uri", f"Register between 1 and {MAX_REDIRECT_URIS} redirect URIs.")
        for uri in uris:
            if (problem := redirect_uri_problem(uri)) is not None:
                raise RegistrationError("invalid_redirect_uri", problem)
        record = client_info.model_dump_json(exclude_none=True)
        if len(record) > 20_000:
            raise RegistrationError("invalid_client_metadata", "The client metadata is too large.")
        command = RegisterOAuthClient(client_id=client_info.client_id, client_name=(client_info.client_name or "")[:200], record=record)
        await self.bus.call_typed(subjects.OAUTH_CLIENT_REGISTER, command, OAuthClientRecord)

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        """Where the browser goes next: the consent page (which sends a person who is not signed
        in to the sign-in page first, and back)."""
        if params.resource is not None and params.resource.rstrip("/") != self.resource_url.rstrip("/"):
            raise AuthorizeError("invalid_target", f"This server issues tokens for {self.resource_url} only.")
        # No scope asked for: what a new API key gets by default, never `admin` unasked.
        wanted = params.scopes if params.scopes is not None else DEFAULT_SCOPES
        scopes = [scope for scope in SCOPES if scope in wanted]
        if not scopes:
            raise AuthorizeError("invalid_scope", f"Ask for some of: {' '.join(SCOPES)}.")
        request_id = await self.grants.add_request(PendingRequest(
            client_id=client.client_id, client_name=client.client_name or "", scopes=scopes, code_challenge=params.code_challenge,
            redirect_uri=str(params.redirect_uri), redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            state=params.state, resource=params.resource, expires_at=time.time() + REQUEST_SECONDS,
        ))
        return f"{CONSENT_PATH}?grant={request_id}"

    async def load_authorization_code(self, client: OAuthClientInformationFull, authorization_code: str) -> ConsentedCode | None:
        grant = await self.grants.code(authorization_code)
        if grant is None or grant.client_id != client.client_id:
            return None
        return ConsentedCode(
            code=authorization_code, scopes=grant.scopes, expires_at=grant.expires_at, client_id=grant.client_id,
            code_challenge=grant.code_challenge, redirect_uri=grant.redirect_uri,  # type: ignore[arg-type]
            redirect_uri_provided_explicitly=grant.redirect_uri_provided_explicitly, resource=grant.resource,
            subject=str(grant.user_id), account_id=grant.account_id, user_id=grant.user_id,
        )

    async def exchange_authorization_code(self, client: OAuthClientInformationFull, authorization_code: ConsentedCode) -> OAuthToken:
        if not await self.grants.take_code(authorization_code.code):
            raise TokenError("invalid_grant", "authorization code was used already")
        command = IssueOAuthToken(
            ctx=Caller(account_id=authorization_code.account_id, user_id=authorization_code.user_id),
            client_id=client.client_id, client_name=client.client_name or "", scopes=authorization_code.scopes,  # type: ignore[arg-type]
        )
        try:
            key = await self.bus.call_typed(subjects.OAUTH_TOKEN_ISSUE, command, NewApiKey)
        except ApiError as exc:
            raise TokenError("invalid_grant", exc.reply.message) from exc
        return OAuthToken(access_token=key.key, scope=" ".join(key.scopes))

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        return None  # none are issued: the access token lasts until it is revoked

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]) -> OAuthToken:
        raise TokenError("invalid_grant", "refresh tokens are not issued")

    async def load_access_token(self, token: str) -> AccessToken | None:
        return None  # ApiGuard checks access tokens as the API keys they are, not the SDK's middleware

    async def revoke_token(self, token: Any) -> None:
        return None  # tokens are revoked in the keys list (the SDK's /revoke is not offered)

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull, params: Any) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "The JWT bearer grant is not supported by this authorization server")

