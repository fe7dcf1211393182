"""What every area's MCP tools are declared with: the server that lists each key only the tools
its scopes allow, the `tool` decorator with the tool's annotations and scope, one bus call as the
key behind the request, and arguments checked exactly as REST bodies are."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypedDict
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from billwire_gateway.bus import ApiError, Bus
from billwire_shared.contracts.accounts import KeyIdentity
from billwire_shared.contracts.common import Caller

READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
UPDATE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
IRREVERSIBLE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False)
SCOPES = {id(READ): "read", id(WRITE): "write", id(UPDATE): "write", id(IRREVERSIBLE): "write"}
Scopes = str | tuple[str, ...]  # one scope, or several that are all needed


def allows(identity: KeyIdentity, scopes: Scopes) -> bool:
    needed = (scopes,) if isinstance(scopes, str) else scopes
    return "admin" in identity.scopes or all(scope in identity.scopes for scope in needed)


def lacking(identity: KeyIdentity, scopes: Scopes) -> str:
    needed = (scopes,) if isinstance(scopes, str) else scopes
    return " and ".join(f"`{scope}`" for scope in needed if scope not in identity.scopes)


class Result(TypedDict):
    """A tool's answer: the result, or for an unconfirmed irreversible tool the preview."""

    result: Any


class BillwireMCP(MCPServer):
    """Lists to each key only the tools its scopes allow."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.tool_scopes: dict[str, Scopes] = {}  # tool name -> the scopes a key needs to see and call it

    async def _handle_list_tools(self, ctx, params):  # type: ignore[override]
        listed = await super()._handle_list_tools(ctx, params)
        identity = identity_of(ctx.request)
        allowed = [t for t in listed.tools if allows(identity, self.tool_scopes.get(t.name, "read"))]
        return listed.model_copy(update={"tools": allowed})


def identity_of(request: Any) -> KeyIdentity:
    """The API key behind an MCP request, as the ApiGuard middleware left it."""
    identity = (getattr(request, "scope", None) or {}).get("state", {}).get("identity")
    if identity is None:
        raise ToolError("Not authenticated: send an API key as `Authorization: Bearer bw_...`.")
    return identity


class Toolbox:
    """Declares tools on one server and calls the bus for them."""

    def __init__(self, mcp: BillwireMCP, bus: Bus) -> None:
        self.mcp, self.bus = mcp, bus

    def tool(self, annotations: ToolAnnotations, scope: Scopes | None = None) -> Callable[[Callable], Callable]:
        """Register the function as a tool named after it; `scope` (default: by its annotations)
        is what a key needs to see it listed. Every bus call a tool makes, including the reads
        behind its preview, is checked against the tool's own scope, never `read` besides."""

        def register(fn: Callable) -> Callable:
            self.mcp.tool_scopes[fn.__name__] = scope or SCOPES[id(annotations)]
            return self.mcp.tool(annotations=annotations, structured_output=True)(fn)

        return register

    async def call(
        self, ctx: Context, subject: str, build: Callable[[Caller], Any], reply_type: type = Any, key: str | None = None,
        scope: Scopes = "read",
    ) -> Any:
        """One bus call as the key behind this MCP request; errors become tool errors."""
        identity = identity_of(ctx.request_context.request)
        if not allows(identity, scope):
            raise ToolError(f"Permission denied: this API key lacks the {lacking(identity, scope)} scope.")
        caller = Caller(account_id=identity.account_id, key_id=identity.key_id, request_id=f"mcp-{ctx.request_id}",
                        idempotency_key=key)
        command = build(caller)
        if key:  # the same key with other arguments is refused, as over REST
            command = msgspec.structs.replace(command, ctx=msgspec.structs.replace(caller, fingerprint=fingerprint(subject, command)))
        try:
            raw = await self.bus.call(subject, command)
        except ApiError as exc:
            details = "; ".join(f"{detail.field}: {detail.message}" for detail in exc.reply.details)
            raise ToolError(f"{exc.reply.code}: {exc.reply.message}" + (f" ({details})" if details else "")) from exc
        return msgspec.json.decode(raw) if reply_type is Any else msgspec.json.decode(raw, type=reply_type)

    async def result(
        self, ctx: Context, subject: str, build: Callable[[Caller], Any], key: str | None = None, scope: str = "read",
    ) -> Result:
        """A tool's answer: the reply of one bus call (see `call`) as its result."""
        return {"result": await self.call(ctx, subject, build, key=key, scope=scope)}


def decode(value: dict[str, Any], type_: type, what: str, ctx_free: bool = False) -> Any:
    """Arguments checked exactly as REST bodies are; a clear error names the field."""
    try:
        if ctx_free:
            value = {k: v for k, v in value.items() if v is not None and k != "ctx"} | {"ctx": {"account_id": str(UUID(int=0))}}
        return msgspec.convert(value, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise ToolError(f"VALIDATION_ERROR in {what}: {exc}") from exc


def given(**arguments: Any) -> dict[str, Any]:
    """The arguments the agent gave (None: left out), for a body whose defaults then apply."""
    return {name: value for name, value in arguments.items() if value is not None}


def fingerprint(subject: str, command: Any) -> str:
    return hashlib.sha256(subject.encode() + b"\n" + msgspec.json.encode(msgspec.structs.replace(command, ctx=None))).hexdigest()
