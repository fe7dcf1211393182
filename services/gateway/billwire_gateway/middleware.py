"""Request ids, bearer-key authentication and per-key rate limits for `/api/` routes."""

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
    reply = exc.reply
    body = msgspec.json.encode({"error": {"code": reply.code, "message": reply.message, "details": reply.details}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    await send({"type": "http.response.start", "status": reply.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ApiGuard:
    """Outermost middleware: every response gets X-Request-Id; API calls need a valid key."""

    def __init__(self, app: ASGIApp, auth: KeyAuthenticator, limiter: RateLimiter) -> None:
        self.app, self.auth, self.limiter = app, auth, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (_header(scope, b"x-request-id") or "")[:100] or uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        extra = [(b"x-request-id", request_id.encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers") or []) + extra
            await send(message)

        if scope["path"].startswith(API_PREFIX):
            try:
                await self._admit(scope, state, extra)
            except ApiError as exc:
                await send_error(send_with_headers, exc)
                return
        await self.app(scope, receive, send_with_headers)

    async def _admit(self, scope: Scope, state: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
        token = bearer_token(scope)
        if not token:
            raise unauthorized("Send an API key as `Authorization: Bearer bw_...`.")
        identity = await self.auth.identify(token)
        if not identity.found:
            raise unauthorized("The API key is unknown or revoked.")
        allowance = await self.limiter.hit(str(identity.key_id))
        extra.extend((k.lower().encode(), v.encode()) for k, v in allowance.headers().items())
        if not allowance.allowed:
            raise ApiError(
                ErrorReply(code=ErrorCode.RATE_LIMITED, message=f"Rate limit of {allowance.limit} requests per minute reached.")
            )
        state["identity"] = identity
