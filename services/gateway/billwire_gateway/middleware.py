"""Request ids on every response; one spelling per path; bearer-key authentication and per-key
and per-account rate limits on `/api/`."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from billwire_gateway.bus import ApiError
from billwire_gateway.security import KeyAuthenticator, RateLimiter, limit_headers
from billwire_shared.contracts.accounts import KeyIdentity
from billwire_shared.errors import ErrorCode, ErrorReply
from billwire_shared.telemetry import request_context

API_PREFIX = "/api/"
_ENCODED_SEPARATOR = re.compile(rb"%(2f|5c)", re.IGNORECASE)


MCP_PREFIX = "/api/mcp"


def unauthorized(message: str, resource_metadata: str = "") -> ApiError:
    """401; for /api/mcp it names the protected-resource metadata (RFC 9728 §5.1), where an MCP
    client that connects only through OAuth finds the authorization server."""
    challenge = f'Bearer realm="billwire", resource_metadata="{resource_metadata}"' if resource_metadata else 'Bearer realm="billwire"'
    return ApiError(ErrorReply(code=ErrorCode.UNAUTHORIZED, message=message), {"WWW-Authenticate": challenge})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def bearer_token(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


async def send_error(send: Send, exc: ApiError) -> None:
    """Answer before routing (no Litestar response exists yet), with the same headers."""
    reply = exc.reply
    body = msgspec.json.encode({"error": {"code": reply.code, "message": reply.message, "details": reply.details}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    # `send` already passes through the app's before_send hook, which adds the common headers.
    await send({"type": "http.response.start", "status": reply.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-Id (trimmed), or a new one, remembered for the whole request."""
    state: dict[str, Any] = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = (_header(scope, b"x-request-id") or "")[:100] or uuid.uuid4().hex
    return state["request_id"]


async def add_response_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: every response, routed or not, carries X-Request-Id (and limits)."""
    if message["type"] == "http.response.start":
        extra = [(b"x-request-id", request_id_of(scope).encode())]
        extra += scope.get("state", {}).get("limit_headers", [])
        headers = list(message.get("headers") or [])
        if scope.get("method") == "OPTIONS" and message["status"] < 300 and "path_template" in scope:
            # Litestar answers OPTIONS with the methods of one controller's handlers only, when
            # several controllers share the path; Allow lists them all.
            allowed = ", ".join(sorted(methods_of(scope["app"], scope["path_template"])))
            headers = [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allowed.encode())]
        message["headers"] = headers + extra


def methods_of(app: Any, path_template: str) -> set[str]:
    """Every method some route handler serves on this path."""
    table: dict[str, set[str]] | None = app.state.get("methods_by_path")
    if table is None:
        table = {}
        for route in app.routes:
            table.setdefault(route.path_format, set()).update(getattr(route, "methods", ()))
        app.state["methods_by_path"] = table
    return table.get(path_template, {"OPTIONS"})


def canonical_path(path: str) -> str:
    """The path with empty and dot segments resolved: `//api/./v1//x/../y` is `/api/v1/y`."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "/" + "/".join(segments) + ("/" if path.endswith("/") and segments else "")


class RequestShape:
    """Outermost, before routing and every middleware: one spelling per path, and a bounded query.

    The server decodes `/%61pi/v1/x` to `/api/v1/x` for routing but keeps the raw bytes, and a
    mounted app (the MCP endpoint) sees only its remainder: a check on either spelling alone
    could be walked around. So the path is resolved once here (empty and dot segments removed,
    raw bytes re-encoded from it) and every later step sees the same `/api/...`. An encoded
    slash or backslash names no Billwire route and is refused outright.
    """

    def __init__(self, app: ASGIApp, max_query_bytes: int) -> None:
        self.app, self.max_query_bytes = app, max_query_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = (scope.get("raw_path") or b"").split(b"?", 1)[0]
            if _ENCODED_SEPARATOR.search(raw):
                await send_error(send, ApiError(ErrorReply(code=ErrorCode.NOT_FOUND, message="No such resource.")))
                return
            path = canonical_path(scope["path"])
            scope["path"], scope["raw_path"] = path, quote(path, safe="/:@!$&'()*+,;=-._~").encode()
            if len(scope.get("query_string") or b"") > self.max_query_bytes:
                await send_error(send, ApiError(ErrorReply(
                    code=ErrorCode.URI_TOO_LONG, message=f"The query string is longer than {self.max_query_bytes} bytes.",
                )))
                return
            with request_context(request_id_of(scope)):  # on every log line written for the request
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def client_address(scope: Scope, trusted_header: str) -> str:
    """Who is calling: the right-most address a trusted proxy put in its header (anything to
    its left the client wrote itself), else the connection's peer."""
    if trusted_header and (value := _header(scope, trusted_header.lower().encode())):
        return value.rsplit(",", 1)[-1].strip()[:64]
    client = scope.get("client")
    return client[0] if client else "unknown"


