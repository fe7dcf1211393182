"""Money in tool arguments taken from its decimal text, never through a float: the MCP SDK parses
a request's JSON with floats, so before it does, every non-integer number in the arguments of a
`tools/call` is rewritten to the string of exactly the digits the agent sent (150.10 arrives as
"150.10"), which the tools decode as Decimal. Integers, and numbers anywhere else, stay as sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_ENCODER = msgspec.json.Encoder(decimal_format="number")  # numbers outside the arguments stay numbers, digit for digit


def _has_decimal(value: Any) -> bool:
    if isinstance(value, Decimal):
        return True
    if isinstance(value, dict):
        return any(_has_decimal(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_decimal(item) for item in value)
    return False


def _as_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {key: _as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    return value


def exact_arguments(body: bytes) -> bytes:
    """The JSON-RPC body with the decimals of every tools/call's arguments as strings; any
    other body (not JSON, no decimal number in the arguments) unchanged, byte for byte."""
    if b"." not in body and b"e" not in body.lower():
        return body
    try:
        decoded = _DECODER.decode(body)
    except msgspec.DecodeError:
        return body
    messages = decoded if isinstance(decoded, list) else [decoded]
    changed = False
    for message in messages:
        params = message.get("params") if isinstance(message, dict) and message.get("method") == "tools/call" else None
        if isinstance(params, dict) and isinstance(params.get("arguments"), dict) and _has_decimal(params["arguments"]):
            params["arguments"] = _as_text(params["arguments"])
            changed = True
    return _ENCODER.encode(decoded) if changed else body


class ExactNumbers:
    """ASGI wrapper of the MCP app that applies `exact_arguments` to each POST body (up to
    `max_bytes`; a larger body passes unchanged and meets the SDK's own limits)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more and size <= self.max_bytes:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not more and size <= self.max_bytes:
            exact = exact_arguments(body)
            if exact is not body:  # only a body with a decimal number in a tool's arguments is rewritten
                body = exact
                headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
                scope = dict(scope, headers=[*headers, (b"content-length", str(len(body)).encode())])
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}

        await self.app(scope, replay, send)
