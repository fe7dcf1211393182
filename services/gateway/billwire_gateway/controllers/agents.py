"""`/llms.txt` and `/llms-full.txt`: Billwire described for an AI agent, built on each request from
the gateway's own OpenAPI document and MCP tool list, so the text never names a route or tool
that does not exist and never misses one that does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Litestar, Request, Response, get
from litestar.routes import HTTPRoute

from billwire_gateway.strict import check_request
from billwire_shared import __version__

METHODS = ("get", "post", "put", "patch", "delete")
TEXT = "text/plain"  # Litestar adds "; charset=utf-8"


@dataclass(frozen=True)
class FlowStep:
    """One step of a main flow: a call with a body an agent can send as it stands (`<...>`
    placeholders in the path are ids from the step before)."""

    title: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    note: str = ""


@dataclass(frozen=True)
class ToolInfo:
    name: str
    description: str
    scope: str


FLOWS = (
    FlowStep("Complete the company profile (once)", "PATCH", "/api/v1/settings/profile", {
        "company_name": "Acme GmbH", "email": "billing@acme.example", "vat_id": "DE136695976",
        "address": {"street": "Alexanderplatz 1", "zip": "10178", "city": "Berlin", "country": "DE"},
        "bank": {"account_holder": "Acme GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    }, "Needs an `admin` key. Finalizing needs the seller's address and VAT id or tax number."),
    FlowStep("Create a client", "POST", "/api/v1/clients", {
        "name": "Globex GmbH", "email": "billing@globex.example", "currency": "EUR", "language": "en",
        "address": {"street": "Hauptstrasse 1", "zip": "10115", "city": "Berlin", "country": "DE"},
    }, "The answer's `id` is the client id."),
    FlowStep("Create a draft invoice", "POST", "/api/v1/invoices", {
        "client_id": "<client id>", "currency": "EUR", "due_days": 14,
        "lines": [{"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150.00", "tax_rate": "19"}],
    }, "Money is a decimal string. The answer's `id` is the document id; totals are computed."),
    FlowStep("Finalize (issue) it", "POST", "/api/v1/invoices/{document_id}/finalize", None,
             "No body. Gives the invoice the next number of its series; it cannot be edited afterwards."),
    FlowStep("Send it by e-mail", "POST", "/api/v1/invoices/{document_id}/send", {"recipient": "billing@globex.example"},
             "Needs the `write` and `email:send` scopes; `?wait=30` waits for the outcome."),
    FlowStep("Record a payment", "POST", "/api/v1/invoices/{invoice_id}/payments",
             {"amount": "1785.00", "method": "bank_transfer", "reference": "Globex transfer"},
             "Partial payments are allowed, overpayment is refused."),
    FlowStep("Download the PDF", "GET", "/api/v1/invoices/{document_id}/pdf", None,
             "`?disposition=attachment` for a download."),
)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation in the OpenAPI document, in its order."""
    return [
        (method.upper(), path, operation)
        for path, item in (spec.get("paths") or {}).items()
        for method, operation in item.items()
        if method in METHODS
    ]


def build_llms_txt(base_url: str, spec: dict[str, Any], tools: list[ToolInfo]) -> str:
    """The short index: what Billwire is, how to authenticate, the main flows and where the rest is."""
    flows = "\n".join(f"- {step.title}: `{step.method} {step.path}`" for step in FLOWS)
    return f"""# Billwire

> {spec.get("info", {}).get("description") or "Agent-first invoicing."} Self-hostable invoicing for
> freelancers and small companies: clients, products, invoices and other documents, payments,
> sending by e-mail, PDFs and e-invoices. Version {__version__}.

Base URL: {base_url}
REST API: {base_url}/api/v1 (every call needs `Authorization: Bearer bw_...`)
MCP endpoint: {base_url}/api/mcp (streamable HTTP, same keys; {len(tools)} tools)

## Main flows
{flows}

## Docs
- [Full description for agents]({base_url}/llms-full.txt): every operation with its scope, the flows with example bodies, every MCP tool
- [OpenAPI document]({base_url}/schema/openapi.json): the {len(operations(spec))} operations with their request and response schemas
- [API reference]({base_url}/schema)
- [MCP discovery]({base_url}/.well-known/mcp.json)
"""


