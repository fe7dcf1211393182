"""MCP side of approvals (REST: controllers/approvals.py). A confirmed irreversible tool whose
action the key's policy holds back answers with the pending approval instead of the done action
(`held` and `ask`); `get_approval` and `list_approvals` let the agent tell the person what became
of it. Deciding is for people (the web app) and for keys without that policy (REST)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context

from billwire_gateway.mcp.arguments import Arguments, Paging
from billwire_gateway.mcp.toolbox import READ, Scopes, Toolbox, base_url, identity_of
from billwire_shared import subjects
from billwire_shared.contracts.approvals import Approval, ApprovalState, ListApprovals, RequestApproval
from billwire_shared.contracts.common import ById, Page

HELD = (
    "\n\nWhen this key's policy requires approval for the action, the call does nothing yet: it answers the pending"
    " approval (its `id` is the approval_id, the preview, `approve_url` for the person); get_approval tells the outcome."
)
F = TypeVar("F", bound=Callable[..., Any])


def noting_approval(fn: F) -> F:
    """A held tool's description says what it answers for a key whose policy holds it back."""
    fn.__doc__ = inspect.cleandoc(fn.__doc__ or "") + HELD
    return fn


def held(ctx: Context, action: str) -> bool:
    """The key behind this MCP request may not do `action` alone."""
    return action in identity_of(ctx.request_context.request).requires_approval


async def ask(
    tools: Toolbox, ctx: Context, action: str, document_id: UUID, key: str | None, scope: Scopes = "write", **body: Any,
) -> Approval:
    """Ask for approval of `action` instead of doing it; `approve_url` is absolute, for the person."""
    # The owners' e-mailed link carries the one-time token: it names this server as configured,
    # never the Host the agent's request claims (else the agent could read the token and approve).
    web_url = (tools.settings.web_public_url or f"http://{tools.settings.host}:{tools.settings.port}").rstrip("/")
    command = lambda k: RequestApproval(ctx=k, action=action, document_id=document_id, web_url=web_url, **body)  # noqa: E731
    approval = await tools.call(ctx, subjects.APPROVAL_REQUEST, command, Approval, key=key, scope=scope)
    return msgspec.structs.replace(approval, approve_url=base_url(ctx) + approval.approve_url)


class ApprovalId(Arguments, kw_only=True):
    approval_id: UUID


class ApprovalFilter(Paging, kw_only=True):
    state: ApprovalState | None = None


def register(tools: Toolbox) -> None:
    @tools.tool(READ, ApprovalId, Approval)
    async def get_approval(ctx: Context, args: ApprovalId) -> Approval:
        """An approval this key (or another of the account) asked for: state pending, approved
        (the action ran once; `result` is its answer), rejected (`reason`), expired, or failed
        (the document changed or the action was refused; `reason` says why, nothing was done).
        Tell the person what happened, with `approve_url` while it is pending."""
        approval = await tools.call(ctx, subjects.APPROVAL_GET, lambda k: ById(ctx=k, id=args.approval_id), Approval)
        return msgspec.structs.replace(approval, approve_url=base_url(ctx) + approval.approve_url)

    @tools.tool(READ, ApprovalFilter, Page[Approval])
    async def list_approvals(ctx: Context, args: ApprovalFilter) -> Page[Approval]:
        """The account's approvals, newest first (state=pending: the ones a person has still to decide)."""
        query = lambda k: ListApprovals(ctx=k, state=args.state, limit=args.limit, offset=args.offset)  # noqa: E731
        return await tools.call(ctx, subjects.APPROVAL_LIST, query, Page[Approval])