def address_key(address: str) -> str:
    """A KV-safe key per client address (IPv6 has colons)."""
    return "auth-failures-" + hashlib.sha256(address.encode()).hexdigest()[:32]


def _is_mcp(scope: Scope) -> bool:
    path = (scope.get("raw_path") or b"").decode("latin-1") or scope["path"]
    return path == MCP_PREFIX or path.startswith(MCP_PREFIX + "/")


class ApiGuard:
    """API calls need a valid key with requests left in its rate-limit window. Failed
    authentications count per client address; past the limit an address gets 429 for every
    key this replica has not verified recently, and no lookup is made for it."""

    def __init__(
        self, app: ASGIApp, auth: KeyAuthenticator, limiter: RateLimiter, failures: RateLimiter, address_header: str = "",
        account_limiter: RateLimiter | None = None, resource_metadata: str = "",
    ) -> None:
        self.app, self.auth, self.limiter, self.failures, self.address_header = app, auth, limiter, failures, address_header
        self.account_limiter, self.resource_metadata = account_limiter, resource_metadata

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # raw_path: a mounted app (the MCP endpoint) sees its path with the mount prefix stripped.
        path = (scope.get("raw_path") or b"").decode("latin-1") or scope["path"]
        if scope["type"] == "http" and path.startswith(API_PREFIX):
            request_id_of(scope)
            try:
                await self._admit(scope)
            except ApiError as exc:
                await send_error(send, exc)
                return
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope) -> None:
        token = bearer_token(scope)
        identity = self.auth.cached(token) if token else None
        if identity is None:
            identity = await self._verify(scope, token, self.resource_metadata if _is_mcp(scope) else "")
        allowances = {"key": await self.limiter.hit(str(identity.key_id))}
        if allowances["key"].allowed and self.account_limiter is not None:
            # A request the key's own limit refused is not counted against the account.
            allowances["account"] = await self.account_limiter.hit(f"account-{identity.account_id}")
        scope["state"]["limit_headers"] = [(k.lower().encode(), v.encode()) for k, v in limit_headers(allowances).items()]
        for name, allowance in allowances.items():
            if not allowance.allowed:
                whose = "this API key" if name == "key" else "this account (all its keys together)"
                raise ApiError(ErrorReply(
                    code=ErrorCode.RATE_LIMITED, message=f"Rate limit of {allowance.limit} requests per minute for {whose} reached.",
                ))
        scope["state"]["identity"] = identity

    async def _verify(self, scope: Scope, token: str | None, resource_metadata: str) -> KeyIdentity:
        address = address_key(client_address(scope, self.address_header))
        if (refusal := self.failures.spent(address)) is None:
            identity = await self.auth.identify(token) if token else None
            if identity is not None and identity.found:
                return identity
            refusal = await self.failures.hit(address)
            if refusal.allowed:
                raise unauthorized(
                    "The API key is unknown or revoked." if token else "Send an API key as `Authorization: Bearer bw_...`.", resource_metadata,
                )
        raise ApiError(
            ErrorReply(code=ErrorCode.RATE_LIMITED, message="Too many failed authentications from this address; wait a minute."),
            {"Retry-After": str(refusal.reset)},
        )