def build_llms_full_txt(
    base_url: str, spec: dict[str, Any], scopes: dict[tuple[str, str], tuple[str, ...]], tools: list[ToolInfo],
) -> str:
    """Everything an agent needs to work without reading the OpenAPI document first."""
    security = (spec.get("components", {}).get("securitySchemes", {}).get("bearer") or {}).get("description", "")
    parts = [build_llms_txt(base_url, spec, tools), "\n## Authentication\n\n",
             "Send an API key on every REST and MCP call: `Authorization: Bearer bw_...`. Keys are created in the"
             " web app (Settings, API keys) or with `POST /api/v1/settings/api-keys` by an `admin` key.\n",
             "\n" + security + "\n" if security else "",
             "\n## Conventions\n\n",
             "- JSON bodies; money and quantities are decimal strings (\"150.00\"), dates ISO 8601 (\"2026-12-31\").\n"
             "- Errors: `{\"error\": {\"code\": \"VALIDATION_ERROR\", \"message\": \"...\", \"details\": [{\"field\": \"lines[0].unit_price\","
             " \"message\": \"...\"}]}}`; 401 missing key, 403 missing scope, 404 not in this account, 409 wrong state,"
             " 422 invalid fields (all of them at once, each named), 429 rate limited (see `Retry-After`) or a quota used up.\n"
             "- A query parameter the route does not take is a 400 `UNKNOWN_QUERY_PARAMETER` naming it: never guess a name.\n"
             "- Limits: per key and per account, per minute; `RateLimit` / `RateLimit-Policy` (IETF) and `X-RateLimit-*`"
             " (reset as a Unix time) on every answer. `GET /api/v1/usage`: documents this month and e-mails today against"
             " their quotas.\n"
             "- Idempotency: every POST, PATCH and DELETE accepts an `Idempotency-Key` header; a replay returns the first"
             " answer and changes nothing, the same key with another request gets 422 `IDEMPOTENCY_KEY_REUSED`.\n"
             "- Lists take `limit` and `offset`.\n",
             "\n## Main flows, with example bodies\n\n"]
    for number, step in enumerate(FLOWS, 1):
        parts.append(f"{number}. {step.title}: `{step.method} {step.path}`. {step.note}\n")
        if step.body is not None:
            parts.append(f"   Body: `{json.dumps(step.body)}`\n")
    parts.append(f"\n## REST operations ({base_url}/api/v1)\n\n")
    for method, path, operation in operations(spec):
        needed = scopes.get((method, path))
        scope = f" [scope: {' + '.join(needed)}]" if needed else " [no key]"
        parts.append(f"- `{method} {path}`{scope}: {operation.get('summary') or operation.get('description') or ''}\n")
    parts.append(f"\n## MCP tools ({base_url}/api/mcp)\n\n"
                 "Irreversible tools (finalize, send, cancel, mark unpaid) answer with a preview unless called with"
                 " `confirm: true` and the `expected_total`: the number, recipients, subject, attachments, total and"
                 " `blocking_problems` (every reason the confirmed call would be refused; show them to the person"
                 " first). Money is a decimal string or a number; an unknown argument is an error naming it. Write"
                 " tools take an `idempotency_key`. A key is listed only the tools its scopes allow. Resources:"
                 " `billwire://documents/{id}` (JSON) and `billwire://documents/{id}/pdf`.\n\n")
    for tool in tools:
        description = " ".join(tool.description.split())
        parts.append(f"- `{tool.name}` [scope: {tool.scope}]: {description}\n")
    return "".join(parts)


def operation_scopes(app: Litestar) -> dict[tuple[str, str], tuple[str, ...]]:
    """The scopes each /api/v1 operation needs, as the `require_scope` guard reads them from the
    route's options (GETs `read`, writes `write`, unless the route names others)."""
    scopes: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/v1"):
            continue
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            for method in handler.http_methods:
                default = "read" if method in ("GET", "HEAD") else "write"
                scopes[(method, path)] = tuple(handler.opt.get("scopes") or (handler.opt.get("scope") or default,))
    return scopes


async def tool_list(request: Request) -> list[ToolInfo]:
    """Every MCP tool with its description and the scopes a key needs to be listed it."""
    mcp = await request.app.state.gateway.mcp()
    tools = []
    for tool in await mcp.list_tools():
        needed = mcp.tool_scopes.get(tool.name, "read")
        scope = needed if isinstance(needed, str) else " + ".join(needed)
        tools.append(ToolInfo(tool.name, tool.description or "", scope))
    return tools


class AgentsController(Controller):
    """Public (no key): the text is the same for everyone and names no account data."""

    include_in_schema = False
    before_request = check_request

    @get("/llms.txt", media_type=TEXT)
    async def llms_txt(self, request: Request) -> Response[str]:
        base_url = str(request.base_url).rstrip("/")
        return Response(build_llms_txt(base_url, request.app.openapi_schema.to_schema(), await tool_list(request)), media_type=TEXT)

    @get("/llms-full.txt", media_type=TEXT)
    async def llms_full_txt(self, request: Request) -> Response[str]:
        base_url = str(request.base_url).rstrip("/")
        text = build_llms_full_txt(
            base_url, request.app.openapi_schema.to_schema(), operation_scopes(request.app), await tool_list(request),
        )
        return Response(text, media_type=TEXT)
