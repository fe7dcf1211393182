"""OpenAPI: document Billwire's error body on every API operation instead of Litestar's default."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType

from billwire_shared.errors import ErrorCode

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message", "details"],
            properties={
                "code": Schema(type=OpenAPIType.STRING, enum=[c.value for c in ErrorCode]),
                "message": Schema(type=OpenAPIType.STRING),
                "details": Schema(
                    type=OpenAPIType.ARRAY,
                    items=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["field", "message"],
                        properties={"field": Schema(type=OpenAPIType.STRING), "message": Schema(type=OpenAPIType.STRING)},
                    ),
                ),
            },
        )
    },
)

API_ERRORS = {
    "400": "Malformed JSON (MALFORMED_JSON)",
    "401": "Missing, unknown or revoked API key (UNAUTHORIZED)",
    "403": "The key lacks the scope this operation needs (FORBIDDEN)",
    "404": "No such resource in this account",
    "409": "Conflicts with the current state, e.g. DOCUMENT_FINALIZED",
    "413": "Body over the size limit (BODY_TOO_LARGE)",
    "422": "Invalid fields, each named in `details` (VALIDATION_ERROR, IDEMPOTENCY_KEY_REUSED, ...)",
    "429": "Rate limit reached (RATE_LIMITED); see Retry-After",
    "503": "A service is not answering (SERVICE_UNAVAILABLE), or PDFs cannot be printed for want of a browser"
           " (RENDERER_UNAVAILABLE, the message names the fix); see Retry-After",
}


def document_errors(app: Litestar) -> None:
    """on_startup hook: give every /api operation the error responses it can return."""
    openapi = app.openapi_schema
    reference = Reference(ref="#/components/schemas/Error")
    for path, item in (openapi.paths or {}).items():
        if not path.startswith("/api/"):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            for status, description in API_ERRORS.items():
                responses[status] = OpenAPIResponse(
                    description=description, content={"application/json": OpenAPIMediaType(schema=reference)}
                )
            operation.responses = responses
    if openapi.components.schemas is not None:
        openapi.components.schemas["Error"] = ERROR_SCHEMA
