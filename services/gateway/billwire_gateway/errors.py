"""Every failure leaves the gateway as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
import re

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from billwire_gateway.bus import ApiError
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

log = logging.getLogger("billwire.gateway")

# Python names of query parameters whose API name is a keyword or clashes with a builtin.
QUERY_NAMES = {"date_from": "from", "date_to": "to", "doc_type": "type", "on_date": "date"}

_STATUS_CODES = {
    400: ErrorCode.MALFORMED_JSON,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
_CLASS_REPR = re.compile(r"<class '(?:[\w]+\.)*(\w+)'>")


def readable(message: str) -> str:
    """A message for people: a framework's text may quote a Python repr, which says nothing
    to a client and something about the server (`<_io.BytesIO object at 0x...>`)."""
    return _CLASS_REPR.sub(r"\1", _OBJECT_REPR.sub("a value", message))


def error_response(reply: ErrorReply, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": reply.code.value, "message": readable(reply.message), "details": [
        {"field": d.field, "message": readable(d.message)} | ({"rule": d.rule} if d.rule else {}) for d in reply.details
    ]}}
    return Response(body, status_code=reply.http_status, headers=headers)


def on_api_error(_: Request, exc: ApiError) -> Response:
    return error_response(exc.reply, exc.headers)


def _details(exc: ValidationException) -> list[FieldError]:
    details = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or "")
            message = str(item.get("message") or "")
            if item.get("source") == "body" or not key:
                message, key = _msgspec_location(message, "" if key == "data" else key)
            details.append(FieldError(field=QUERY_NAMES.get(key, _named_field(message, key)), message=message))
    return details


def _msgspec_location(message: str, key: str) -> tuple[str, str]:
    """msgspec says "Expected `int`, got `str` - at `$.lines[0].quantity`"; split it."""
    match = re.match(r"^(.*) - at `\$\.?(.*)`$", message)
    if match:
        return match.group(1), match.group(2) or key
    return message, key


def _named_field(message: str, path: str) -> str:
    """For "unknown field `x`" or "missing required field `x`", the field is x under the path."""
    match = re.search(r"field `([^`]+)`", message)
    if match and ("unknown field" in message or "missing required field" in message):
        return f"{path}.{match.group(1)}" if path else match.group(1)
    return path


def on_validation_error(request: Request, exc: ValidationException) -> Response:
    details = _details(exc)
    text = f"{exc.detail} " + " ".join(d.message for d in details)
    if "JSON" in text and ("malformed" in text.lower() or "invalid json" in text.lower() or "decode" in text.lower()):
        return error_response(ErrorReply(code=ErrorCode.MALFORMED_JSON, message="The body is not valid JSON.", details=details))
    return error_response(ErrorReply(
        code=ErrorCode.VALIDATION_ERROR,
        message="The request has invalid fields." if details else str(exc.detail),
        details=details,
    ))


def on_http_error(_: Request, exc: HTTPException) -> Response:
    code = _STATUS_CODES.get(exc.status_code, ErrorCode.VALIDATION_ERROR if exc.status_code < 500 else ErrorCode.INTERNAL_ERROR)
    if code == ErrorCode.MALFORMED_JSON and "JSON" not in str(exc.detail):
        code = ErrorCode.MALFORMED_REQUEST  # e.g. an unreadable multipart body
    headers = dict(exc.headers or {})
    return error_response(ErrorReply(code=code, message=str(exc.detail), status=exc.status_code), headers)


def on_not_found(_: Request, exc: NotFoundException) -> Response:
    return error_response(ErrorReply(code=ErrorCode.NOT_FOUND, message="No such resource."))


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ErrorReply(
        code=ErrorCode.INTERNAL_ERROR, message="Internal error; it has been logged.", status=HTTP_500_INTERNAL_SERVER_ERROR
    ))


EXCEPTION_HANDLERS = {
    ApiError: on_api_error,
    ValidationException: on_validation_error,
    NotFoundException: on_not_found,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
