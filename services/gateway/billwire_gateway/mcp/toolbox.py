"""What every area's MCP tools are declared with: the server that lists each key only the tools
its scopes allow, the `tool` decorator with the tool's annotations and scope, one bus call as the
key behind the request, and arguments checked exactly as REST bodies are."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import msgspec
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import x_mcp_header_map
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.calls.call import Call
from billwire_gateway.mcp.schema import tool_input_schema, tool_output_schema
from billwire_gateway.settings import GatewaySettings
from billwire_shared.contracts.accounts import KeyIdentity
from billwire_shared.contracts.common import Caller

READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False)
UPDATE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True)
IRREVERSIBLE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False)
SCOPES = {id(READ): "read", id(WRITE): "write", id(UPDATE): "write", id(IRREVERSIBLE): "write"}
Scopes = str | tuple[str, ...]  # one scope, or several that are all needed
T = TypeVar("T")


def allows(identity: KeyIdentity, scopes: Scopes) -> bool:
    needed = (scopes,) if isinstance(scopes, str) else scopes
    return "admin" in identity.scopes or all(scope in identity.scopes for scope in needed)


def lacking(identity: KeyIdentity, scopes: Scopes) -> str:
    needed = (scopes,) if isinstance(scopes, str) else scopes
    return " and ".join(f"`{scope}`" for scope in needed if scope not in identity.scopes)


class BillwireMCP(MCPServer):
    """Lists to each key only the tools its scopes allow."""

    def __init__(self, tool_scopes: dict[str, Scopes], **options: Any) -> None:
        super().__init__(**options)
        self.tool_scopes = tool_scopes  # tool name -> the scopes a key needs to see and call it
        self.declares_headers: dict[str, bool] = {}  # tool name -> its arguments declare an `x-mcp-header`

    async def _handle_list_tools(self, ctx, params):  # type: ignore[override]
        listed = await super()._handle_list_tools(ctx, params)
        identity = identity_of(ctx.request)
        allowed = [t for t in listed.tools if allows(identity, self.tool_scopes.get(t.name, "read"))]
        return listed.model_copy(update={"tools": allowed})

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """The schema the SDK checks a 2026-07-28 call's `Mcp-Param-*` headers against, only for a
        tool that declares such a header (none does today): for any other there is nothing to
        check, and the SDK would walk its whole schema (inlined, so large) twice on every call to
        find that out, a quarter of the gateway's time per MCP call."""
        schema = super()._tool_input_schema(name)
        if schema is None:
            return None
        if name not in self.declares_headers:
            self.declares_headers[name] = bool(x_mcp_header_map(schema))
        return schema if self.declares_headers[name] else None


def base_url(ctx: Context) -> str:
    """The address the agent reached this gateway at, for the absolute URLs tools answer with."""
    url = ctx.request_context.request.url
    return f"{url.scheme}://{url.netloc}"


def identity_of(request: Any) -> KeyIdentity:
    """The API key behind an MCP request, as the ApiGuard middleware left it."""
    identity = (getattr(request, "scope", None) or {}).get("state", {}).get("identity")
    if identity is None:
        raise ToolError("Not authenticated: send an API key as `Authorization: Bearer bw_...`.")
    return identity


class Reply(msgspec.Struct, kw_only=True):
    """A tool's answer with content besides its structured result (an embedded PDF, CSV text)."""

    result: Any
    content: list[Any] = []


class TypedTool(Tool):
    """A tool whose arguments are one msgspec Struct and whose answer is `{"result": ...}` of
    declared types: the schemas are generated from those types (schema.py), the arguments
    decoded as REST bodies are, with every unknown argument named."""

    arguments_type: Any = Field(exclude=True)
    result_schema: dict[str, Any] = Field(exclude=True)

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:  # type: ignore[override]
        return self.result_schema

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            reply = await self.fn(context, parse_arguments(arguments, self.arguments_type))
        except MCPError:
            raise
        except ToolError as exc:
            raise ToolError(f"Error executing tool {self.name}: {exc}") from exc
        except Exception as exc:
            raise UnexpectedToolError(f"Error executing tool {self.name}") from exc
        if not isinstance(reply, Reply):
            reply = Reply(result=reply)
        structured = {"result": msgspec.to_builtins(reply.result)}
        if not convert_result:
            return structured
        text = TextContent(type="text", text=msgspec.json.encode(structured).decode())
        return CallToolResult(content=[text, *reply.content], structured_content=structured)


