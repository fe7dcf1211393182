"""Strict input, checked before a handler runs: a JSON media type, exact JSON types (no "30"
for 30), no empty, malformed, non-UTF-8 or absurdly nested bodies, and no NUL characters
anywhere (Postgres cannot store them)."""

from __future__ import annotations

import re
import weakref
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType

from billwire_gateway.body_errors import every_problem
from billwire_gateway.bus import ApiError
from billwire_gateway.decimal_text import decimal_problems, integral_body
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError
from billwire_shared.field_errors import field_error

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Query parameters that are a date and time: Litestar would also read a number ("0.5") as seconds
# since 1970, which the OpenAPI document (format date-time) does not allow.
DATETIME_QUERY = frozenset({"updated_since"})
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
# By the handler itself, not its id(): a process that builds apps and drops them (the tests) reuses
# ids, and a later handler then found an earlier one's decoder (PATCH /settings/profile refused
# every field as unknown with a webhook's body type).
_decoders: weakref.WeakKeyDictionary[Any, tuple[msgspec.json.Decoder, bool] | None] = weakref.WeakKeyDictionary()


def _decoder(request: Request) -> tuple[msgspec.json.Decoder, bool] | None:
    """The handler's strict body decoder, and whether it may go without a body."""
    handler = request.route_handler
    if handler not in _decoders:
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is not None and not _json_body(data):
            data = None  # a multipart or form body is checked by its handler
        _decoders[handler] = (msgspec.json.Decoder(data.annotation, strict=True), data.is_optional) if data is not None else None
    return _decoders[handler]


def _json_body(data: Any) -> bool:
    return _media_type(data) in (None, RequestEncodingType.JSON, "application/json")


def _media_type(data: Any) -> Any:
    return getattr(getattr(data, "kwarg_definition", None), "media_type", None)


def _takes_multipart(request: Request) -> bool:
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    return data is not None and _media_type(data) == RequestEncodingType.MULTI_PART


def malformed(message: str) -> ApiError:
    return ApiError(ErrorReply(code=ErrorCode.MALFORMED_JSON, message=message))


def unsupported_media_type(media_type: str, expected: str = "application/json") -> ApiError:
    shown = f"`{media_type[:60]}`" if media_type and media_type[:60].isprintable() else "none"
    return ApiError(ErrorReply(
        code=ErrorCode.UNSUPPORTED_MEDIA_TYPE, message=f"Send the body as `Content-Type: {expected}` (got {shown}).",
    ))


def is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def invalid(field: str, message: str) -> ApiError:
    return invalid_fields([FieldError(field=field, message=message)])


def invalid_fields(details: list[FieldError]) -> ApiError:
    return ApiError(ErrorReply(code=ErrorCode.VALIDATION_ERROR, message="The request has invalid fields.", details=details))


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


def _decode_strictly(decoder: msgspec.json.Decoder, body: bytes) -> None:
    """Decode once; broken bytes and runaway nesting are the client's mistake, a 400."""
    try:
        decoder.decode(body)
    except msgspec.ValidationError as exc:
        _ensure_json(body)
        if (whole := integral_body(decoder.type, body)) is not None:
            try:  # 349.0 where a whole number goes is 349, as JSON Schema's `integer` says
                decoder.decode(whole)
                return
            except msgspec.ValidationError:
                pass  # the typed decoder may stop at a wrong type before a syntax error
        error = field_error(exc, drop_root=False)
        raise invalid_fields(every_problem(decoder.type, body) or [error]) from exc
    except msgspec.DecodeError as exc:
        raise malformed(f"The body is not valid JSON: {exc}") from exc


def _check_body(decoder: msgspec.json.Decoder, body: bytes) -> None:
    try:
        _decode_strictly(decoder, body)
        if problems := decimal_problems(decoder.type, body):
            raise invalid_fields(problems)
    except UnicodeDecodeError as exc:
        raise malformed(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    except RecursionError:
        raise malformed("The body nests arrays or objects too deeply.") from None


def query_names(request: Request) -> frozenset[str]:
    """The query parameters the route's handler and its dependencies take (by their API names)."""
    table: dict[int, frozenset[str]] | None = request.app.state.get("query_names")
    if table is None:
        table = {}
        for route in request.app.routes:
            for handler, kwargs_model in getattr(route, "route_handler_map", {}).values():
                table[id(handler)] = frozenset(p.field_alias for p in kwargs_model.expected_query_params)
        request.app.state["query_names"] = table
    return table.get(id(request.route_handler), frozenset())


def check_query(request: Request) -> None:
    """Unknown query parameters are refused, each named: ignoring `?clientId=` would list every
    client's documents to a caller who asked for one client's, and act on the wrong data."""
    query = request.scope.get("query_string", b"")
    if not query:
        return
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if b"%00" in query:
        for name, value in pairs:
            if "\x00" in value or "\x00" in name:
                raise invalid(name, "must not contain a NUL character")
    for name, value in pairs:
        if name in DATETIME_QUERY and RFC3339.fullmatch(value) is None:
            raise invalid(name, "must be a date and time as in RFC 3339, e.g. 2026-12-04T10:00:00Z")
    known = query_names(request)
    names = [name for name, _ in pairs]
    if repeated := sorted({name for name in names if names.count(name) > 1 and name in known}):
        # No parameter takes a list: `?type=a&type=b` would be read as one of them, silently.
        raise invalid_fields([FieldError(field=name, message="given more than once; give it once") for name in repeated])
    unknown = list(dict.fromkeys(name for name, _ in pairs if name not in known))
    if unknown:
        allowed = ", ".join(f"`{name}`" for name in sorted(known)) or "none"
        raise ApiError(ErrorReply(
            code=ErrorCode.UNKNOWN_QUERY_PARAMETER,
            message=f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. This route takes {allowed}.",
            details=[FieldError(field=name, message="unknown query parameter") for name in unknown],
        ))


async def check_request(request: Request) -> None:
    """`before_request` hook for every API route. OPTIONS reads nothing, so its query is not
    checked: it answers the path's methods whatever query the request it asks about carries."""
    if request.method == "OPTIONS":
        return
    check_query(request)
    if request.method not in WRITE_METHODS:
        return
    if _takes_multipart(request) and request.content_type[0] != RequestEncodingType.MULTI_PART:
        raise unsupported_media_type(request.headers.get("content-type", ""), RequestEncodingType.MULTI_PART)
    if (found := _decoder(request)) is None:
        return
    decoder, optional = found
    body = await request.body()
    if not body.strip():
        if optional:
            return
        raise malformed("The body is empty; send a JSON object.")
    content_type = request.headers.get("content-type", "")
    if not is_json_media_type(content_type):
        raise unsupported_media_type(content_type)
    _check_body(decoder, body)
    if b"\\u0000" in body and (path := nul_path(msgspec.json.decode(body))) is not None:
        raise invalid(path, "must not contain a NUL character")
