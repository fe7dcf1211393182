"""Strict input, checked before a handler runs: exact JSON types (no "30" for 30), no empty
or malformed bodies, and no NUL characters anywhere (Postgres cannot store them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType

from billwire_gateway.bus import ApiError
from billwire_shared.bus import field_error
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
_decoders: dict[int, tuple[msgspec.json.Decoder, bool] | None] = {}


def _decoder(request: Request) -> tuple[msgspec.json.Decoder, bool] | None:
    """The handler's strict body decoder, and whether it may go without a body."""
    handler = request.route_handler
    key = id(handler)
    if key not in _decoders:
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is not None and not _json_body(data):
            data = None  # a multipart or form body is checked by its handler
        _decoders[key] = (msgspec.json.Decoder(data.annotation, strict=True), data.is_optional) if data is not None else None
    return _decoders[key]


def _json_body(data: Any) -> bool:
    media_type = getattr(getattr(data, "kwarg_definition", None), "media_type", None)
    return media_type in (None, RequestEncodingType.JSON, "application/json")


def malformed(message: str) -> ApiError:
    return ApiError(ErrorReply(code=ErrorCode.MALFORMED_JSON, message=message))


def invalid(field: str, message: str) -> ApiError:
    return ApiError(ErrorReply(
        code=ErrorCode.VALIDATION_ERROR, message="The request has invalid fields.",
        details=[FieldError(field=field, message=message)],
    ))


def nul_path(value: Any, path: str = "") -> str | None:
    """Where in decoded JSON a string (or key) holds a NUL character."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if "\x00" in key:
                return where
            if (found := nul_path(item, where)) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := nul_path(item, f"{path}[{index}]")) is not None:
                return found
    return None


def _ensure_json(body: bytes) -> None:
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise malformed(f"The body is not valid JSON: {exc}") from exc


async def check_request(request: Request) -> None:
    """`before_request` hook for every API route."""
    query = request.scope.get("query_string", b"")
    if b"%00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in value or "\x00" in name:
                raise invalid(name, "must not contain a NUL character")
    if request.method not in WRITE_METHODS or (found := _decoder(request)) is None:
        return
    decoder, optional = found
    body = await request.body()
    if not body.strip():
        if optional:
            return
        raise malformed("The body is empty; send a JSON object.")
    try:
        decoder.decode(body)
    except msgspec.ValidationError as exc:
        _ensure_json(body)  # the typed decoder may stop at a wrong type before a syntax error
        error = field_error(exc, drop_root=False)
        raise invalid(error.field, error.message) from exc
    except msgspec.DecodeError as exc:
        raise malformed(f"The body is not valid JSON: {exc}") from exc
    if b"\\u0000" in body and (path := nul_path(msgspec.json.decode(body))) is not None:
        raise invalid(path, "must not contain a NUL character")
