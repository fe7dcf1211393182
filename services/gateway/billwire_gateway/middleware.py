"""Request ids on every response; bearer-key authentication and per-key rate limits on `/api/`."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from billwire_gateway.bus import ApiError
from billwire_gateway.security import KeyAuthenticator, RateLimiter
from billwire_shared.errors import ErrorCode, ErrorReply

API_PREFIX = "/api/"


def unauthorized(message: str) -> ApiError:
    return ApiError(ErrorReply(code=ErrorCode.UNAUTHORIZED, message=message), {"WWW-Authenticate": 'Bearer realm="billwire"'})


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
        message["headers"] = list(message.get("headers") or []) + extra


class ApiGuard:
    """API calls need a valid key with requests left in its rate-limit window."""

    def __init__(self, app: ASGIApp, auth: KeyAuthenticator, limiter: RateLimiter) -> None:
        self.app, self.auth, self.limiter = app, auth, limiter

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
        if not token:
            raise unauthorized("Send an API key as `Authorization: Bearer bw_...`.")
        identity = await self.auth.identify(token)
        if not identity.found:
            raise unauthorized("The API key is unknown or revoked.")
        allowance = await self.limiter.hit(str(identity.key_id))
        scope["state"]["limit_headers"] = [(k.lower().encode(), v.encode()) for k, v in allowance.headers().items()]
        if not allowance.allowed:
            raise ApiError(
                ErrorReply(code=ErrorCode.RATE_LIMITED, message=f"Rate limit of {allowance.limit} requests per minute reached.")
            )
        scope["state"]["identity"] = identity
