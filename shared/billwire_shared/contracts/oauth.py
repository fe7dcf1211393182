"""OAuth for MCP clients that connect only through OAuth (hosted assistants' connectors).

The gateway runs the MCP SDK's authorization server; what has to outlive a gateway process
lives in the invoices service: the clients that registered themselves (RFC 7591), and the
access tokens, which are plain API keys named "OAuth: <client name>" with the granted
scopes, so they show up in the keys list and are revoked there like any key.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from billwire_shared.contracts.common import Command, Scope

# What a client gets asked for when it names no scopes (and what the metadata suggests): what a
# new API key gets by default; `admin` only when a client asks for it and an owner ticks it.
DEFAULT_SCOPES = ["read", "write", "email:send"]

ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class RegisterOAuthClient(msgspec.Struct, kw_only=True):
    """A self-registered client: `record` is the SDK's client information as JSON (it has no
    account: registration comes before anyone signs in)."""

    client_id: ClientId
    client_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    record: Annotated[str, msgspec.Meta(max_length=20_000)]


class GetOAuthClient(msgspec.Struct, kw_only=True):
    client_id: ClientId


class OAuthClientRecord(msgspec.Struct, kw_only=True):
    found: bool
    record: str = ""


class IssueOAuthToken(Command, kw_only=True):
    """The token endpoint's exchange of a consented code: a new API key of the account the
    person who consented belongs to (ctx), with the scopes they granted."""

    client_id: ClientId
    client_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]
