"""OpenAPI: document Billwire's error body on every API operation instead of Litestar's default,
and link what a POST makes to where it then lives."""

from __future__ import annotations

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Reference, Schema, SecurityScheme
from litestar.openapi.spec.enums import OpenAPIType

from billwire_gateway.examples import add_examples
from billwire_gateway.openapi_inputs import describe_inputs, describe_uploads, pin_invoice_type
from billwire_gateway.openapi_links import link_created_resources
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
    "400": "Malformed JSON (MALFORMED_JSON), or query parameters the operation does not take, each named (UNKNOWN_QUERY_PARAMETER)",
    "401": "Missing, unknown or revoked API key (UNAUTHORIZED)",
    "403": "The key lacks the scope this operation needs (FORBIDDEN)",
    "404": "No such resource in this account",
    "409": "Conflicts with the current state, e.g. DOCUMENT_FINALIZED",
    "413": "Body over the size limit (BODY_TOO_LARGE)",
    "414": "Query string over the limit (URI_TOO_LONG)",
    "415": "A body in another media type than the operation takes (UNSUPPORTED_MEDIA_TYPE)",
    "422": "Invalid fields, each named in `details` (VALIDATION_ERROR, IDEMPOTENCY_KEY_REUSED, ...), or a PDF over the page"
           " limit (DOCUMENT_TOO_LONG)",
    "429": "Rate limit reached (RATE_LIMITED); see Retry-After",
    "503": "A service is not answering (SERVICE_UNAVAILABLE), or PDFs cannot be printed for want of a browser"
           " (RENDERER_UNAVAILABLE, the message names the fix); see Retry-After",
}


SCOPES = """API keys carry scopes:

| Scope | Allows |
| --- | --- |
| `read` | every GET |
| `write` | every POST, PUT, PATCH and DELETE not listed below |
| `email:send` | with `write`: sending a document (`POST .../send`; a draft is finalized by it) |
| `admin` | everything, including API keys, users and webhooks (reading them too) |

MCP tools need the same scopes as the REST call they make; a write tool's preview is read
under that tool's scope, so it needs no `read` besides."""


class _FinishedOpenAPI(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, whose document gets our error responses and request examples
    when it is built: when first read (the schema pages, /llms.txt), not at start, where it took
    about 1.5 s of a busy gateway's start and kept 3.6 MB for pages few open."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        openapi = super()._build_openapi()
        document_errors(openapi)
        link_created_resources(openapi)
        add_examples(openapi)
        return openapi


def finish_openapi_when_built(app: Litestar) -> None:
    """The app's OpenAPI plugin (Litestar makes it) becomes `_FinishedOpenAPI`: same slots, so it
    keeps the routes it has collected; Litestar has no hook for a built document."""
    app.plugins.get(OpenAPIPlugin).__class__ = _FinishedOpenAPI


def document_errors(openapi: OpenAPI) -> None:
    """Give every /api operation the error responses it can return, and the bearer scheme the
    scope table."""
    schemes = openapi.components.security_schemes or {}
    if isinstance(schemes.get("bearer"), SecurityScheme):
        schemes["bearer"].description = SCOPES
    reference = Reference(ref="#/components/schemas/Error")
    for path, item in (openapi.paths or {}).items():
        if not path.startswith("/api/"):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            if isinstance(no_content := responses.get("204"), OpenAPIResponse):
                no_content.content = None  # a 204 has no body (a `Response[None]` handler is documented with one)
            for status, description in API_ERRORS.items():
                responses[status] = OpenAPIResponse(
                    description=description, content={"application/json": OpenAPIMediaType(schema=reference)}
                )
            operation.responses = responses
    if openapi.components.schemas is not None:
        openapi.components.schemas["Error"] = ERROR_SCHEMA
    describe_inputs(openapi)
    describe_uploads(openapi)
    pin_invoice_type(openapi)
