"""Approvals: actions an API key's policy (`requires_approval`) holds back until a person
decides. The held routes answer 202 with the pending approval (`ask`); a person approves or
rejects in the web app, or a key whose own policy does not hold that action back does here."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from billwire_gateway.deps import BusDep, CallerDep, Limit, Offset, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.approvals import Approval, ApprovalState, DecideApproval, DecisionInput, ListApprovals, RequestApproval
from billwire_shared.contracts.common import ById, Caller, Page

PENDING_DESCRIPTION = (
    "The API key's policy requires a person's approval for this action: nothing was done yet. The answer is the"
    " pending approval (`id`, the `preview` of what will happen, `approve_url`); GET /approvals/{id} tells the outcome."
)
PENDING = {202: ResponseSpec(Approval, description=PENDING_DESCRIPTION, generate_examples=False)}
StateFilter = Annotated[ApprovalState | None, QueryParameter(name="state", description="pending, approved, rejected, expired or failed")]


def held(caller: Caller, action: str) -> bool:
    """This key may not do `action` alone."""
    return action in caller.requires_approval


async def ask(request: Request, caller: Caller, action: str, document_id: UUID, **body: Any) -> Response[Approval]:
    """Ask for approval of `action` instead of doing it: 202 with the pending approval (the
    owners are e-mailed a one-time link to the web app)."""
    web_url = request.app.state.web.public_url
    command = RequestApproval(ctx=caller, action=action, document_id=document_id, web_url=web_url, **body)  # type: ignore[arg-type]
    return json_reply(await request.app.state.bus.call(subjects.APPROVAL_REQUEST, command), 202)


class ApprovalController(Controller):
    path = "/approvals"
    tags = ["approvals"]

    @get("/", summary="Approvals of the account, newest first (?state=pending: the ones waiting)")
    async def list_approvals(
        self, caller: CallerDep, bus: BusDep, approval_state: StateFilter = None, limit: Limit = 50, offset: Offset = 0,
    ) -> Response[Page[Approval]]:
        query = ListApprovals(ctx=caller, state=approval_state, limit=limit, offset=offset)
        return json_reply(await bus.call(subjects.APPROVAL_LIST, query))

    @get("/{approval_id:uuid}", summary="An approval: its preview, state, and once decided the outcome or why it failed")
    async def get_approval(self, approval_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Approval]:
        return json_reply(await bus.call(subjects.APPROVAL_GET, ById(ctx=caller, id=approval_id)))

    @post("/{approval_id:uuid}/approve", status_code=200,
          summary="Approve: the action runs now, once, as the key that asked",
          description="Needs a key whose own policy does not hold the same action back. The action runs only on the"
          " document as the approval's preview showed it (same version and `expected_total`); otherwise the approval"
          " ends `failed` with the `reason` and nothing is changed. Deciding an approval twice answers 409 APPROVAL_NOT_PENDING.")
    async def approve(self, approval_id: FromPath[UUID], caller: CallerDep, bus: BusDep) -> Response[Approval]:
        command = DecideApproval(ctx=caller, id=approval_id, decision="approve")
        return json_reply(await bus.call(subjects.APPROVAL_DECIDE, command))

    @post("/{approval_id:uuid}/reject", status_code=200, summary="Reject: the action never runs (the reason is optional)")
    async def reject(
        self, approval_id: FromPath[UUID], caller: CallerDep, bus: BusDep, data: JSONBody[DecisionInput | None] = None,
    ) -> Response[Approval]:
        command = DecideApproval(ctx=caller, id=approval_id, decision="reject", body=data or DecisionInput())
        return json_reply(await bus.call(subjects.APPROVAL_DECIDE, command))