def parse_arguments(arguments: dict[str, Any], type_: type[msgspec.Struct]) -> Any:
    """The arguments as the tool's Struct: every unknown argument named with the accepted ones,
    then each field checked as a REST body's is (money from strings or exact numbers)."""
    accepted = type_.__struct_encode_fields__
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        raise ToolError(
            f"VALIDATION_ERROR: unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"accepted: {', '.join(accepted)}."
        )
    try:
        return msgspec.convert(arguments, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise ToolError(f"VALIDATION_ERROR: {exc}") from exc


class Toolbox:
    """Declares typed tools for one server and calls the bus for them."""

    def __init__(self, bus: Bus, settings: GatewaySettings) -> None:
        self.bus, self.settings = bus, settings
        self.tools: list[TypedTool] = []
        self.scopes: dict[str, Scopes] = {}  # tool name -> the scopes a key needs to see and call it

    def tool(
        self, annotations: ToolAnnotations, arguments: type[msgspec.Struct], *results: Any, scope: Scopes | None = None,
    ) -> Callable[[Callable], Callable]:
        """Register `fn(ctx, arguments)` as a tool named after it, its input schema generated
        from `arguments` and its output schema from `results` (several: a preview or the done
        action). `scope` (default: by its annotations) is what a key needs to see it listed.
        Every bus call a tool makes, including the reads behind its preview, is checked against
        the tool's own scope, never `read` besides."""

        def register(fn: Callable) -> Callable:
            self.scopes[fn.__name__] = scope or SCOPES[id(annotations)]
            self.tools.append(TypedTool(
                fn=fn, name=fn.__name__, description=inspect.cleandoc(fn.__doc__ or ""),
                parameters=tool_input_schema(arguments), fn_metadata=func_metadata(_no_arguments), is_async=True,
                context_kwarg="ctx", annotations=annotations, arguments_type=arguments,
                result_schema=tool_output_schema(*results),
            ))
            return fn

        return register

    async def call(
        self, ctx: Context, subject: str, build: Callable[[Caller], Any], reply_type: Any = Any, key: str | None = None,
        scope: Scopes = "read", timeout: float | None = None,
    ) -> Any:
        """One bus call as the key behind this MCP request; errors become tool errors."""
        identity = identity_of(ctx.request_context.request)
        if not allows(identity, scope):
            raise ToolError(f"Permission denied: this API key lacks the {lacking(identity, scope)} scope.")
        caller = Caller(account_id=identity.account_id, key_id=identity.key_id, request_id=f"mcp-{ctx.request_id}",
                        idempotency_key=key, requires_approval=tuple(identity.requires_approval))
        command = build(caller)
        if key:  # the same key with other arguments is refused, as over REST
            command = msgspec.structs.replace(command, ctx=msgspec.structs.replace(caller, fingerprint=fingerprint(subject, command)))
        try:
            raw = await self.bus.call(subject, command, timeout=timeout)
        except ApiError as exc:
            details = "; ".join(f"{detail.field}: {detail.message}" for detail in exc.reply.details)
            raise ToolError(f"{exc.reply.code}: {exc.reply.message}" + (f" ({details})" if details else "")) from exc
        return msgspec.json.decode(raw) if reply_type is Any else msgspec.json.decode(raw, type=reply_type)

    async def ask(
        self, ctx: Context, call: Call, *given: Any, key: str | None = None, scope: Scopes = "read", **options: Any,
    ) -> Any:
        """`call` made with what the tool was given (`options`: the command's optional fields), as
        `call` above, its reply decoded; within the call's timeout, as over REST (a language model
        is given longer than the bus's own)."""
        return await self.call(
            ctx, call.subject, lambda caller: call.command(caller, *given, **options), call.reply, key=key, scope=scope,
            timeout=call.timeout,
        )


async def _no_arguments() -> None:
    """What the SDK's own metadata is built from; a TypedTool decodes its arguments itself."""


def contract(arguments: msgspec.Struct, type_: type[T], *, drop: tuple[str, ...] = ("idempotency_key",), **extra: Any) -> T:
    """The contract a tool's arguments carry: their fields (less `drop` and those left unset)
    and `extra`, checked exactly as a REST body is; a clear error names the field."""
    data = {name: value for name, value in msgspec.structs.asdict(arguments).items() if name not in drop and value is not msgspec.UNSET}
    try:
        return msgspec.convert(data | extra, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise ToolError(f"VALIDATION_ERROR: {exc}") from exc


def derived(name: str, base: type[msgspec.Struct], without: tuple[str, ...] = (), extra: list[tuple] = (), doc: str | None = None) -> Any:
    """A tool's argument Struct made of a contract's fields (less `without`) and `extra`, so its
    schema is the contract's and cannot drift from it; `doc` describes it in the schema."""
    fields: list[tuple] = []
    for field in msgspec.structs.fields(base):
        if field.name in without:
            continue
        if field.default is not msgspec.NODEFAULT:
            fields.append((field.name, field.type, field.default))
        elif field.default_factory is not msgspec.NODEFAULT:
            fields.append((field.name, field.type, msgspec.field(default_factory=field.default_factory)))
        else:
            fields.append((field.name, field.type))
    namespace = {"__doc__": doc} if doc else None
    return msgspec.defstruct(name, fields + list(extra), namespace=namespace, kw_only=True, forbid_unknown_fields=True)


def fingerprint(subject: str, command: Any) -> str:
    return hashlib.sha256(subject.encode() + b"\n" + msgspec.json.encode(msgspec.structs.replace(command, ctx=None))).hexdigest()
