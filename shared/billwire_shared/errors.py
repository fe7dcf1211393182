"""Error contract: stable codes, their HTTP status, and the typed error that crosses the bus."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import msgspec

T = TypeVar("T")


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    MALFORMED_JSON = "MALFORMED_JSON"
    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    URI_TOO_LONG = "URI_TOO_LONG"
    UNKNOWN_QUERY_PARAMETER = "UNKNOWN_QUERY_PARAMETER"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CLIENT_NOT_FOUND = "CLIENT_NOT_FOUND"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    API_KEY_NOT_FOUND = "API_KEY_NOT_FOUND"
    CLIENT_NUMBER_TAKEN = "CLIENT_NUMBER_TAKEN"
    DOCUMENT_FINALIZED = "DOCUMENT_FINALIZED"
    DOCUMENT_NUMBER_TAKEN = "DOCUMENT_NUMBER_TAKEN"
    DOCUMENT_INCOMPLETE = "DOCUMENT_INCOMPLETE"
    EINVOICE_INVALID = "EINVOICE_INVALID"
    INVALID_DOCUMENT_STATE = "INVALID_DOCUMENT_STATE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATE_LIMITED = "RATE_LIMITED"
    EMAIL_QUOTA_EXCEEDED = "EMAIL_QUOTA_EXCEEDED"
    DOCUMENT_QUOTA_EXCEEDED = "DOCUMENT_QUOTA_EXCEEDED"
    API_KEY_LIMIT_REACHED = "API_KEY_LIMIT_REACHED"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    RENDERER_UNAVAILABLE = "RENDERER_UNAVAILABLE"  # no usable Chromium: PDFs cannot be printed until one is installed
    DOCUMENT_TOO_LONG = "DOCUMENT_TOO_LONG"  # its PDF would print on more pages than a PDF may have
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"  # the key's policy holds this action for a person's approval
    APPROVAL_NOT_PENDING = "APPROVAL_NOT_PENDING"  # already decided, or expired
    INTERNAL_ERROR = "INTERNAL_ERROR"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.MALFORMED_REQUEST: 400,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.URI_TOO_LONG: 414,
    ErrorCode.UNKNOWN_QUERY_PARAMETER: 400,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CLIENT_NOT_FOUND: 404,
    ErrorCode.PRODUCT_NOT_FOUND: 404,
    ErrorCode.DOCUMENT_NOT_FOUND: 404,
    ErrorCode.API_KEY_NOT_FOUND: 404,
    ErrorCode.CLIENT_NUMBER_TAKEN: 409,
    ErrorCode.DOCUMENT_FINALIZED: 409,
    ErrorCode.DOCUMENT_NUMBER_TAKEN: 409,
    ErrorCode.DOCUMENT_INCOMPLETE: 422,
    ErrorCode.EINVOICE_INVALID: 422,
    ErrorCode.INVALID_DOCUMENT_STATE: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.EMAIL_QUOTA_EXCEEDED: 429,
    ErrorCode.DOCUMENT_QUOTA_EXCEEDED: 429,
    ErrorCode.API_KEY_LIMIT_REACHED: 409,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.RENDERER_UNAVAILABLE: 503,
    ErrorCode.DOCUMENT_TOO_LONG: 422,
    ErrorCode.APPROVAL_REQUIRED: 403,
    ErrorCode.APPROVAL_NOT_PENDING: 409,
    ErrorCode.INTERNAL_ERROR: 500,
}


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    field: str
    message: str
    rule: str | None = None  # the business rule that failed (e-invoice validation: BR-DE-15, BR-CO-15, ...)


class ErrorReply(msgspec.Struct, kw_only=True):
    """What a service answers instead of its result; the gateway turns it into HTTP."""

    code: ErrorCode
    message: str
    details: list[FieldError] = []
    status: int = 0

    @property
    def http_status(self) -> int:
        return self.status or HTTP_STATUS.get(self.code, 500)


class BillwireError(Exception):
    """A domain failure that the caller can act on (never a bug)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        details: list[FieldError] | None = None,
        status: int = 0,
    ) -> None:
        super().__init__(message)
        self.reply = ErrorReply(code=code, message=message, details=details or [], status=status)


def invalid(details: list[FieldError], message: str = "The request has invalid fields.") -> BillwireError:
    return BillwireError(ErrorCode.VALIDATION_ERROR, message, details)


def not_found(code: ErrorCode, what: str, id_: object) -> BillwireError:
    return BillwireError(code, f"{what} {id_} was not found.")


def found(item: T | None, code: ErrorCode, what: str, id_: object) -> T:
    """`item` from a lookup, or the not-found error naming it when the lookup found nothing
    (another account's rows are never found, so this is also the isolation answer)."""
    if item is None:
        raise not_found(code, what, id_)
    return item


# Reply header that marks an ErrorReply on the bus.
ERROR_HEADER = "billwire-error"
